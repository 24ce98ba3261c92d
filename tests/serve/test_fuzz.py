"""The quick schemathesis run (seeded, 8 cases per operation); the full one is
`benchmarks/serve_fuzz.py` (at least 1,000 cases)."""

from __future__ import annotations

import logging

import pytest

from tests.serve.conftest import Http
from tests.serve.fuzz import fuzz


def test_fuzzed_requests_get_no_5xx_and_match_the_schema(
    http: Http, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "inhouse.serve")  # the unknown fields it sends are logged
    counts = fuzz(http.client.app, http.key(), cases_per_operation=8, seed=1)
    assert counts.cases >= 40, counts.by_operation
    assert (counts.server_errors, counts.schema_violations) == (0, 0), counts.failures
    assert counts.statuses[200] > 0 and counts.statuses[400] > 0, counts.statuses
