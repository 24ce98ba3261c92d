"""The four kinds of company data, kept as data: one small record per kind.

Adding a column is adding a `Column` to a record; the readers and the validator follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from inhouse.errors import ConfigError

Kind = Literal["catalog", "events", "tickets", "articles"]
ColumnType = Literal["id", "text", "float", "timestamp", "tags"]

# The polars type each column type is read into.
POLARS_TYPES: dict[str, pl.DataType] = {
    "id": pl.String(),
    "text": pl.String(),
    "float": pl.Float64(),
    "timestamp": pl.Datetime("us", "UTC"),
    "tags": pl.List(pl.String()),
}

# What a user should write, per column type: used in the "how to fix it" part of messages.
EXAMPLES: dict[str, str] = {
    "id": "a non-empty id such as sku-123",
    "text": "plain text",
    "float": "a plain number such as 1 or 2.5",
    "timestamp": "ISO-8601 such as 2024-01-31T12:00:00Z, or unix seconds such as 1706702400",
    "tags": "tags separated by | such as red|summer (a JSON list in JSONL/Parquet)",
}


@dataclass(frozen=True)
class Column:
    """One documented column of a kind of company data."""

    name: str
    """Column name, exactly as it must appear in the file's header or JSON keys."""
    type: ColumnType
    """How the column is read: id and text as strings, float, UTC timestamp, list of tags."""
    required: bool = True
    """The column must be present in the file (optional columns are filled with nulls)."""
    nonempty: bool = False
    """Every row must have a non-empty value (ids, titles, ticket and article text)."""
    unique: bool = False
    """No two rows may share a value (the kind's primary id)."""


@dataclass(frozen=True)
class Schema:
    """The columns of one kind of company data, in output order."""

    kind: Kind
    doc: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        """Column names in output order."""
        return [c.name for c in self.columns]

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        """The exact schema of the DataFrame a reader returns."""
        return {c.name: POLARS_TYPES[c.type] for c in self.columns}


SCHEMAS: dict[str, Schema] = {
    "catalog": Schema(
        kind="catalog",
        doc="Items that can be recommended, with their text.",
        columns=(
            Column("item_id", "id", nonempty=True, unique=True),
            Column("title", "text", nonempty=True),
            Column("description", "text", required=False),
            Column("tags", "tags", required=False),
            Column("category", "text", required=False),
            Column("url", "text", required=False),
        ),
    ),
    "events": Schema(
        kind="events",
        doc="Interactions: a user did something with an item at a time.",
        columns=(
            Column("user_id", "id", nonempty=True),
            Column("item_id", "id", nonempty=True),
            Column("timestamp", "timestamp", nonempty=True),
            Column("event", "text", required=False),
            Column("value", "float", required=False),
        ),
    ),
    "tickets": Schema(
        kind="tickets",
        doc="Past support tickets: what the customer wrote, its intent and how it was resolved.",
        columns=(
            Column("ticket_id", "id", nonempty=True, unique=True),
            Column("text", "text", nonempty=True),
            Column("intent", "text", required=False),
            Column("resolution", "text", required=False),
            Column("timestamp", "timestamp", required=False),
        ),
    ),
    "articles": Schema(
        kind="articles",
        doc="Help-center articles that answers are grounded in.",
        columns=(
            Column("article_id", "id", nonempty=True, unique=True),
            Column("title", "text", nonempty=True),
            Column("body", "text", nonempty=True),
        ),
    ),
}
KINDS: tuple[str, ...] = tuple(SCHEMAS)


def get_schema(kind: str) -> Schema:
    """The schema of `kind`, or a `ConfigError` naming the kinds there are."""
    if kind not in SCHEMAS:
        raise ConfigError(f"unknown data kind {kind!r}; use one of: {', '.join(KINDS)}")
    return SCHEMAS[kind]
