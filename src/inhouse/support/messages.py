"""A file of customer messages, read and checked before any model loads (`support route --file`).

    >>> [m.text for m in read_messages("messages.txt")]   # doctest: +SKIP
    ['my card has not arrived', 'what is the exchange rate?']

A `.csv`, `.jsonl` or `.parquet` file holds the `messages` kind of `inhouse.data` (a `text`
column, an optional `message_id`); any other file (`.txt`), or standard input (`-`), holds one
message a line (blank lines are skipped).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from inhouse.errors import InhouseError
from inhouse.support.service import Route, SupportService, check_message

STDIN = "-"


@dataclass(frozen=True)
class Message:
    """One message of a file, with where it was found."""

    id: str
    """Its `message_id`, else its line (row for Parquet) in the file."""
    where: str
    """`file:line`, for messages about it."""
    text: str


def _lines(data: bytes, file: str) -> Iterator[Message]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InhouseError(
            f"{file}:{line}: not UTF-8 text (byte {e.start}); save the file as UTF-8"
        ) from None
    for n, line_text in enumerate(text.splitlines(), start=1):
        if line_text.strip():
            yield Message(str(n), f"{file}:{n}", line_text)


def _table(path: Path) -> Iterator[Message]:
    from inhouse.data import get_schema, load, validate

    raw = load(path)
    frame = validate(raw, get_schema("messages"))
    ids = frame["message_id"].to_list()
    for line, given, text in zip(raw.lines, ids, frame["text"].to_list(), strict=True):
        yield Message(given or str(line), f"{path}:{line}", text)


def read_messages(path: Path | str, stdin: BinaryIO | None = None) -> list[Message]:
    """Every message of `path` (`-`: `stdin`), each checked as `check_message` checks one."""
    from inhouse.data import detect_format

    if str(path) == STDIN:
        assert stdin is not None, "reading `-` needs the stdin stream"
        found = list(_lines(stdin.read(), "<stdin>"))
    else:
        path = Path(path)
        if detect_format(path) is not None:
            found = list(_table(path))
        else:
            try:
                data = path.read_bytes()
            except OSError as e:
                raise InhouseError(f"{path}: cannot read ({e.strerror})") from None
            found = list(_lines(data, str(path)))
    for m in found:
        try:
            check_message(m.text)
        except InhouseError as e:
            raise InhouseError(f"{m.where}: {e}") from None
    if not found:
        name = "<stdin>" if str(path) == STDIN else str(path)
        raise InhouseError(f"{name}: no messages found; write one message a line")
    return found


def route_messages(service: SupportService, messages: list[Message]) -> Iterator[Route]:
    """Each message routed alone, as `support route TEXT` routes it (same answers)."""
    for m in messages:
        yield service.route(m.text)
