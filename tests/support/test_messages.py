"""A file of messages: read and checked before any model loads, in every accepted format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from inhouse.errors import InhouseError
from inhouse.support.messages import read_messages


@pytest.mark.parametrize("name", ["m.txt", "m.csv", "m.jsonl", "m.parquet"])
def test_every_format_gives_the_messages_in_order(tmp_path: Path, name: str) -> None:
    import polars as pl

    texts = ["my card has not arrived", 'a, quoted "one"', "refund please"]
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text(texts[0] + "\n\n" + "\n".join(texts[1:]) + "\n")  # a blank line
    else:
        frame = pl.DataFrame({"text": texts, "message_id": ["a", None, "c"]})
        {"m.csv": frame.write_csv, "m.jsonl": frame.write_ndjson}.get(name, frame.write_parquet)(
            path
        )
    got = read_messages(path)
    assert [m.text for m in got] == texts
    if name.endswith(".txt"):
        assert [m.id for m in got] == ["1", "3", "4"]  # file lines, the blank one skipped
    else:
        assert got[0].id == "a" and got[2].id == "c"
        assert got[1].id == ("3" if name.endswith(".csv") else "2")  # its line (CSV: a header)


def test_stdin_is_one_message_a_line() -> None:
    got = read_messages("-", stdin=io.BytesIO(b"first\nsecond\n"))
    assert [(m.id, m.where, m.text) for m in got] == [
        ("1", "<stdin>:1", "first"),
        ("2", "<stdin>:2", "second"),
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"fine\n" + b"x" * 20_001 + b"\n", "m.txt:2: the message has 20,001 characters"),
        (b"fine\n\xff\xfe\n", "m.txt:2: not UTF-8"),
        (b"\n\n", "m.txt: no messages found"),
    ],
)
def test_a_bad_message_names_its_line(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "m.txt").write_bytes(content)
    with pytest.raises(InhouseError) as e:
        read_messages(tmp_path / "m.txt")
    assert str(e.value).replace(str(tmp_path) + "/", "").startswith(expected)


def test_a_table_without_a_text_column_shows_a_message_row(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").write_text(json.dumps({"body": "hello"}) + "\n")
    with pytest.raises(InhouseError, match="text: missing column.*a messages row: text=my card"):
        read_messages(tmp_path / "m.jsonl")
