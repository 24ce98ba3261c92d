"""POST /v1/recommendations: users, sessions, exclusions, explanations and the cold start."""

from __future__ import annotations

import pytest

from tests.serve.conftest import Http


def test_a_known_user_gets_items_of_their_group_with_reasons(http: Http) -> None:
    body = http.post("/v1/recommendations", {"user_id": "A0", "k": 2, "explain": True}).json()
    assert body["model"] == "shop" and body["system"] == "cooc" and not body["fallback"]
    assert [i["item_id"][0] for i in body["items"]] == ["a", "a"]  # A0 has seen the other 4
    assert all(i["because"] and i["because"][0]["contribution"] > 0 for i in body["items"])
    plain = http.post("/v1/recommendations", {"user_id": "A0", "k": 3}).json()
    assert all(i["because"] == [] for i in plain["items"])  # reasons only on request


def test_a_session_and_excluded_items(http: Http) -> None:
    first = http.post("/v1/recommendations", {"item_ids": ["b0", "b1"], "k": 2}).json()
    top = first["items"][0]["item_id"]
    assert top.startswith("b")
    again = http.post(
        "/v1/recommendations", {"model": "shop", "item_ids": ["b0", "b1"], "k": 2, "exclude": [top]}
    ).json()
    ids = [i["item_id"] for i in again["items"]]
    assert top not in ids and len(ids) == 2


def test_a_category_filter(http: Http) -> None:
    # A0 is a fruit (a*) user; asked for sea items, it gets sea items only
    body = http.post("/v1/recommendations", {"user_id": "A0", "k": 3, "category": "sea"}).json()
    assert [i["item_id"][0] for i in body["items"]] == ["b", "b", "b"]
    bad = http.post("/v1/recommendations", {"user_id": "A0", "category": "boats"})
    assert bad.status_code == 400 and "no item of the catalog has it" in bad.text


def test_an_unknown_user_gets_the_cold_start_answer(http: Http) -> None:
    response = http.post("/v1/recommendations", {"user_id": "nobody", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["fallback"] is True and "'nobody' has no history" in body["notes"][0]
    assert [i["item_id"][0] for i in body["items"]] == ["a", "a", "a"]  # the popular group


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"user_id": "A0", "k": 0}, 400, "k: Input should be greater than or equal to 1"),
        ({"user_id": "A0", "k": 1001}, 400, "k: Input should be less than or equal to 1000"),
        ({"user_id": "A0", "k": "ten"}, 400, "k: Input should be a valid integer"),
        ({"k": 3}, 400, "give exactly one of user_id and item_ids"),
        ({"user_id": "A0", "item_ids": ["a1"]}, 400, "exactly one"),
        ({"item_ids": []}, 400, "item_ids"),
        ({"user_id": "A0", "model": "nope"}, 404, "loaded recommenders: shop"),
    ],
)
def test_bad_requests_are_openai_shaped_4xx(http: Http, body, status, fragment) -> None:
    response = http.post("/v1/recommendations", body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert fragment in error["message"] and set(error) == {"message", "type", "param", "code"}


def test_a_recommend_key_is_needed(http: Http) -> None:
    response = http.post("/v1/recommendations", {"user_id": "A0"}, scopes=["support"])
    assert (
        response.status_code == 403 and "'recommend' scope" in response.json()["error"]["message"]
    )
