"""The recommend loaders on tiny hand-written files with known splits."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl

from inhouse.datasets.recommend import (
    load_amazon_scientific,
    load_goodbooks_sample,
    load_online_retail,
)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _items(events: pl.DataFrame, user: str) -> list[str]:
    return events.filter(pl.col("user_id") == user).sort("timestamp")["item_id"].to_list()


def test_amazon_rebuilds_sequences_even_when_histories_are_truncated(tmp_path: Path) -> None:
    head = "user_id:token\titem_id_list:token_seq\titem_id:token\n"
    # user 0: items 0..4. user 1: items 5..10 with histories truncated at 2 items.
    _write(
        tmp_path / "Scientific.train.inter",
        head + "0\t0 1\t2\n0\t0\t1\n1\t6 7\t8\n1\t5 6\t7\n1\t5\t6\n",
    )
    _write(tmp_path / "Scientific.valid.inter", head + "0\t0 1 2\t3\n1\t7 8\t9\n")
    _write(tmp_path / "Scientific.test.inter", head + "0\t0 1 2 3\t4\n1\t8 9\t10\n")
    asins = [f"B{i:03d}" for i in range(11)]
    _write(tmp_path / "Scientific.item2index", "".join(f"{a}\t{i}\n" for i, a in enumerate(asins)))
    _write(
        tmp_path / "Scientific.text",
        "item_id:token\ttext:token_seq\n" + "".join(f'{a}\tItem {a} "quoted". \n' for a in asins),
    )
    data = load_amazon_scientific(tmp_path, "amazon-scientific", "loo")

    assert data.catalog["item_id"].to_list() == [str(i) for i in range(11)]
    assert data.catalog.row(3, named=True)["title"] == 'Item B003 "quoted".'
    assert data.catalog.row(3, named=True)["url"] == "https://www.amazon.com/dp/B003"
    assert _items(data.train_events, "0") == ["0", "1", "2"]
    assert _items(data.train_events, "1") == ["5", "6", "7", "8"]  # not cut to the last 2
    valid = {c.user_id: c for c in data.valid}
    test = {c.user_id: c for c in data.test}
    assert (valid["0"].history, valid["0"].targets) == (["0", "1", "2"], ["3"])
    assert (test["1"].history, test["1"].targets) == (["8", "9"], ["10"])
    last_train = data.train_events.filter(pl.col("user_id") == "1")["timestamp"].max()
    valid_event = data.valid_events.filter(pl.col("user_id") == "1").row(0, named=True)
    assert valid_event["item_id"] == "9" and valid_event["timestamp"] > last_train
    assert data.protocol == "loo"


def test_goodbooks_leaves_the_last_two_ratings_out(tmp_path: Path) -> None:
    _write(
        tmp_path / "books.csv",
        "book_id,goodreads_book_id,authors,original_publication_year,title,extra\n"
        '1,11,Ann Author,2001.0,"First, a Book",x\n2,22,Bo,,Second,x\n'
        "3,33,Cy,1999.0,Third,x\n4,44,Di,2010.0,Fourth,x\n",
    )
    _write(
        tmp_path / "book_metadata_genres.csv",
        'book_id,goodreads_book_id,title,authors,genres\n1,11,t,a,"fantasy,ya"\n2,22,t,a,\n'
        "3,33,t,a,crime\n4,44,t,a,poetry\n",
    )
    _write(
        tmp_path / "ratings_random.csv",
        "user_id,book_id,rating\n7,1,5\n7,2,3\n5,3,4\n7,3,1\n7,4,2\n5,1,5\n5,2,4\n",
    )
    data = load_goodbooks_sample(tmp_path, "goodbooks-sample", "p")

    first = data.catalog.row(0, named=True)
    assert first["title"] == "First, a Book"
    assert first["description"] == "by Ann Author, first published 2001"
    assert first["tags"] == ["fantasy", "ya"]
    assert first["url"] == "https://www.goodreads.com/book/show/11"
    assert data.catalog.row(1, named=True)["description"] == "by Bo"
    assert _items(data.train_events, "7") == ["1", "2"]
    assert _items(data.train_events, "5") == ["3"]
    assert data.train_events.filter(pl.col("user_id") == "7")["value"].to_list() == [5.0, 3.0]
    test = {c.user_id: c for c in data.test}
    valid = {c.user_id: c for c in data.valid}
    assert (test["7"].history, test["7"].targets) == (["1", "2", "3"], ["4"])
    assert (valid["5"].history, valid["5"].targets) == (["3"], ["1"])
    assert sorted(data.valid_events["item_id"]) == ["1", "3"]


def test_online_retail_splits_by_time_into_next_baskets(tmp_path: Path) -> None:
    day = 86400
    end = 1_300_000_000
    rows = [  # customer, code, time
        ("1", "MUG1", end - 70 * day),
        ("1", "POST", end - 69 * day),
        ("1", "MUG2", end - 40 * day),  # valid period
        ("1", "TEA", end - 10 * day),  # test period
        ("1", "TEA", end - 5 * day),
        ("1", "MUG1", end),
        ("2", "MUG2", end - 3 * day),  # test period, no history: no case
        ("3", "MUG1", end - 65 * day),
        ("3", "TEA", end - 31 * day),  # valid period
    ]
    csv = "customer_id,stock_code,invoice_no,unix_ts,quantity,unit_price\n"
    csv += "".join(f"{c},{s},{i},{t},2,1.5\n" for i, (c, s, t) in enumerate(rows))
    (tmp_path / "purchases.csv.gz").write_bytes(gzip.compress(csv.encode()))
    _write(
        tmp_path / "items.csv",
        "stock_code,description,n_description_variants\nMUG1,RED MUG,1\nMUG2,BLUE MUG,2\n"
        "TEA,TEA,1\nPOST,POSTAGE,1\nB,ADJUST BAD DEBT,1\n",
    )
    data = load_online_retail(tmp_path, "online-retail", "p")

    assert data.catalog["item_id"].to_list() == ["MUG1", "MUG2", "TEA"]
    assert data.catalog["title"].to_list() == ["RED MUG", "BLUE MUG", "TEA"]
    assert _items(data.train_events, "1") == ["MUG1"]  # POST dropped
    assert sorted(data.valid_events["item_id"]) == ["MUG2", "TEA"]
    assert [(c.user_id, c.history, c.targets) for c in data.valid] == [
        ("1", ["MUG1"], ["MUG2"]),
        ("3", ["MUG1"], ["TEA"]),
    ]
    assert [(c.user_id, c.history, c.targets) for c in data.test] == [
        ("1", ["MUG1", "MUG2"], ["TEA", "MUG1"])
    ]
    assert data.train_events.schema["timestamp"] == pl.Datetime("us", "UTC")
    assert data.train_events["value"].to_list() == [2.0, 2.0]
