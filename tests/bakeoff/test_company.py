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


def _tied_files(tmp_path, shuffle_seed: int | None):
    """A catalog and an events file where most users' last two events share a second."""
    import random

    rows = []
    for u in range(30):
        day = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=u % 3)
        items = [f"i{(u * 7 + k) % 12}" for k in range(5)]
        times = [day + timedelta(hours=k) for k in range(3)] + [day + timedelta(hours=9)] * 2
        rows += [(f"u{u}", i, t.isoformat()) for i, t in zip(items, times, strict=True)]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(rows)
    folder = tmp_path / f"files-{shuffle_seed}"
    folder.mkdir()
    pl.DataFrame(rows, schema=["user_id", "item_id", "timestamp"], orient="row").write_csv(
        folder / "events.csv"
    )
    pl.DataFrame(
        {"item_id": [f"i{k}" for k in range(12)], "title": [f"t{k}" for k in range(12)]}
    ).write_csv(folder / "catalog.csv")
    return folder / "catalog.csv", folder / "events.csv"


def test_shuffled_rows_give_identical_splits_and_metrics(tmp_path) -> None:
    from inhouse.bakeoff.company import load_events
    from inhouse.recommend.evaluate import bench_recommend

    datas = [load_events(*_tied_files(tmp_path, seed)) for seed in (None, 1, 2)]
    first = datas[0]
    assert first.ties["users"] == 30 and first.ties["held_out"] == 30 and first.ties["of"] == 30
    metrics = []
    for d in datas:
        assert d.test == first.test and d.valid == first.valid
        assert d.train_events.sort("user_id", "item_id").equals(
            first.train_events.sort("user_id", "item_id")
        )
        rows = bench_recommend(d, ["popularity", "cooc"]).systems
        metrics.append([r.metrics for r in rows])
    assert metrics[0] == metrics[1] == metrics[2]
    # the rule, not the clock, picked the test item: the larger item id of the tied pair
    case = next(c for c in first.test if c.user_id == "u0")
    assert case.targets == ["i4"] and case.history[-1] == "i3"


def test_own_test_tickets_are_the_test_set_and_validation_comes_from_training() -> None:
    train = _tickets({"a": 10, "b": 10})
    own = _tickets({"a": 3, "b": 2}).with_columns(pl.col("ticket_id") + "-test")
    d = split_tickets(train, test=own)
    assert d.test["ticket_id"].to_list() == own["ticket_id"].to_list()
    assert d.valid.height == 2 and d.train.height == 18  # 10 % of each intent, nothing to test
    assert "own test file" in d.protocol


def test_own_test_events_are_the_targets_after_the_whole_training_history() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    cols = ["user_id", "item_id", "timestamp"]
    train = pl.DataFrame(
        [("u1", "i1", t0), ("u1", "i2", t0 + timedelta(days=1)), ("u2", "i1", t0)],
        schema=cols,
        orient="row",
    )
    later = t0 + timedelta(days=5)
    own = pl.DataFrame(
        [("u1", "i4", later), ("u1", "i3", later), ("u3", "i1", later)], schema=cols, orient="row"
    )
    catalog = pl.DataFrame({"item_id": ["i1", "i2", "i3", "i4"], "title": list("abcd")})
    d = split_events(catalog, train, test=own)
    (case,) = d.test  # u3 has no history: left out, and said so
    assert (case.user_id, case.history, case.targets) == ("u1", ["i1", "i2"], ["i3", "i4"])
    assert [(c.user_id, c.history, c.targets) for c in d.valid] == [("u1", ["i1"], ["i2"])]
    assert "1 users without history left out" in d.protocol
    with pytest.raises(InhouseError, match="no user of the --test-events file"):
        split_events(catalog, train, test=own.filter(pl.col("user_id") == "u3"))


def test_own_test_tickets_with_an_unknown_intent_are_refused_with_file_and_line(tmp_path) -> None:
    from inhouse.bakeoff.company import load_support

    _tickets({"a": 5, "b": 5}).write_csv(tmp_path / "train.csv")
    _tickets({"a": 1, "zzz": 1}).write_csv(tmp_path / "test.csv")
    with pytest.raises(InhouseError, match=r"test\.csv:3"):
        load_support(tmp_path / "train.csv", test_tickets=tmp_path / "test.csv")
