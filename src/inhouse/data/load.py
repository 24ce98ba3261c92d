"""Load company data files (CSV, JSONL, Parquet; `.gz` for the text ones) as found, with lines.

Polars parses every file. For CSV the standard `csv` module scans the same text once, only to
give each record its line number (quoted fields may span lines) and to locate the structural
errors polars reports without one (bad quoting, wrong field counts, a cut-off last row).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from inhouse.errors import DataError, Problem

Format = Literal["csv", "jsonl", "parquet"]
SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_BOM = b"\xef\xbb\xbf"


@dataclass
class RawTable:
    """A file as found: its columns (strings for CSV), the location of each row, its problems."""

    file: str
    """The file name used in messages, as the user gave it."""
    frame: pl.DataFrame
    """The rows that could be parsed, with the file's own column names."""
    lines: list[int]
    """For each row of `frame`: its 1-based line (CSV, JSONL) or row number (Parquet)."""
    header_line: int | None = None
    """The line of the header (CSV), where missing columns are reported."""
    problems: list[Problem] = field(default_factory=list)
    """Structural problems found while reading (bad quoting, wrong field counts, bad JSON)."""
    unit: str = "line"
    """What `lines` count: "line" for text files, "row" for Parquet."""


def detect_format(path: Path) -> tuple[Format, bool] | None:
    """The format of `path` from its extension and whether it is gzipped, or None if unknown."""
    name = path.name.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[: -len(".gz")]
    fmt = SUFFIXES.get(Path(name).suffix)
    if fmt is None or (compressed and fmt == "parquet"):
        return None
    return fmt, compressed


def _fail(file: str, line: int | None, reason: str) -> DataError:
    return DataError([Problem(file, line, None, reason)])


def load(path: Path | str) -> RawTable:
    """Read `path` as it is, without checking it against a schema."""
    path = Path(path)
    file = str(path)
    if path.is_dir():
        raise _fail(file, None, "is a folder; pass one file")
    if not path.is_file():
        raise _fail(file, None, "no such file; check the path (it is read from the current folder)")
    detected = detect_format(path)
    if detected is None:
        raise _fail(
            file, None, "unknown file type; use .csv, .csv.gz, .jsonl, .jsonl.gz or .parquet"
        )
    fmt, compressed = detected
    if path.stat().st_size == 0:
        raise _fail(file, None, "the file is empty (0 bytes); export it again with its data")
    if fmt == "parquet":
        return _load_parquet(path, file)
    data, text = _read_text(path, file, compressed)
    return _load_csv(file, data, text) if fmt == "csv" else _load_jsonl(file, data, text)


def _read_text(path: Path, file: str, compressed: bool) -> tuple[bytes, str]:
    """The file's bytes (decompressed, BOM removed) and their UTF-8 text."""
    data = path.read_bytes()
    if compressed:
        try:
            data = gzip.decompress(data)
        except EOFError:
            raise _fail(file, None, "the gzip stream is cut off; copy the file again") from None
        except (OSError, zlib.error) as e:
            raise _fail(file, None, f"not a valid gzip file ({e}); compress it with gzip") from None
    bom = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        problem = _encoding_problem(file, data, bom + e.start, compressed, e.reason)
        raise DataError([problem]) from None
    if not text.strip():
        raise _fail(file, None, "the file has no data, only blank lines; export it again")
    return data[bom:], text


def _encoding_problem(
    file: str, data: bytes, offset: int, compressed: bool, reason: str
) -> Problem:
    """Where the first byte that is not UTF-8 is, and how to convert the file."""
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    where = f"byte offset {offset}{' of the decompressed data' if compressed else ''}"
    if reason == "unexpected end of data":
        return Problem(
            file,
            line,
            None,
            f"the file ends in the middle of a UTF-8 character (at {where}): it looks cut "
            "off; export it again",
        )
    fixed = "fixed" + "".join(Path(file).suffixes)
    iconv = f"iconv -f latin1 -t utf-8 {file} > {fixed}"
    if compressed:
        iconv = f"zcat {file} | iconv -f latin1 -t utf-8 | gzip > {fixed}"
    return Problem(
        file,
        line,
        None,
        f"not UTF-8: byte 0x{data[offset]:02X} at {where} (byte {col} of the line) is not "
        f"valid UTF-8; convert the file, e.g. `{iconv}` (use its real encoding if it is not "
        "Latin-1)",
    )


# ---------------------------------------------------------------------------------------- CSV


def _load_csv(file: str, data: bytes, text: str) -> RawTable:
    header, starts, widths, problems = _scan_csv(file, text)
    names = [h.strip() for h in header]
    keep = [i for i, n in enumerate(names) if n and n not in names[:i]]  # first of duplicates
    frame = None if problems else _polars_csv(data, text, len(header), len(starts))
    if frame is not None:
        frame = frame.filter(pl.Series([w > 0 for w in widths], dtype=pl.Boolean)).select(
            pl.col(frame.columns[i]).alias(names[i]) for i in keep
        )
        return RawTable(file, frame, [s for s, w in zip(starts, widths, strict=True) if w], 1)
    # Rows the scan could read, so that the rest of the file is still validated.
    good = [(s, f) for s, f in _records(text) if f and len(f) == len(header)][1:]
    frame = pl.DataFrame(
        {names[i]: [fields[i] for _, fields in good] for i in keep},
        schema={names[i]: pl.String for i in keep},
    )
    return RawTable(file, frame, [line for line, _ in good], 1, problems)


