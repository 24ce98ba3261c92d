"""The metering middleware: body limit, processing time, usage rows, audit lines, redaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from inhouse.models.embedder import DEFAULT_EMBEDDER
from inhouse.serve.audit import verify
from inhouse.serve.config import ServeConfig, load_config
from inhouse.serve.loaded import Models
from tests.serve.conftest import Http, in_process, write_config

PII = "I am jo.bloggs@example.com, card 4111 1111 1111 1111, call +1 415 555 2671"


@pytest.fixture
def logged(tmp_path: Path, artifacts: Path, models: Models) -> Iterator[Http]:
    config = load_config(write_config(tmp_path, artifacts, "log_bodies = true"))
    yield from in_process(config, models)


def audit_lines(config: ServeConfig) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in config.audit_log.read_text().splitlines()]


def test_a_body_over_the_limit_is_413_before_the_app_reads_it(http: Http) -> None:
    big = {"model": DEFAULT_EMBEDDER, "input": "x" * (http.config.max_body_bytes + 10)}
    response = http.post("/v1/embeddings", big)
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith("The request body is larger than")

    def chunks() -> Iterator[bytes]:  # no content-length: counted as it arrives
        for _ in range(11):
            yield b"x" * 1_000_000

    headers = {"Authorization": f"Bearer {http.key()}", "Content-Type": "application/json"}
    streamed = http.client.post("/v1/embeddings", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    assert audit_lines(http.config)[-1]["status"] == 413


def test_bodies_reach_the_audit_log_only_redacted(logged: Http) -> None:
    response = logged.post("/v1/support/ask", {"message": PII})
    assert response.status_code == 200
    embedded = logged.post("/v1/embeddings", {"model": DEFAULT_EMBEDDER, "input": PII})
    assert embedded.status_code == 200
    text = logged.config.audit_log.read_text()
    for secret in ("jo.bloggs@example.com", "4111 1111 1111 1111", "555 2671"):
        assert secret not in text
    ask, embed = audit_lines(logged.config)[-2:]
    assert "[EMAIL]" in ask["request_body"] and "[CARD]" in ask["request_body"]
    assert "[PHONE]" in ask["request_body"] and "response_body" in ask
    assert "[EMAIL]" in embed["request_body"] and "response_body" not in embed  # vectors
    assert verify(logged.config.audit_log).ok


def test_escaped_pii_in_json_is_redacted_too(logged: Http) -> None:
    raw = '{"message": "write to jo\\u0040example.com"}'
    headers = {"Authorization": f"Bearer {logged.key()}", "Content-Type": "application/json"}
    assert logged.client.post("/v1/support/route", content=raw, headers=headers).status_code == 200
    last = audit_lines(logged.config)[-1]
    assert "[EMAIL]" in last["request_body"] and "example.com" not in last["request_body"]


def test_every_request_gets_a_usage_row_an_audit_line_and_its_time(http: Http) -> None:
    ok = http.post("/v1/support/route", {"message": "my card has not arrived"})
    denied = http.post("/v1/support/route", {"message": "hi"}, scopes=["chat"])
    anonymous = http.client.post("/v1/support/route", json={"message": "hi"})
    assert [ok.status_code, denied.status_code, anonymous.status_code] == [200, 403, 401]
    assert all(float(r.headers["x-inhouse-processing-ms"]) >= 0 for r in (ok, denied, anonymous))
    lines = audit_lines(http.config)
    assert [line["status"] for line in lines] == [200, 403, 401]
    assert lines[0]["model"] == "bank-router" and lines[0]["tokens_in"] > 0
    assert lines[0]["key"] == "key0" and lines[1]["key"] == "key1" and lines[2]["key"] is None
    totals = http.state.usage(0, "endpoint")
    assert totals[0].group == "/v1/support/route" and totals[0].requests == 3
    assert totals[0].errors == 2 and totals[0].cpu_seconds > 0
    http.client.get("/health")
    assert len(audit_lines(http.config)) == 3  # health checks are not metered
