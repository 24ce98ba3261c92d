"""The four kinds of company data, kept as data: one small record per kind.

Adding a column is adding a `Column` to a record; the readers and the validator follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from inhouse.errors import ConfigError

Kind = Literal["catalog", "events", "tickets", "articles", "messages"]
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
    "id": "a non-empty id",
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
    example: str = ""
    """A value as it would appear in a file of this kind (docs, and messages that say how to
    fix a file)."""
    doc: str = ""
    """What the column holds, in one line (docs/data.md)."""


@dataclass(frozen=True)
class Schema:
    """The columns of one kind of company data, in output order."""

    kind: Kind
    doc: str
    columns: tuple[Column, ...]
    shown: tuple[str, ...] = ()
    """Optional columns shown in the one-line example beside the required ones."""

    @property
    def names(self) -> list[str]:
        """Column names in output order."""
        return [c.name for c in self.columns]

    @property
    def example_row(self) -> dict[str, str]:
        """One row of this kind, column -> value as written in a CSV (required columns first)."""
        ordered = sorted(self.columns, key=lambda c: not c.required)
        return {c.name: c.example for c in ordered if c.example}

    def example_text(self) -> str:
        """`ticket_id=t-1001, text=...`: an example row's required (and `shown`) columns."""
        picked = [c for c in self.columns if c.required or c.name in self.shown]
        return ", ".join(f"{c.name}={c.example}" for c in picked)

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        """The exact schema of the DataFrame a reader returns."""
        return {c.name: POLARS_TYPES[c.type] for c in self.columns}


SCHEMAS: dict[str, Schema] = {
    "catalog": Schema(
        kind="catalog",
        doc="Items that can be recommended, with their text.",
        columns=(
            Column(
                "item_id",
                "id",
                nonempty=True,
                unique=True,
                example="sku-123",
                doc="The item's id, as events name it.",
            ),
            Column(
                "title",
                "text",
                nonempty=True,
                example="Linen shirt",
                doc="The item's name; text recommenders read it.",
            ),
            Column(
                "description",
                "text",
                required=False,
                example="A light shirt for summer",
                doc="Longer text about the item.",
            ),
            Column(
                "tags", "tags", required=False, example="linen|summer", doc="Labels of the item."
            ),
            Column(
                "category", "text", required=False, example="shirts", doc="The item's category."
            ),
            Column(
                "url",
                "text",
                required=False,
                example="https://shop.example/sku-123",
                doc="Where the item lives.",
            ),
        ),
    ),
    "events": Schema(
        kind="events",
        doc="Interactions: a user did something with an item at a time.",
        columns=(
            Column("user_id", "id", nonempty=True, example="u42", doc="Who did it."),
            Column(
                "item_id",
                "id",
                nonempty=True,
                example="sku-123",
                doc="Which catalog item (an item_id of the catalog).",
            ),
            Column(
                "timestamp",
                "timestamp",
                nonempty=True,
                example="2024-01-31T12:00:00Z",
                doc=(
                    "When, in UTC; the last events of each user are held out for testing. "
                    "Events of one user at the same time are ordered by `sequence`, then by "
                    "item_id, never by their order in the file."
                ),
            ),
            Column(
                "sequence",
                "float",
                required=False,
                example="2",
                doc="Order of the user's events that share a timestamp: smaller first.",
            ),
            Column(
                "event",
                "text",
                required=False,
                example="purchase",
                doc="What was done: view, cart, purchase, ...",
            ),
            Column(
                "value",
                "float",
                required=False,
                example="1",
                doc="How much: a quantity, a rating; weighs the event.",
            ),
        ),
    ),
    "tickets": Schema(
        kind="tickets",
        doc="Past support tickets: what the customer wrote, its intent and how it was resolved.",
        shown=("intent",),
        columns=(
            Column(
                "ticket_id",
                "id",
                nonempty=True,
                unique=True,
                example="t-1001",
                doc="The ticket's id.",
            ),
            Column(
                "text",
                "text",
                nonempty=True,
                example="my card has not arrived",
                doc="What the customer wrote.",
            ),
            Column(
                "intent",
                "text",
                required=False,
                example="card_arrival",
                doc="The ticket's intent; routers learn from it (`oos`: out of scope).",
            ),
            Column(
                "resolution",
                "text",
                required=False,
                example="We sent a new card; it arrives within 3 days.",
                doc="How an agent answered it; answers are suggested from it.",
            ),
            Column(
                "timestamp",
                "timestamp",
                required=False,
                example="2024-01-31T12:00:00Z",
                doc="When it was opened, in UTC.",
            ),
            Column(
                "article_id",
                "id",
                required=False,
                example="kb-12",
                doc="The help-center article that answered it (bake-off article search).",
            ),
        ),
    ),
    "articles": Schema(
        kind="articles",
        doc="Help-center articles that answers are grounded in.",
        columns=(
            Column(
                "article_id",
                "id",
                nonempty=True,
                unique=True,
                example="kb-12",
                doc="The article's id.",
            ),
            Column(
                "title",
                "text",
                nonempty=True,
                example="When will my card arrive?",
                doc="The article's title.",
            ),
            Column(
                "body",
                "text",
                nonempty=True,
                example="Cards arrive within 5 working days of the order.",
                doc="The article's text; answers quote it.",
            ),
        ),
    ),
    "messages": Schema(
        kind="messages",
        doc="Customer messages to route (`inhouse support route --file`).",
        columns=(
            Column(
                "text",
                "text",
                nonempty=True,
                example="my card has not arrived",
                doc="The customer's message.",
            ),
            Column(
                "message_id",
                "id",
                required=False,
                example="m-1",
                doc="An id printed beside its route (else its line).",
            ),
        ),
    ),
}
KINDS: tuple[str, ...] = tuple(SCHEMAS)


def get_schema(kind: str) -> Schema:
    """The schema of `kind`, or a `ConfigError` naming the kinds there are."""
    if kind not in SCHEMAS:
        raise ConfigError(f"unknown data kind {kind!r}; use one of: {', '.join(KINDS)}")
    return SCHEMAS[kind]
