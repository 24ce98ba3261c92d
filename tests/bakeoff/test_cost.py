"""In-house and API cost arithmetic against hand-computed values."""

from __future__ import annotations

import pytest

from inhouse.bakeoff.api import request_cost
from inhouse.bakeoff.cost import CostBasis, fill_costs, inhouse_cost
from inhouse.bakeoff.prices import load_prices
from inhouse.eval.results import BenchResult, SystemResult


def _row(**extra: object) -> SystemResult:
    return SystemResult(
        name="knn", kind="in-house", metrics={"accuracy": 0.9}, fit_seconds=100.0, **extra
    )


def test_inhouse_cost_by_hand() -> None:
    table = load_prices()
    b = inhouse_cost(_row(cpu_ms_per_request=2.0), table, CostBasis(volume=1_000_000))
    per_core_s = 0.08925 / 3600 / 2  # 1.2395833e-05
    assert b["usd_per_core_second"] == pytest.approx(per_core_s)
    assert b["serve_usd_per_1k"] == pytest.approx(2.0 / 1000 * per_core_s * 1000)  # 2.479e-05
    assert b["train_usd_per_1k"] == pytest.approx(100 * 0.08925 / 3600 / 1e6 * 1000)
    assert b["usd_per_1k"] == pytest.approx(2.7270833e-05)
    assert b["requests_per_s_per_core"] == pytest.approx(500.0)


def test_fill_costs_leaves_api_rows_and_falls_back_to_latency() -> None:
    api = SystemResult(name="GPT", kind="api-estimate", metrics={}, cost_usd_per_1k=1.0)
    lat = SystemResult(
        name="pop",
        kind="baseline",
        metrics={},
        latency_ms={"p50": 4.0, "p95": 5.0, "p99": 6.0},  # type: ignore[arg-type]
    )
    r = BenchResult(
        workload="support",
        dataset="x",
        protocol="p",
        primary_metric="accuracy",
        systems=[_row(cpu_ms_per_request=2.0), api, lat],
    )
    out = fill_costs(r, load_prices())
    assert out.systems[0].cost_usd_per_1k == pytest.approx(2.7270833e-05)
    assert out.systems[1].cost_usd_per_1k == 1.0
    assert out.systems[2].cost_usd_per_1k == pytest.approx(4.0 * 0.08925 / 3600 / 2)
    assert "p50" in (out.systems[2].model_extra or {})["cost_breakdown"]["cpu_basis"]


def test_api_request_cost_by_hand() -> None:
    gpt4o = load_prices().models["gpt-4o"]
    # 1000 in × $2.50/1M + 10 out × $10/1M = $0.0026
    assert request_cost(1000, 10, gpt4o) == pytest.approx(0.0026)
    # 800 of them cached at $1.25/1M: 200×2.5 + 800×1.25 + 10×10 = 1600 / 1e6
    assert request_cost(1000, 10, gpt4o, cached_tokens=800) == pytest.approx(0.0016)


def test_cpu_basis_names_the_statistic_of_the_row() -> None:
    from inhouse.eval.latency import CPU_STATISTIC

    table, basis = load_prices(), CostBasis()
    named = inhouse_cost(_row(cpu_ms_per_request=2.0, cpu_statistic=CPU_STATISTIC), table, basis)
    assert CPU_STATISTIC in str(named["cpu_basis"])
    old = inhouse_cost(_row(cpu_ms_per_request=2.0), table, basis)  # a file from before
    assert "not recorded" in str(old["cpu_basis"])
