"""What dataset loaders return: typed company data plus the split the dataset's protocol defines.

Frames use the column names of `inhouse.data` (catalog, events, tickets, articles), so a
benchmark dataset and a company's own files go through the same code. Ids are strings,
`timestamp` is `pl.Datetime("us", "UTC")`, `value` a float, `tags` a list of strings; a field a
dataset does not have is null.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class RecCase:
    """One evaluation row: a user's history (oldest first) and the item(s) to predict."""

    user_id: str
    history: list[str]
    targets: list[str]


@dataclass(frozen=True)
class RecommendData:
    """A recommend dataset: catalog, the events a model may train on, and evaluation cases.

    `train_events` hold only what happened before each user's validation target. `valid`
    cases end before the test target; a final model may be re-fit on `train_events` plus
    the validation targets (`valid_events`) before it is scored on `test`.
    """

    name: str
    catalog: pl.DataFrame  # item_id, title, description, tags, category, url
    train_events: pl.DataFrame  # user_id, item_id, timestamp, event, value
    valid_events: pl.DataFrame  # the validation targets as events
    valid: list[RecCase]
    test: list[RecCase]
    protocol: str
    ties: dict[str, int | str] = field(default_factory=dict)
    """Equal timestamps: `users` having them (`of` all users), `held_out` whose valid/test event
    they decided, and the `rule` that ordered them (company files; empty where times are unique)."""


@dataclass(frozen=True)
class IntentData:
    """An intent-routing dataset. `oos_label` marks out-of-scope rows where the set has them."""

    name: str
    train: pl.DataFrame  # ticket_id, text, intent
    valid: pl.DataFrame
    test: pl.DataFrame
    intents: list[str]
    protocol: str
    oos_label: str | None = None


@dataclass(frozen=True)
class RetrievalQuery:
    """A customer message and the ids of the articles that answer it."""

    query_id: str
    text: str
    relevant: list[str]


@dataclass(frozen=True)
class RetrievalData:
    """A help-center retrieval dataset: articles and queries split into dev and test."""

    name: str
    articles: pl.DataFrame  # article_id, title, body
    dev: list[RetrievalQuery]
    test: list[RetrievalQuery]
    protocol: str


@dataclass(frozen=True)
class ResponseData:
    """Past tickets with resolutions, for response suggestion: a seeded train / test hold-out."""

    name: str
    train: pl.DataFrame  # ticket_id, text, intent, resolution
    test: pl.DataFrame
    protocol: str
    categories: dict[str, str] = field(default_factory=dict)  # intent -> category
