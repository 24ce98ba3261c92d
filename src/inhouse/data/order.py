"""The one order of events in time, so a split never depends on the order of rows in a file.

Events of one user that share a timestamp are ordered by `sequence` (smaller first; rows
without one after those with one), then by `item_id`, then by `event` and `value`. Rows that
agree on all of these are the same event to every recommender, so their order cannot matter.

>>> ordered = sort_events(events)  # doctest: +SKIP
"""

from __future__ import annotations

import polars as pl

TIE_RULE = (
    "events of one user with the same timestamp are ordered by `sequence` (smaller first, where "
    "given), then by item_id; the order of rows in the file is never used"
)
TIE_COLUMNS = ("sequence", "item_id", "event", "value")


def order_keys(events: pl.DataFrame, by_user: bool = True) -> list[str]:
    """The sort keys of `TIE_RULE` that `events` has: user_id, timestamp, then the tie-breakers."""
    head = ["user_id", "timestamp"] if by_user else ["timestamp"]
    return head + [c for c in TIE_COLUMNS if c in events.columns]


def sort_events(events: pl.DataFrame, by_user: bool = True) -> pl.DataFrame:
    """`events` sorted by user then time (or by time alone), ties broken by `TIE_RULE`."""
    return events.sort(order_keys(events, by_user), nulls_last=True)


def tied_users(events: pl.DataFrame) -> int:
    """How many users have two or more different events at the same timestamp."""
    if events.height == 0:
        return 0
    per_time = events.group_by("user_id", "timestamp").agg(pl.col("item_id").n_unique().alias("n"))
    return per_time.filter(pl.col("n") > 1)["user_id"].n_unique()
