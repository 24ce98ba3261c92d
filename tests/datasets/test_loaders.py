"""The seven loaders on the real files: counts as in ../shared/datasets/README.md, and splits."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from inhouse.datasets import (
    CATALOGUE,
    IntentData,
    RecommendData,
    ResponseData,
    RetrievalData,
    load,
)
from inhouse.datasets.recommend import RETAIL_NON_PRODUCT

DATA_DIR = os.environ.get("INHOUSE_DATA_DIR")
pytestmark = pytest.mark.skipif(not DATA_DIR, reason="INHOUSE_DATA_DIR is not set")


@pytest.fixture(scope="module")
def data() -> dict[str, object]:
    return {name: load(name) for name in CATALOGUE.names()}


def _users(d: RecommendData) -> set[str]:
    return set(d.train_events["user_id"]) | {c.user_id for c in d.test}


def test_amazon_scientific(data):
    d = data["amazon-scientific"]
    assert isinstance(d, RecommendData)
    assert len(_users(d)) == 8442 and len(d.test) == len(d.valid) == 8442
    assert d.catalog.height == 4385 and d.catalog["title"].null_count() == 0
    items = set(d.catalog["item_id"])
    assert set(d.train_events["item_id"]) <= items
    # 59,384 interactions counted from the test rows (histories truncated at 50) ...
    assert sum(len(c.history) + 1 for c in d.test) == 59384
    # ... and every user's training sequence ends with the valid history, then valid, then test.
    seqs = dict(
        d.train_events.group_by("user_id").agg(pl.col("item_id").sort_by("timestamp")).rows()
    )
    for v, t in zip(d.valid, d.test, strict=True):
        assert v.user_id == t.user_id
        assert seqs[v.user_id][-len(v.history) :] == v.history
        assert t.history[-1] == v.targets[0]
    assert d.valid_events.height == 8442


def test_goodbooks_sample(data):
    d = data["goodbooks-sample"]
    assert isinstance(d, RecommendData)
    assert len(_users(d)) == 2672
    assert d.train_events.height + d.valid_events.height + len(d.test) == 298176
    rated = set(d.train_events["item_id"]) | set(d.valid_events["item_id"])
    rated |= {t for c in d.test for t in c.targets}
    assert len(rated) == 9990 and d.catalog.height == 10000
    assert set(d.train_events["value"].unique()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    raw = pl.read_csv(Path(DATA_DIR, "goodbooks-sample", "ratings_random.csv"))
    last = raw.group_by("user_id", maintain_order=True).agg(pl.col("book_id").last())
    first_user, first_last = last.row(0)
    case = next(c for c in d.test if c.user_id == str(first_user))
    assert case.targets == [str(first_last)]
    hunger = d.catalog.filter(pl.col("item_id") == "1").row(0, named=True)
    assert "Suzanne Collins" in hunger["description"] and "2008" in hunger["description"]
    assert "young-adult" in hunger["tags"]


def test_online_retail(data):
    d = data["online-retail"]
    assert isinstance(d, RecommendData)
    raw = pl.read_csv(
        Path(DATA_DIR, "online-retail", "purchases.csv.gz"),
        schema_overrides={"customer_id": pl.String, "stock_code": pl.String},
    )
    assert raw.height == 397924 and raw["customer_id"].n_unique() == 4339
    kept = raw.filter(~pl.col("stock_code").is_in(RETAIL_NON_PRODUCT))
    assert kept.height == 396374
    events = pl.concat([d.train_events, d.valid_events])
    test_lines = kept.height - events.height
    assert test_lines > 0
    assert not set(events["item_id"]) & set(RETAIL_NON_PRODUCT)
    assert d.train_events["timestamp"].max() < d.valid_events["timestamp"].min()
    end = kept["unix_ts"].max()
    test_start = datetime.fromtimestamp(end - 30 * 86400, UTC)
    assert d.valid_events["timestamp"].max() < test_start
    assert len(d.test) > 1000 and all(c.history and c.targets for c in d.test)
    assert all(len(set(c.targets)) == len(c.targets) for c in d.test)


def test_banking77(data):
    d = data["banking77"]
    assert isinstance(d, IntentData)
    assert d.train.height + d.valid.height == 10003 and d.test.height == 3080
    assert d.valid.height == 1001 and len(d.intents) == 77
    assert set(d.valid["intent"]) == set(d.intents)  # stratified: every intent held out
    assert not set(d.train["ticket_id"]) & set(d.valid["ticket_id"])


def test_clinc150(data):
    d = data["clinc150"]
    assert isinstance(d, IntentData)
    assert d.oos_label == "oos" and len(d.intents) == 150
    counts = [
        (s.filter(pl.col("intent") != "oos").height, s.filter(pl.col("intent") == "oos").height)
        for s in (d.train, d.valid, d.test)
    ]
    assert counts == [(15000, 100), (3000, 100), (4500, 1000)]


def test_bank_help_center(data):
    d = data["bank-help-center"]
    assert isinstance(d, RetrievalData)
    assert d.articles.height == 698 and len(d.dev) == 30 and len(d.test) == 67
    assert d.dev[0].query_id == "task_001"
    ids = set(d.articles["article_id"])
    assert all(q.relevant and set(q.relevant) <= ids for q in d.dev + d.test)


def test_bitext_support(data):
    d = data["bitext-support"]
    assert isinstance(d, ResponseData)
    assert d.train.height + d.test.height == 4514
    assert d.test.height == 903 and len(d.categories) == 27
    assert len(set(d.categories.values())) == 11
    assert set(d.test["intent"]) == set(d.categories)
    # seeded: the same hold-out every time
    again = load("bitext-support")
    assert isinstance(again, ResponseData)
    assert again.test["ticket_id"].to_list() == d.test["ticket_id"].to_list()
