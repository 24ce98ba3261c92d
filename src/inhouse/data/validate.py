"""Check rows read from a company data file against their kind's schema, and type them.

Every problem is collected and located (`file:line: column: reason`), then raised together.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import polars as pl

from inhouse.data.schema import EXAMPLES, POLARS_TYPES, Column, Schema
from inhouse.errors import DataError, Problem

if TYPE_CHECKING:
    from inhouse.data.load import RawTable

DEFAULT_MAX_PROBLEMS = 50
"""How many problems a `DataError` lists before it says "... and N more"."""

# Fast paths for the common ISO-8601 shapes; anything else goes through datetime.fromisoformat.
_ISO_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d",
)
_MAX_UNIX_SECONDS = 10**11  # year 5138: larger values are almost surely milliseconds
_TIMESTAMP_FIX = f"use {EXAMPLES['timestamp']}"

Reason = Callable[[int], str]  # row index -> why that row's value is wrong and how to fix it


class _Problems:
    """Collects problems, keeping the first `cap` of each check and counting the rest."""

    def __init__(self, raw: RawTable, cap: int) -> None:
        self.raw, self.cap = raw, cap
        self.found: list[Problem] = list(raw.problems)
        self.hidden = 0

    def add(self, line: int | None, column: str | None, reason: str) -> None:
        self.found.append(Problem(self.raw.file, line, column, reason))

    def at_rows(self, column: str, mask: pl.Series, reason: Reason) -> None:
        rows = mask.fill_null(False).arg_true().to_list()
        for row in rows[: self.cap]:
            self.add(self.raw.lines[row], column, reason(row))
        self.hidden += max(0, len(rows) - self.cap)

    def raise_if_any(self, order: list[str]) -> None:
        if not self.found:
            return
        rank = {name: i for i, name in enumerate(order)}
        found = sorted(self.found, key=lambda p: (p.line or 0, rank.get(p.column or "", -1)))
        shown = found[: self.cap]
        raise DataError(shown, truncated=len(found) - len(shown) + self.hidden)


def validate(
    raw: RawTable,
    schema: Schema,
    *,
    known_items: pl.Series | None = None,
    catalog_name: str | None = None,
    intents: Collection[str] | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> pl.DataFrame:
    """Type `raw`'s rows as `schema` says, or raise a `DataError` listing every problem.

    `known_items` (events): the catalog's item ids; other item ids are problems.
    `intents` (tickets): the allowed intents; other intents are problems.
    """
    assert max_problems >= 1, "max_problems must be at least 1"
    problems = _Problems(raw, max_problems)
    frame = raw.frame
    if frame.height == 0 and not raw.problems:
        where = "a header but no data rows" if raw.header_line else "no rows"
        problems.add(raw.header_line, None, f"the file has {where}; add at least one row")
    if frame.height == 0:
        problems.raise_if_any(schema.names)
    out: dict[str, pl.Series] = {}
    for column in schema.columns:
        if column.name in frame.columns:
            out[column.name] = _check_column(frame[column.name], column, problems)
            continue
        out[column.name] = pl.Series(column.name, [None] * frame.height, POLARS_TYPES[column.type])
        if column.required:
            problems.add(
                raw.header_line, column.name, _missing_reason(column, frame.columns, schema)
            )
    if known_items is not None and "item_id" in frame.columns:
        items = out["item_id"]
        source = f" ({catalog_name})" if catalog_name else ""
        problems.at_rows(
            "item_id",
            items.is_not_null() & ~items.is_in(known_items.implode()),
            lambda r: (
                f"item {items[r]!r} is not in the catalog{source}; add it to the "
                "catalog or drop this event"
            ),
        )
    if intents is not None and "intent" in frame.columns:
        allowed = sorted(set(intents))
        shown = ", ".join(allowed[:10]) + (
            f" ... ({len(allowed)} in all)" if len(allowed) > 10 else ""
        )
        labels = out["intent"]
        problems.at_rows(
            "intent",
            labels.is_not_null() & ~labels.is_in(allowed),
            lambda r: f"unknown intent {labels[r]!r}; use one of: {shown}",
        )
    problems.raise_if_any(schema.names)
    return pl.DataFrame(out, schema=schema.polars_schema)


def _missing_reason(column: Column, found: list[str], schema: Schema) -> str:
    close = difflib.get_close_matches(column.name, found, n=1, cutoff=0.6)
    hint = f" (found {close[0]!r}: rename it?)" if close else ""
    return (
        f"missing column{hint}; add a column named {column.name} with {EXAMPLES[column.type]}, "
        f"e.g. a {schema.kind} row: {schema.example_text()} (columns: docs/data.md)"
    )


def _check_column(values: pl.Series, column: Column, problems: _Problems) -> pl.Series:
    """One column converted to its type; its bad, empty and duplicate values reported."""
    converters: dict[str, Callable[[pl.Series], tuple[pl.Series, pl.Series, Reason]]] = {
        "id": lambda s: _to_text(s, strip=True),
        "text": _to_text,
        "float": _to_float,
        "timestamp": _to_timestamp,
        "tags": _to_tags,
    }
    typed, bad, reason = converters[column.type](values)
    typed = typed.alias(column.name)
    problems.at_rows(column.name, bad, reason)
    if column.nonempty:
        problems.at_rows(
            column.name,
            typed.is_null() & ~bad,
            lambda r: f"missing or empty {column.name}; every row needs one",
        )
    repeated = typed.is_not_null() & ~typed.is_first_distinct() if column.unique else None
    if repeated is not None and repeated.any():
        lines = problems.raw.lines
        rows = pl.DataFrame({"v": typed, "row": pl.int_range(typed.len(), eager=True)})
        first = dict(rows.drop_nulls("v").group_by("v").agg(pl.col("row").min()).iter_rows())
        problems.at_rows(
            column.name,
            repeated,
            lambda r: (
                f"duplicate {column.name} {typed[r]!r}, first seen on {problems.raw.unit} "
                f"{lines[first[typed[r]]]}; ids must be unique: remove or merge the duplicate rows"
            ),
        )
    return typed


def _null_where(s: pl.Series, mask: pl.Series) -> pl.Series:
    """`s` with nulls where `mask` is true (a copy; works for every dtype)."""
    return pl.select(pl.when(pl.lit(mask)).then(None).otherwise(pl.lit(s))).to_series()


def _never(row: int) -> str:
    raise AssertionError(f"row {row} has no problem to explain")


def _no_bad(s: pl.Series) -> pl.Series:
    return pl.Series([False] * s.len(), dtype=pl.Boolean)


def _kind_of(dtype: pl.DataType) -> str:
    return "a list" if isinstance(dtype, pl.List | pl.Array) else "an object"


def _to_text(s: pl.Series, strip: bool = False) -> tuple[pl.Series, pl.Series, Reason]:
    """Strings as they are (numbers written as text); whitespace-only is empty."""
    if s.dtype.is_nested():
        what = _kind_of(s.dtype)
        return (
            pl.Series([None] * s.len(), dtype=pl.String),
            s.is_not_null(),
            lambda r: f"expected text, found {what}; write {EXAMPLES['text']}",
        )
    text = s if s.dtype == pl.String else s.cast(pl.String)
    if strip:
        text = text.str.strip_chars()
    blank = text.str.strip_chars().str.len_chars() == 0
    return _null_where(text, blank), _no_bad(s), _never


def _to_float(s: pl.Series) -> tuple[pl.Series, pl.Series, Reason]:
    """Numbers, from numbers or from text such as "2.5"."""
    if s.dtype.is_numeric() or s.dtype == pl.Boolean:
        num = s.cast(pl.Float64)
        bad = ~num.is_finite()
    elif s.dtype == pl.String:
        text = s.str.strip_chars()
        num = text.cast(pl.Float64, strict=False)
        bad = (text.str.len_chars() > 0) & (num.is_null() | ~num.is_finite())
    else:
        num, bad = pl.Series([None] * s.len(), dtype=pl.Float64), s.is_not_null()
    bad = bad.fill_null(False)
    return (
        _null_where(num, bad),
        bad,
        lambda r: (
            f"not a number: {s[r]!r}; write {EXAMPLES['float']} (with . as the decimal "
            "point and no thousands separator)"
        ),
    )


def _to_tags(s: pl.Series) -> tuple[pl.Series, pl.Series, Reason]:
    """A list of strings, from a list or from text such as "red|summer" (also , or ;)."""
    if isinstance(s.dtype, pl.List | pl.Array) and not s.dtype.inner.is_nested():
        tags = s.cast(pl.List(pl.String))
    elif s.dtype == pl.String:
        tags = (
            s.str.replace_all(r"[;,]", "|")
            .str.strip_chars(" []")
            .str.split("|")
            .list.eval(pl.element().str.strip_chars(" \"'"))
        )
    else:
        return (
            pl.Series([None] * s.len(), dtype=pl.List(pl.String)),
            s.is_not_null(),
            lambda r: f"cannot read tags from {_kind_of(s.dtype)}; write {EXAMPLES['tags']}",
        )
    tags = tags.list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
    empty = (tags.list.len() == 0).fill_null(False)
    return _null_where(tags, empty), _no_bad(s), _never


def _to_timestamp(s: pl.Series) -> tuple[pl.Series, pl.Series, Reason]:
    """UTC datetimes from ISO-8601 text, unix seconds, or a date/datetime column."""
    utc = POLARS_TYPES["timestamp"]
    if isinstance(s.dtype, pl.Datetime):
        stamps = s.dt.replace_time_zone("UTC") if s.dtype.time_zone is None else s
        return stamps.dt.convert_time_zone("UTC").cast(utc), _no_bad(s), _never
    if s.dtype == pl.Date:
        return s.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"), _no_bad(s), _never
    if s.dtype.is_numeric():
        seconds = s.cast(pl.Float64)
        too_big = (seconds.abs() >= _MAX_UNIX_SECONDS).fill_null(False) | seconds.is_nan()
        micros = _null_where((seconds * 1_000_000).round(0).cast(pl.Int64, strict=False), too_big)
        stamps = pl.from_epoch(micros, time_unit="us").dt.replace_time_zone("UTC")
        return stamps, too_big, lambda r: _millis_reason(s[r])
    if s.dtype != pl.String:
        return (
            pl.Series([None] * s.len(), dtype=utc),
            s.is_not_null(),
            lambda r: f"expected a timestamp, found {_kind_of(s.dtype)}; {_TIMESTAMP_FIX}",
        )
    text = s.str.strip_chars()
    digits = text.str.contains(r"^-?\d+$").fill_null(False)
    ints = _null_where(text.cast(pl.Int64, strict=False), ~digits)
    too_big = digits & (ints.abs() >= _MAX_UNIX_SECONDS).fill_null(True)  # null: beyond Int64
    ints = _null_where(ints, too_big)
    candidates = [pl.from_epoch(ints, time_unit="s").dt.replace_time_zone("UTC").cast(utc)]
    for fmt in _ISO_FORMATS:
        candidates.append(text.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC"))
    stamps = pl.select(pl.coalesce(candidates)).to_series()
    left = (stamps.is_null() & (text.str.len_chars() > 0) & ~too_big).fill_null(False)
    errors: dict[str, str] = {}
    if left.any():
        rows = left.arg_true()
        parsed = {v: _fromisoformat(v, errors) for v in text.gather(rows).unique().to_list()}
        fixed = pl.Series([parsed[v] for v in text.gather(rows).to_list()], dtype=utc)
        stamps = stamps.scatter(rows, fixed)
    bad = too_big | (left & stamps.is_null())

    def reason(r: int) -> str:
        if too_big[r]:
            return _millis_reason(s[r])
        why = errors.get(text[r], "")
        why = "" if why.startswith("Invalid isoformat") else f" ({why})"
        return f"cannot read timestamp {s[r]!r}{why}; {_TIMESTAMP_FIX}"

    return stamps.cast(utc), bad, reason


def _fromisoformat(value: str, errors: dict[str, str]) -> datetime | None:
    """Python's ISO-8601 parser for the shapes the fast paths miss; naive means UTC."""
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError as e:
        errors[value] = str(e)
        return None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _millis_reason(value: object) -> str:
    return (
        f"{value!r} is too large for unix seconds (it looks like milliseconds); divide it "
        f"by 1000, or {_TIMESTAMP_FIX}"
    )
