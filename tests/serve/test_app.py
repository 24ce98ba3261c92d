"""The real server under uvicorn on 127.0.0.1, driven by the official `openai` SDK (and httpx)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from inhouse.bakeoff.tokens import count_tokens
from inhouse.models.embedder import DEFAULT_EMBEDDER
from inhouse.serve.audit import verify
from inhouse.serve.config import SUPPORT_MODEL, load_config
from inhouse.serve.loaded import Models
from tests.serve.conftest import Http, Live, in_process, write_config
from tests.support.retrieve.test_retrieve import shared_embedder

MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
ALL = ["embeddings", "chat", "recommend", "support"]


def client(live: Live, token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=token, max_retries=0)


def token(live: Live, scopes: list[str] = ALL, **limits) -> str:  # type: ignore[no-untyped-def]
    name = f"k{len(live.state.list_keys())}"
    return live.state.create_key(name, scopes, **limits)[1]


def recorded(live: Live, name: str) -> list:  # type: ignore[type-arg]
    """The usage of key `name`, read once: the server commits it before a response ends."""
    found = [t for t in live.state.usage(0, "key") if t.group == name]
    assert found, f"no usage row for {name} when its response had ended"
    return found


def test_models_lists_each_artifact_with_kind_base_model_and_sha256(live: Live) -> None:
    cards = {m.id: m for m in client(live, token(live)).models.list()}
    assert set(cards) == {DEFAULT_EMBEDDER, "shop", "bank-router", "bank-help", SUPPORT_MODEL}
    kinds = {i: c.model_extra["kind"] for i, c in cards.items()}  # type: ignore[index]
    assert kinds["shop"] == "recommender" and kinds["bank-router"] == "router"
    assert kinds["bank-help"] == "index" and kinds[SUPPORT_MODEL] == "assistant"
    assert cards[DEFAULT_EMBEDDER].model_extra["sha256"] == MINILM_SHA256  # type: ignore[index]
    router = cards["bank-router"].model_extra
    assert router["base_model"] == DEFAULT_EMBEDDER and router["system"] == "logistic"  # type: ignore[index]
    manifest = live.config.routers["bank-router"]
    folder = manifest / (manifest / "current").read_text().strip()
    expected = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    assert router["sha256"] == expected  # type: ignore[index]


def test_embeddings_float_and_base64_are_the_embedders_vectors(live: Live) -> None:
    sdk = client(live, token(live))
    texts = ["my card was stolen", "how do I reset my PIN?"]
    expected = shared_embedder().embed(texts)
    as_float = sdk.embeddings.create(model=DEFAULT_EMBEDDER, input=texts, encoding_format="float")
    as_b64 = sdk.embeddings.create(model=DEFAULT_EMBEDDER, input=texts)  # the SDK asks base64
    for result in (as_float, as_b64):
        got = np.array([d.embedding for d in result.data])
        assert got.shape == (2, 384)
        np.testing.assert_allclose(got, expected, atol=1e-5)
        assert result.usage.prompt_tokens == sum(count_tokens(texts, "o200k"))
    raw = httpx.post(
        f"{live.url}/v1/embeddings",
        headers={"Authorization": f"Bearer {token(live)}"},
        json={"model": DEFAULT_EMBEDDER, "input": "card", "encoding_format": "base64"},
    ).json()
    assert isinstance(raw["data"][0]["embedding"], str)  # really base64 on the wire


def test_chat_answers_with_citations_with_and_without_streaming(live: Live) -> None:
    sdk = client(live, token(live))
    messages = [{"role": "user", "content": "My debit card was stolen, what should I do?"}]
    done = sdk.chat.completions.create(model=SUPPORT_MODEL, messages=messages)  # type: ignore[arg-type]
    answer = done.choices[0].message.content
    info = done.model_extra["inhouse"]  # type: ignore[index]
    assert answer and info["citations"][0]["article_id"] == "card-lost"
    assert info["escalate"] is False and info["intent"] is not None
    assert done.usage is not None
    assert done.usage.completion_tokens == count_tokens([answer], "o200k")[0]
    stream = sdk.chat.completions.create(
        model=SUPPORT_MODEL,
        messages=messages,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == answer
    last = next(c for c in chunks if c.choices and c.choices[0].finish_reason == "stop")
    assert last.model_extra["inhouse"]["citations"] == info["citations"]  # type: ignore[index]
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == done.usage.total_tokens


def test_the_stream_ends_with_done(live: Live) -> None:
    with httpx.stream(
        "POST",
        f"{live.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {token(live)}"},
        json={
            "model": SUPPORT_MODEL,
            "stream": True,
            "messages": [{"role": "user", "content": "PIN"}],
        },
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert events[-1] == "data: [DONE]" and all(e.startswith("data: ") for e in events)


def test_sdk_errors_are_openai_shaped(live: Live) -> None:
    sdk = client(live, token(live))
    with pytest.raises(openai.NotFoundError) as e:
        sdk.embeddings.create(model="text-embedding-3-small", input="hi")
    assert e.value.code == "model_not_found" and DEFAULT_EMBEDDER in e.value.message
    with pytest.raises(openai.BadRequestError, match="at least one text"):
        sdk.embeddings.create(model=DEFAULT_EMBEDDER, input=[])
    with pytest.raises(openai.BadRequestError, match="cannot shorten"):
        sdk.embeddings.create(model=DEFAULT_EMBEDDER, input="hi", dimensions=128)
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])


def test_auth_failures_missing_wrong_scope_revoked_rate_limit(live: Live) -> None:
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
        client(live, "ih_000000000000_nope").models.list()
    missing = httpx.get(f"{live.url}/v1/models")
    assert missing.status_code == 401 and "Missing API key" in missing.json()["error"]["message"]
    assert missing.json()["error"]["type"] == "authentication_error"

    support_only = client(live, token(live, ["support"]))
    with pytest.raises(openai.PermissionDeniedError, match="lacks the 'embeddings' scope"):
        support_only.embeddings.create(model=DEFAULT_EMBEDDER, input="hi")

    revoked = token(live)
    client(live, revoked).models.list()
    live.state.revoke(live.state.list_keys()[-1].name)
    with pytest.raises(openai.AuthenticationError, match="was revoked"):
        client(live, revoked).models.list()

    limited = client(live, token(live, rpm=2))
    if time.time() % 60 > 55:  # keep the three requests in one minute window
        time.sleep(60.5 - time.time() % 60)
    limited.models.list()
    limited.models.list()
    with pytest.raises(openai.RateLimitError, match="2 requests per minute") as e:
        limited.models.list()
    assert 1 <= int(e.value.response.headers["retry-after"]) <= 60
    assert e.value.code == "rate_limit_exceeded"

    broke = client(live, token(live, budget_usd=0.0))
    with pytest.raises(openai.RateLimitError, match="monthly budget") as e:
        broke.models.list()
    assert e.value.code == "budget_exhausted" and "retry-after" not in e.value.response.headers


def test_no_endpoint_but_health_answers_without_a_key(live: Live) -> None:
    assert httpx.get(f"{live.url}/health").json() == {"status": "ok"}
    assert httpx.get(f"{live.url}/openapi.json").status_code == 401
    assert httpx.get(f"{live.url}/docs").status_code == 404
    auth = {"Authorization": f"Bearer {token(live)}"}
    schema = httpx.get(f"{live.url}/openapi.json", headers=auth).json()
    assert set(schema["paths"]) == {  # nothing makes keys or reads usage over HTTP
        "/health", "/v1/models", "/v1/embeddings", "/v1/chat/completions",
        "/v1/recommendations", "/v1/support/route", "/v1/support/ask", "/metrics",
    }  # fmt: skip
    for path, methods in schema["paths"].items():
        if path == "/health":
            continue
        for method in methods:
            response = httpx.request(method, f"{live.url}{path}", json={})
            assert response.status_code == 401, (method, path, response.text)


def test_usage_audit_and_processing_time_are_recorded(live: Live) -> None:
    secret = token(live, ["embeddings"])
    response = httpx.post(
        f"{live.url}/v1/embeddings",
        headers={"Authorization": f"Bearer {secret}"},
        json={"model": DEFAULT_EMBEDDER, "input": ["a short text", "another one"]},
    )
    assert response.status_code == 200
    processing = float(response.headers["x-inhouse-processing-ms"])
    assert 0 < float(response.headers["x-inhouse-compute-ms"]) <= processing
    name = live.state.list_keys()[-1].name
    (total,) = recorded(live, name)
    assert total.requests == 1 and total.tokens_in == sum(
        count_tokens(["a short text", "another one"], "o200k")
    )
    assert total.cpu_seconds > 0 and total.usd == pytest.approx(total.cpu_seconds * 3.6 / 3600)
    lines = live.config.audit_log.read_text().splitlines()
    assert verify(live.config.audit_log).ok
    record = json.loads(lines[-1])
    assert record["key"] == name and record["endpoint"] == "/v1/embeddings"
    assert record["status"] == 200 and record["tokens_in"] == total.tokens_in
    assert "request_body" not in record  # bodies are off by default
    assert secret not in live.config.audit_log.read_text()


def test_cors_is_off_unless_configured(
    http: Http, tmp_path: Path, artifacts: Path, models: Models
) -> None:
    origin = "https://app.example.com"
    preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    off = http.client.options("/v1/embeddings", headers=preflight)
    assert "access-control-allow-origin" not in off.headers
    (tmp_path / "cors").mkdir()
    config = load_config(write_config(tmp_path / "cors", artifacts, f'cors_origins = ["{origin}"]'))
    for on in in_process(config, models):
        allowed = on.client.options("/v1/embeddings", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == origin
        other = on.client.options(
            "/v1/embeddings", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers
