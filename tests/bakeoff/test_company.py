"""Company files as bench data: stratified ticket split, left-last-out events split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from inhouse.bakeoff.company import split_events, split_tickets
from inhouse.errors import InhouseError


def _tickets(per_intent: dict[str, int]) -> pl.DataFrame:
    rows = [
        (f"{intent}-{i}", f"text {intent} {i}", intent)
        for intent, n in per_intent.items()
        for i in range(n)
    ]
    return pl.DataFrame(rows, schema=["ticket_id", "text", "intent"], orient="row")


def test_ticket_split_is_stratified_seeded_and_disjoint() -> None:
    t = _tickets({"a": 10, "b": 20, "c": 1})
    d = split_tickets(t, seed=0)
    assert d.intents == ["a", "b", "c"]
    counts = d.test.group_by("intent").len().sort("intent")
    assert dict(counts.iter_rows()) == {"a": 2, "b": 4}  # 20 % of each; "c" stays in train
    assert d.valid.height == 1 + 2
    ids = [set(f["ticket_id"]) for f in (d.train, d.valid, d.test)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert sum(map(len, ids)) == 31
    assert split_tickets(t, seed=0).test.equals(d.test)
    assert not split_tickets(t, seed=1).test.equals(d.test)


def test_tickets_without_two_intents_are_refused() -> None:
    with pytest.raises(InhouseError, match="at least two different intents"):
        split_tickets(_tickets({"a": 5}))


def test_events_leave_last_out_per_user_by_time() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [("u1", f"i{k}", t0 + timedelta(days=k)) for k in (3, 1, 2, 4)] + [
        ("u2", "i1", t0),
        ("u2", "i2", t0 + timedelta(days=1)),
    ]
    events = pl.DataFrame(rows, schema=["user_id", "item_id", "timestamp"], orient="row")
    catalog = pl.DataFrame({"item_id": ["i1", "i2", "i3", "i4"], "title": list("abcd")})
    d = split_events(catalog, events)
    (case,) = d.test
    assert (case.user_id, case.history, case.targets) == ("u1", ["i1", "i2", "i3"], ["i4"])
    assert d.valid[0].history == ["i1", "i2"] and d.valid[0].targets == ["i3"]
    # u2 has too few events to evaluate: all of it is training data
    assert sorted(d.train_events["user_id"].to_list()) == ["u1", "u1", "u2", "u2"]
    assert d.valid_events["item_id"].to_list() == ["i3"]


def _articles() -> pl.DataFrame:
    return pl.DataFrame(
        {"article_id": ["a1", "a2"], "title": ["Cards", "Refunds"], "body": ["card", "refund"]}
    )


def test_tickets_naming_articles_become_seeded_disjoint_queries() -> None:
    from inhouse.bakeoff.company import split_queries

    t = _tickets({"a": 6, "b": 4}).with_columns(
        pl.when(pl.col("intent") == "a").then(pl.lit("a1")).otherwise(None).alias("article_id")
    )
    d = split_queries(t, _articles())
    assert (len(d.dev), len(d.test)) == (2, 4)  # 30 % of the 6 tickets naming an article
    ids = [q.query_id for q in d.dev + d.test]
    assert sorted(ids) == [f"a-{i}" for i in range(6)] and len(set(ids)) == 6
    assert all(q.relevant == ["a1"] for q in d.test)
    assert [q.query_id for q in split_queries(t, _articles()).test] == [q.query_id for q in d.test]


def test_articles_without_linked_tickets_or_with_unknown_ids_are_refused() -> None:
    from inhouse.bakeoff.company import split_queries

    none = _tickets({"a": 3}).with_columns(pl.lit(None, pl.String).alias("article_id"))
    with pytest.raises(InhouseError, match="add an article_id column"):
        split_queries(none, _articles())
    bad = _tickets({"a": 3}).with_columns(pl.lit("a9").alias("article_id"))
    with pytest.raises(InhouseError, match="1 article id.*'a9'"):
        split_queries(bad, _articles())
