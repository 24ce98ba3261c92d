"""One flat dict of counts per kind of company data, for `inhouse data check` and reports."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from inhouse.data.schema import get_schema

Summary = dict[str, int | float | str | None]


def summarize(df: pl.DataFrame, kind: str) -> Summary:
    """Counts that tell whether a file holds what it should.

    Every kind: `rows`. catalog: `items`, `with_description` (share in [0, 1]), `categories`.
    events: `users`, `items`, `first`, `last` (ISO-8601 UTC), `span_days`, `event_types`.
    tickets: `intents`, `with_intent`, `with_resolution` (shares). articles: `articles`,
    `mean_body_chars`. messages: `rows` only.

    >>> summarize(read_events("events.csv"), "events")["users"]  # doctest: +SKIP
    2672
    """
    get_schema(kind)  # unknown kinds fail here
    rows = df.height
    out: Summary = {"rows": rows}

    def share(column: str) -> float | None:
        return round(int(df[column].is_not_null().sum()) / rows, 4) if rows else None

    if kind == "catalog":
        out |= {
            "items": df["item_id"].n_unique(),
            "with_description": share("description"),
            "categories": df["category"].drop_nulls().n_unique(),
        }
    elif kind == "events":
        first, last = df["timestamp"].min(), df["timestamp"].max()
        assert first is None or isinstance(first, datetime), "timestamps are datetimes"
        assert last is None or isinstance(last, datetime), "timestamps are datetimes"
        out |= {
            "users": df["user_id"].n_unique(),
            "items": df["item_id"].n_unique(),
            "first": _iso(first),
            "last": _iso(last),
            "span_days": round((last - first).total_seconds() / 86400, 2)
            if first and last
            else None,
            "event_types": df["event"].drop_nulls().n_unique(),
        }
    elif kind == "tickets":
        out |= {
            "intents": df["intent"].drop_nulls().n_unique(),
            "with_intent": share("intent"),
            "with_resolution": share("resolution"),
        }
    elif kind == "articles":
        mean = df["body"].str.len_chars().mean()
        out |= {
            "articles": df["article_id"].n_unique(),
            "mean_body_chars": round(float(mean), 1) if isinstance(mean, int | float) else None,
        }
    return out


def _iso(stamp: datetime | None) -> str | None:
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ") if stamp is not None else None
