"""Key checks: the header, the key, its scope, its rate limit and its monthly budget."""

from __future__ import annotations

import time

from inhouse.serve.state import UsageRow
from tests.serve.conftest import Http


def get(http: Http, token: str, path: str = "/v1/models"):  # type: ignore[no-untyped-def]
    return http.client.get(path, headers={"Authorization": f"Bearer {token}"})


def error(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return response.json()["error"]


def test_the_header_must_be_bearer_with_a_key_of_ours(http: Http) -> None:
    token = http.key()
    assert get(http, token).status_code == 200
    basic = http.client.get("/v1/models", headers={"Authorization": f"Basic {token}"})
    assert basic.status_code == 401 and error(basic)["code"] == "missing_api_key"
    assert error(get(http, ""))["code"] == "missing_api_key"
    assert error(get(http, token + "x"))["code"] == "invalid_api_key"
    assert error(get(http, "sk-" + token[3:]))["code"] == "invalid_api_key"


def test_scope_errors_name_the_key_the_scope_and_the_fix(http: Http) -> None:
    response = get(http, http.key(["recommend"]), "/metrics")
    message = error(response)["message"]
    assert response.status_code == 403 and error(response)["type"] == "permission_error"
    assert "'key0' lacks the 'admin' scope" in message and "it has: recommend" in message
    assert "--scopes admin" in message


def test_rate_limit_then_budget(http: Http) -> None:
    limited = http.key(rpm=1)
    assert get(http, limited).status_code == 200
    over = get(http, limited)
    assert over.status_code == 429 and error(over)["code"] == "rate_limit_exceeded"
    assert 1 <= int(over.headers["retry-after"]) <= 60

    budget = http.key(budget_usd=0.01)
    assert get(http, budget).status_code == 200
    name = http.state.list_keys()[-1].name
    http.state.record(UsageRow(time.time(), name, "/v1/embeddings", "m", 200, usd=0.02))
    spent = get(http, budget)
    assert spent.status_code == 429 and error(spent)["code"] == "budget_exhausted"
    assert "monthly budget of $0.01" in error(spent)["message"]
    assert "retry-after" not in spent.headers


def test_revoked_and_rotated_keys_stop_at_once(http: Http) -> None:
    token = http.key()
    name = http.state.list_keys()[-1].name
    _, new = http.state.rotate(name)
    assert error(get(http, token))["code"] == "invalid_api_key"
    assert get(http, new).status_code == 200
    http.state.revoke(name)
    assert error(get(http, new))["code"] == "key_revoked"
