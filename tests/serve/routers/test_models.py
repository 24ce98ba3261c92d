"""/health, /v1/models and /metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inhouse.serve.config import load_config
from inhouse.serve.loaded import Models
from tests.serve.conftest import Http, in_process, write_config


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_metrics_need_the_admin_scope_and_count_requests(http: Http) -> None:
    http.post("/v1/support/route", {"message": "my card has not arrived"})
    http.client.get("/wp-admin/setup.php")
    support = http.client.get(
        "/metrics", headers={"Authorization": f"Bearer {http.key(['support'])}"}
    )
    assert support.status_code == 403
    admin = http.client.get("/metrics", headers={"Authorization": f"Bearer {http.key(['admin'])}"})
    assert admin.status_code == 200
    assert 'inhouse_requests_total{endpoint="/v1/support/route",status="200"} 1.0' in admin.text
    assert 'inhouse_requests_total{endpoint="other",status="404"} 1.0' in admin.text
    assert "wp-admin" not in admin.text
    assert "inhouse_request_seconds_bucket" in admin.text and "inhouse_tokens_total" in admin.text


@pytest.fixture
def public(tmp_path: Path, artifacts: Path, models: Models) -> Iterator[Http]:
    config = load_config(write_config(tmp_path, artifacts, "metrics_public = true"))
    yield from in_process(config, models)


def test_metrics_can_be_public(public: Http) -> None:
    assert public.client.get("/metrics").status_code == 200
    assert public.client.get("/v1/models").status_code == 401  # only /metrics opens


def test_a_support_key_cannot_read_metrics(http: Http) -> None:
    assert http.client.get("/health").status_code == 200
    assert http.client.get("/v1/models").status_code == 401
    support = {"Authorization": f"Bearer {http.key(['support'])}"}
    metrics = http.client.get("/metrics", headers=support)
    assert metrics.status_code == 403 and "admin" in metrics.json()["error"]["message"]
