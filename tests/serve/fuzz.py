"""Schemathesis against the server's own OpenAPI schema, in-process (no network).

    >>> counts = fuzz(app, key, cases_per_operation=20, seed=0)
    >>> counts.server_errors, counts.schema_violations
    (0, 0)

Each operation gets `cases_per_operation` generated cases, half valid by the schema and half
not (schemathesis's positive and negative modes), sent through the ASGI app with a key that has
every scope. Counted failures: any 5xx (`not_a_server_error`), and any response the schema does
not declare: its status, content type, headers or body (`status_code_conformance`,
`content_type_conformance`, `response_headers_conformance`, `response_schema_conformance`).
`positive_data_acceptance` is not run: a schema-valid `model` string that names no loaded model
gets a declared 404, and a blank message a declared 400.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as with_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from inhouse.serve.config import SUPPORT_MODEL

SCHEMA_CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class FuzzCounts:
    """What one run found, per operation and in all."""

    cases: int = 0
    server_errors: int = 0
    schema_violations: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # the first few, to read

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "server_errors": self.server_errors,
            "schema_violations": self.schema_violations,
            "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
            "by_operation": self.by_operation,
            "failures": self.failures,
        }


def fuzz(app: Any, key: str, cases_per_operation: int, seed: int = 0) -> FuzzCounts:
    """Run `cases_per_operation` cases per operation of `app`'s schema, authorised by `key`."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    headers = {"Authorization": f"Bearer {key}"}
    counts = FuzzCounts()
    loaded = app.state.ctx.models
    models = {
        "/v1/embeddings": next(iter(loaded.embedders), ""),
        "/v1/chat/completions": SUPPORT_MODEL,
        "/v1/support/ask": SUPPORT_MODEL,
        "/v1/support/route": next(iter(loaded.routers), ""),
        "/v1/recommendations": next(iter(loaded.recommenders), ""),
    }
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    for result in schema.get_all_operations():
        operation = result.ok()
        label, before = operation.label, counts.cases
        for i, mode in enumerate(modes):
            n = cases_per_operation // len(modes) + (i < cases_per_operation % len(modes))
            _run(operation, mode, n, seed, headers, models, counts)
        counts.by_operation[label] = counts.cases - before
    return counts


def _run(
    operation: Any,
    mode: GenerationMode,
    n: int,
    seed: int,
    headers: dict[str, str],
    models: dict[str, str],
    counts: FuzzCounts,
) -> None:
    @with_seed(seed)
    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],  # count generated cases; no shrinking
    )
    @given(case=operation.as_strategy(generation_mode=mode), loaded=st.booleans())
    def run(case: Any, loaded: bool) -> None:
        name = models.get(operation.path)
        if loaded and name and mode is GenerationMode.POSITIVE and isinstance(case.body, dict):
            case.body["model"] = name  # reach the model code, not only the 404 of a random name
        response = case.call(headers=headers)
        counts.cases += 1
        counts.statuses[response.status_code] += 1
        for check, bucket in [
            ([not_a_server_error], "server_errors"),
            (SCHEMA_CHECKS, "schema_violations"),
        ]:
            try:
                case.validate_response(response, checks=check, headers=headers)
            except (AssertionError, FailureGroup) as e:  # the failed checks
                setattr(counts, bucket, getattr(counts, bucket) + 1)
                if len(counts.failures) < 10:
                    counts.failures.append(f"{operation.label} {mode.value}: {str(e)[:600]}")

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid cases"
