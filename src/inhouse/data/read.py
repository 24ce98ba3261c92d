"""Read and validate company data: one typed polars DataFrame per file, or one `DataError`.

>>> events = read_events("events.csv", catalog="catalog.csv")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import polars as pl

from inhouse.data.load import load
from inhouse.data.schema import get_schema
from inhouse.data.validate import DEFAULT_MAX_PROBLEMS, validate


def read(
    path: Path | str,
    kind: str,
    *,
    catalog: pl.DataFrame | Path | str | None = None,
    intents: Collection[str] | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> pl.DataFrame:
    """Read and validate one file of company data of `kind`.

    Returns a DataFrame with exactly the kind's documented columns and types (see
    `inhouse.data.schema.SCHEMAS`); raises one `DataError` listing every problem found, up to
    `max_problems`. `catalog` (events only) makes unknown item ids an error; `intents`
    (tickets only) makes unknown intents an error.

    >>> events = read("events.csv", "events", catalog="catalog.parquet")  # doctest: +SKIP
    """
    schema = get_schema(kind)
    known_items = None
    catalog_name = None
    if catalog is not None:
        assert kind == "events", "only events are checked against a catalog"
        if not isinstance(catalog, pl.DataFrame):
            catalog_name = str(catalog)
            catalog = read_catalog(catalog, max_problems=max_problems)
        known_items = catalog["item_id"]
    assert intents is None or kind == "tickets", "only tickets have intents"
    raw = load(path)
    return validate(
        raw,
        schema,
        known_items=known_items,
        catalog_name=catalog_name,
        intents=intents,
        max_problems=max_problems,
    )


def read_catalog(path: Path | str, *, max_problems: int = DEFAULT_MAX_PROBLEMS) -> pl.DataFrame:
    """Catalog: item_id, title, description, tags (list), category, url. Ids are unique."""
    return read(path, "catalog", max_problems=max_problems)


def read_events(
    path: Path | str,
    catalog: pl.DataFrame | Path | str | None = None,
    *,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> pl.DataFrame:
    """Events: user_id, item_id, timestamp (UTC), event, value; items checked against `catalog`."""
    return read(path, "events", catalog=catalog, max_problems=max_problems)


def read_tickets(
    path: Path | str,
    intents: Collection[str] | None = None,
    *,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> pl.DataFrame:
    """Tickets: ticket_id, text, intent, resolution, timestamp; intents checked if given."""
    return read(path, "tickets", intents=intents, max_problems=max_problems)


def read_articles(path: Path | str, *, max_problems: int = DEFAULT_MAX_PROBLEMS) -> pl.DataFrame:
    """Help-center articles: article_id, title, body. Ids are unique."""
    return read(path, "articles", max_problems=max_problems)
