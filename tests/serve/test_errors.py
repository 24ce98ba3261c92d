"""Every failure answers in OpenAI's error shape; bad input is never a 500."""

from __future__ import annotations

from inhouse.models.embedder import DEFAULT_EMBEDDER
from tests.serve.conftest import Http, TestClient


def shape(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


def test_malformed_json_and_wrong_types_are_400(http: Http) -> None:
    headers = {"Authorization": f"Bearer {http.key()}", "Content-Type": "application/json"}
    broken = http.client.post("/v1/embeddings", content=b'{"model": ', headers=headers)
    assert broken.status_code == 400 and "not valid JSON" in shape(broken)["message"]
    not_object = http.client.post("/v1/embeddings", content=b"[1, 2]", headers=headers)
    assert not_object.status_code == 400
    wrong = http.post("/v1/chat/completions", {"model": "inhouse-support", "messages": "hi"})
    assert wrong.status_code == 400 and shape(wrong)["param"] == "messages"
    empty = http.post("/v1/chat/completions", {"model": "inhouse-support", "messages": []})
    assert empty.status_code == 400
    no_user = http.post(
        "/v1/chat/completions",
        {"model": "inhouse-support", "messages": [{"role": "system", "content": "be brief"}]},
    )
    assert no_user.status_code == 400 and "no user message" in shape(no_user)["message"]


def test_unknown_paths_and_methods(http: Http) -> None:
    missing = http.client.get("/v1/nothing")
    assert missing.status_code == 404 and shape(missing)["type"] == "not_found_error"
    method = http.client.delete("/v1/embeddings")
    assert method.status_code == 405 and shape(method)["type"] == "invalid_request_error"


def test_a_bug_is_a_500_that_names_no_internals(http: Http, monkeypatch) -> None:
    embedder = http.client.app.state.ctx.models.embedders[DEFAULT_EMBEDDER]  # type: ignore[attr-defined]

    def broken(texts, batch_size=64):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(embedder, "embed", broken)
    quiet = TestClient(http.client.app, raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {http.key()}"}
    response = quiet.post(
        "/v1/embeddings", json={"model": DEFAULT_EMBEDDER, "input": "x"}, headers=headers
    )
    assert response.status_code == 500 and "secret" not in shape(response)["message"]
    assert shape(response)["type"] == "server_error"
