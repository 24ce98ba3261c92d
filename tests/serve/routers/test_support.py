"""POST /v1/support/route and /v1/support/ask: the workload endpoints over the test artifacts."""

from __future__ import annotations

from inhouse.serve.config import SUPPORT_MODEL
from tests.serve.conftest import Http


def test_route_gives_the_intent(http: Http) -> None:
    body = http.post("/v1/support/route", {"message": "my card has not arrived yet"}).json()
    assert body["intent"] == "card_arrival" and body["model"] == "bank-router"
    assert not body["out_of_scope"] and 0 <= body["confidence"] <= 1
    named = http.post("/v1/support/route", {"message": "reset my password", "model": "bank-router"})
    assert named.json()["intent"] == "reset_password"


def test_ask_cites_and_escalates_out_of_scope(http: Http) -> None:
    body = http.post("/v1/support/ask", {"message": "My debit card was stolen"}).json()
    assert body["model"] == SUPPORT_MODEL and body["citations"][0]["article_id"] == "card-lost"
    assert body["escalate"] is False and body["answer"]
    away = http.post("/v1/support/ask", {"message": "who won the football world cup in 1966"})
    assert away.json()["escalate"] is True


def test_bad_messages_are_400_not_500(http: Http) -> None:
    for message, fragment in [("   ", "empty"), ("a\x00b", "NUL"), ("x" * 20_001, "limit")]:
        response = http.post("/v1/support/ask", {"message": message})
        assert response.status_code == 400 and fragment in response.json()["error"]["message"]
    wrong_type = http.post("/v1/support/route", {"message": 42})
    assert wrong_type.status_code == 400 and wrong_type.json()["error"]["param"] == "message"
    unknown = http.post("/v1/support/route", {"message": "hi", "model": "nope"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
