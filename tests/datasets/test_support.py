"""The support loaders on tiny hand-written files with known splits."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from inhouse.datasets.support import (
    load_bank_help_center,
    load_banking77,
    load_bitext_support,
    load_clinc150,
)


def test_banking77_holds_out_a_stratified_seeded_tenth(tmp_path: Path) -> None:
    rows = [(f"card question {i}", "card_arrival") for i in range(10)]
    rows += [(f"rate question {i}, with comma", "exchange_rate") for i in range(10)]
    pl.DataFrame(rows, schema=["text", "category"], orient="row").write_csv(tmp_path / "train.csv")
    pl.DataFrame(
        [("where is my card", "card_arrival")], schema=["text", "category"], orient="row"
    ).write_csv(tmp_path / "test.csv")
    (tmp_path / "categories.json").write_text(json.dumps(["exchange_rate", "card_arrival"]))
    data = load_banking77(tmp_path, "banking77", "p")

    assert data.intents == ["exchange_rate", "card_arrival"]
    assert data.train.columns == ["ticket_id", "text", "intent"]
    assert data.train.height == 18 and sorted(data.valid["intent"]) == [
        "card_arrival",
        "exchange_rate",
    ]
    assert set(data.train["ticket_id"]).isdisjoint(data.valid["ticket_id"])
    # a ticket keeps the id of its row in train.csv
    for ticket_id, text in data.valid.select("ticket_id", "text").iter_rows():
        assert rows[int(ticket_id.removeprefix("train-"))][0] == text
    assert data.test.row(0) == ("test-0", "where is my card", "card_arrival")
    again = load_banking77(tmp_path, "banking77", "p")
    assert again.valid.equals(data.valid)


def test_clinc150_appends_out_of_scope_rows_as_oos(tmp_path: Path) -> None:
    full = {
        "train": [["play jazz", "play_music"], ["weather today", "weather"]],
        "val": [["play rock", "play_music"]],
        "test": [["rain tomorrow", "weather"]],
        "oos_train": [["who won the game", "oos"]],
        "oos_val": [["tell me a secret", "oos"]],
        "oos_test": [["what is love", "oos"], ["buy a boat", "oos"]],
    }
    (tmp_path / "data_full.json").write_text(json.dumps(full))
    data = load_clinc150(tmp_path, "clinc150", "p")

    assert data.oos_label == "oos" and data.intents == ["play_music", "weather"]
    assert data.train["intent"].to_list() == ["play_music", "weather", "oos"]
    assert data.test["ticket_id"].to_list() == ["test-0", "oos_test-0", "oos_test-1"]
    assert data.valid["text"].to_list() == ["play rock", "tell me a secret"]


def test_bank_help_center_first_thirty_tasks_are_dev(tmp_path: Path) -> None:
    docs = tmp_path / "documents"
    docs.mkdir()
    for i in range(3):
        doc = {"id": f"doc_{i}", "title": f"Title {i}", "content": f"## Body {i}"}
        (docs / f"doc_{i}.json").write_text(json.dumps(doc))
    tasks = [
        {
            "id": f"task_{i:03d}",
            "user_scenario": {"persona": None, "instructions": f"I need help {i}"},
            "required_documents": [f"doc_{i % 3}", "doc_2"],
        }
        for i in range(1, 33)
    ]
    (tmp_path / "tasks.json").write_text(json.dumps(tasks))
    data = load_bank_help_center(tmp_path, "bank-help-center", "p")

    assert data.articles.rows() == [(f"doc_{i}", f"Title {i}", f"## Body {i}") for i in range(3)]
    assert len(data.dev) == 30 and [q.query_id for q in data.test] == ["task_031", "task_032"]
    assert data.test[0].text == "I need help 31" and data.test[0].relevant == ["doc_1", "doc_2"]


def test_bitext_holds_out_a_fifth_per_intent_with_categories(tmp_path: Path) -> None:
    rows = [
        (
            f"cancel order {i}",
            "cancel_order",
            "ORDER",
            f"To cancel order {i}, go to {{{{Orders}}}}.\nDone.",
        )
        for i in range(5)
    ]
    rows += [(f"refund {i}", "get_refund", "REFUND", f"Refund {i} is on its way") for i in range(5)]
    frame = pl.DataFrame(
        rows, schema=["instruction", "intent", "category", "response"], orient="row"
    )
    frame.with_columns(pl.lit("x").alias("tags")).write_csv(tmp_path / "customer_support.csv")
    data = load_bitext_support(tmp_path, "bitext-support", "p")

    assert data.categories == {"cancel_order": "ORDER", "get_refund": "REFUND"}
    assert data.test.height == 2 and sorted(data.test["intent"]) == ["cancel_order", "get_refund"]
    assert data.train.columns == ["ticket_id", "text", "intent", "resolution"]
    everything = pl.concat([data.train, data.test])
    ticket = everything.filter(pl.col("ticket_id") == "ticket-0").row(0, named=True)
    assert ticket["resolution"] == "To cancel order 0, go to {{Orders}}.\nDone."
    assert ticket["text"] == "cancel order 0"