def _polars_csv(data: bytes, text: str, width: int, n_records: int) -> pl.DataFrame | None:
    """Polars' parse of the file, all columns as strings; None if it fails or disagrees.

    Polars is stricter than the csv module about stray quotes inside unquoted fields, and
    keeps blank lines as rows of nulls; the scan's records line up with its rows.
    """
    eol = "\r" if "\n" not in text else "\n"  # classic Mac line ends
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, eol_char=eol)
    except pl.exceptions.PolarsError:
        return None
    return frame if frame.shape == (n_records, width) else None


def _records(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """(start line, fields) of each CSV record, or (start line, error) for unreadable ones."""
    csv.field_size_limit(2**31 - 1)  # long article bodies are fine
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    end = 0  # the last line consumed so far
    while True:
        start = end + 1
        try:
            fields: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            fields = str(e)
        end = reader.line_num
        yield start, fields


def _scan_csv(file: str, text: str) -> tuple[list[str], list[int], list[int], list[Problem]]:
    """Header, then start line and field count of each record (0: blank, -1: unreadable),
    and the structural problems. Keeps no fields, so it stays fast on big files."""
    records = _records(text)
    line, first = next(records)
    header = first if isinstance(first, list) else []
    for sep, name in ((";", "semicolons"), ("\t", "tabs")):
        if len(header) == 1 and sep in header[0]:
            raise _fail(
                file,
                line,
                f"the header is one column, {header[0]!r}: the file seems to "
                f"separate fields with {name}; export it again as comma-separated CSV",
            )
    problems = _header_problems(file, line, first)
    starts: list[int] = []
    widths: list[int] = []
    for line, fields in records:
        starts.append(line)
        if isinstance(fields, str):
            widths.append(-1)
            problems.append(Problem(file, line, None, _quote_reason(fields)))
        else:
            widths.append(len(fields))
    cut = not text.endswith(("\n", "\r"))
    for i, (line, width) in enumerate(zip(starts, widths, strict=True)):
        if width > 0 and width != len(header):
            last = i == len(starts) - 1 and cut
            problems.append(Problem(file, line, None, _count_reason(width, header, last)))
    return header, starts, widths, problems


def _header_problems(file: str, line: int, header: list[str] | str) -> list[Problem]:
    if isinstance(header, str):
        return [Problem(file, line, None, f"cannot read the header: {_quote_reason(header)}")]
    problems = []
    names = [h.strip() for h in header]
    for i, name in enumerate(names):
        if not name:
            problems.append(
                Problem(file, line, None, f"column {i + 1} of the header has no name; name it")
            )
        elif name in names[:i]:
            problems.append(
                Problem(file, line, name, "appears twice in the header; rename or drop one")
            )
    return problems


def _quote_reason(error: str) -> str:
    if "unexpected end of data" in error:
        return (
            "a quoted field starts here but the file ends before its closing quote: the file "
            "looks cut off; export it again"
        )
    return (
        f"bad quoting ({error}); wrap a field that holds commas, quotes or line breaks in "
        'double quotes and double the quotes inside it ("")'
    )


def _count_reason(n: int, header: list[str], last_and_cut: bool) -> str:
    reason = f"{n} fields but the header has {len(header)} columns"
    if last_and_cut:
        return (
            f"{reason}: the file ends in the middle of this row and looks cut off; export it again"
        )
    if n < len(header):
        return f"{reason}; add the missing fields (an empty one is fine: a,,c)"
    return f"{reason}; wrap values that contain commas in double quotes"


# -------------------------------------------------------------------------------------- JSONL


def _load_jsonl(file: str, data: bytes, text: str) -> RawTable:
    physical = text.split("\n")
    lines = [i + 1 for i, line in enumerate(physical) if line.strip()]
    try:
        frame = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
        if frame.height == len(lines):
            return RawTable(file, frame, lines)
    except pl.exceptions.PolarsError:
        pass
    # Locate the lines polars could not read, then let polars read the others.
    problems, good = [], []
    cut = not text.endswith("\n")
    for line in lines:
        reason = _json_line_problem(physical[line - 1], cut and line == len(physical))
        if reason:
            problems.append(Problem(file, line, None, reason))
        else:
            good.append(line)
    if not problems:
        problems = [Problem(file, None, None, "polars could not read it as JSON lines")]
        good = []
    frame = pl.DataFrame()
    if good:
        body = "\n".join(physical[line - 1] for line in good).encode()
        try:
            frame = pl.read_ndjson(io.BytesIO(body), infer_schema_length=None)
        except pl.exceptions.PolarsError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            problems.append(Problem(file, None, None, f"polars could not read it ({first})"))
            good = []
    return RawTable(file, frame, good, None, problems)


def _json_line_problem(line: str, last_and_cut: bool) -> str | None:
    """Why one JSONL line is not a JSON object, with the fix; None when it is fine."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as e:
        at = "" if e.msg.endswith(" at") else " at"
        what = f"not valid JSON ({e.msg.lower()}{at} character {e.pos + 1})"
        if last_and_cut:
            return f"{what}: the last line looks cut off; export the file again"
        return (
            f"{what}; each line must be one JSON object such as "
            '{"item_id": "a1", "title": "Red mug"}'
        )
    if not isinstance(value, dict):
        names = {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}
        what = names.get(type(value), "null")
        return f"a JSON {what}, not an object; write one object per line"
    return None


# ------------------------------------------------------------------------------------ Parquet


def _load_parquet(path: Path, file: str) -> RawTable:
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise _fail(
            file,
            None,
            f"not a readable Parquet file ({first}); it may be cut off: write it again "
            "with polars' write_parquet or pandas' to_parquet",
        ) from None
    return RawTable(file, frame, list(range(1, frame.height + 1)), unit="row")
