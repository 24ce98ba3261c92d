"""Response suggestion over a few dozen hand-written past tickets."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from inhouse.errors import InhouseError, ModelError
from inhouse.support.answer.suggest import Suggester
from tests.support.retrieve.test_retrieve import shared_embedder

TICKETS = {
    "cancel_order": [
        "how can I cancel my order",
        "I want to cancel the purchase I made yesterday",
        "please cancel order 1234",
    ],
    "track_refund": [
        "where is my refund",
        "I have not received the money back for my return",
        "when will the refund reach my account",
    ],
    "change_address": [
        "I moved house and need to update my shipping address",
        "change the delivery address on my account",
        "how do I edit my postal address",
    ],
    "delete_account": [
        "close and delete my account for good",
        "I want to remove my profile and all my data",
        "how do I delete my account",
    ],
}


def tickets() -> pl.DataFrame:
    rows = [
        (f"t{i}-{j}", text, intent, f"Here is how to handle {intent.replace('_', ' ')}.")
        for i, (intent, texts) in enumerate(TICKETS.items())
        for j, text in enumerate(texts)
    ]
    return pl.DataFrame(rows, schema=["ticket_id", "text", "intent", "resolution"], orient="row")


@pytest.mark.parametrize("tfidf", [False, True])
def test_new_message_gets_the_resolution_of_its_intent(tfidf: bool) -> None:
    s = Suggester(None if tfidf else shared_embedder(), neighbours=3, tfidf=tfidf)
    s.fit(tickets())
    out = s.suggest(["can you cancel my order please", "delete my account"], k=3)
    assert out[0][0].intent == "cancel_order"
    assert out[0][0].response == "Here is how to handle cancel order."
    assert out[1][0].intent == "delete_account"
    assert len({x.intent for x in out[0]}) == len(out[0]) == 3  # one per intent


def test_save_load_and_embedder_check(tmp_path: Path) -> None:
    s = Suggester(shared_embedder(), neighbours=3)
    s.fit(tickets())
    s.save(tmp_path / "sugg")
    loaded = Suggester.load(tmp_path / "sugg", embedder=shared_embedder())
    q = ["where has my refund gone"]
    assert [x.ticket_id for x in loaded.suggest(q)[0]] == [x.ticket_id for x in s.suggest(q)[0]]

    class Other:
        name, dim = "other", 384

    with pytest.raises(ModelError, match="made with embedder all-MiniLM-L6-v2.*given is other"):
        Suggester.load(tmp_path / "sugg", embedder=Other())  # type: ignore[arg-type]


def test_missing_columns_and_empty_message_are_errors() -> None:
    with pytest.raises(InhouseError, match="missing column\\(s\\) resolution"):
        Suggester(tfidf=True).fit(tickets().drop("resolution"))
    s = Suggester(tfidf=True)
    s.fit(tickets())
    with pytest.raises(InhouseError, match="query 1 is empty"):
        s.suggest([""])
