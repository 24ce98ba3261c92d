"""The $ per 1,000 requests of systems run in-house: measured CPU time × machine price, plus
training amortised over a stated request volume.

    serve $/1k = cpu_ms_per_request / 1000 × ($/h ÷ 3600 ÷ vCPUs) × 1000
    train $/1k = fit_seconds × ($/h ÷ 3600) ÷ volume × 1000     (training uses the whole machine)

`cpu_ms_per_request` is the statistic of `inhouse.eval.latency.CPU_STATISTIC` (the row's
`cpu_statistic` names it; rows written before it was recorded say so in `cpu_basis`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inhouse.bakeoff.numbers import plain
from inhouse.bakeoff.prices import DEFAULT_MACHINE, PriceTable
from inhouse.eval.results import BenchResult, SystemResult

DEFAULT_VOLUME = 1_000_000


@dataclass(frozen=True)
class CostBasis:
    """What the in-house cost rests on."""

    machine: str = DEFAULT_MACHINE
    """Key of the machine in the price table that serves and trains."""
    volume: int = DEFAULT_VOLUME
    """Requests over which one training run is amortised."""


def _cpu_ms(row: SystemResult) -> tuple[float | None, str]:
    extra = row.model_extra or {}
    cpu = extra.get("cpu_ms_per_request")
    if isinstance(cpu, int | float) and cpu > 0:
        statistic = extra.get("cpu_statistic") or "CPU ms per request, statistic not recorded"
        return float(cpu), f"measured: {statistic}"
    if row.latency_ms is not None:
        return row.latency_ms.p50, "p50 wall-clock latency on one core (CPU time not measured)"
    return None, "not measured"


def inhouse_cost(row: SystemResult, table: PriceTable, basis: CostBasis) -> dict[str, object]:
    """The cost breakdown of one measured row; `usd_per_1k` is None when nothing was measured."""
    machine = table.machines[basis.machine]
    per_core_s = machine.usd_per_core_second()
    per_machine_s = machine.usd_per_hour / 3600.0
    cpu_ms, cpu_basis = _cpu_ms(row)
    fit = row.fit_seconds or 0.0
    train_total = fit * per_machine_s
    train_per_1k = train_total / basis.volume * 1000.0
    serve_per_1k = None if cpu_ms is None else cpu_ms / 1000.0 * per_core_s * 1000.0
    total = None if serve_per_1k is None else serve_per_1k + train_per_1k
    out: dict[str, Any] = {
        "usd_per_1k": total,
        "machine": basis.machine,
        "machine_label": machine.label,
        "machine_usd_per_hour": machine.usd_per_hour,
        "machine_price_source": f"{machine.source} ({machine.date})",
        "usd_per_core_second": per_core_s,
        "cpu_ms_per_request": cpu_ms,
        "cpu_basis": cpu_basis,
        "requests_per_s_per_core": None if not cpu_ms else 1000.0 / cpu_ms,
        "serve_usd_per_1k": serve_per_1k,
        "fit_seconds": fit,
        "train_usd": train_total,
        "amortised_over_requests": basis.volume,
        "train_usd_per_1k": train_per_1k,
    }
    return out | {"formula": formula(out)}


def formula(breakdown: dict[str, Any]) -> str:
    """How a breakdown's $ per 1k is computed, in plain decimals (rebuilt from its fields, so
    a report of older results reads the same)."""
    per_machine_s = float(breakdown["machine_usd_per_hour"]) / 3600.0
    return (
        f"{_g(breakdown['cpu_ms_per_request'])} ms CPU × ${_g(breakdown['usd_per_core_second'])}"
        f"/core-s + {_g(breakdown['fit_seconds'])} s fit × ${_g(per_machine_s)}/s ÷ "
        f"{breakdown['amortised_over_requests']:,} requests, × 1000"
    )


def fill_costs(
    result: BenchResult, table: PriceTable, basis: CostBasis | None = None
) -> BenchResult:
    """Fill `cost_usd_per_1k` of every measured row (not api-estimates) and keep its breakdown.

    A row that already carries a cost keeps it; its breakdown is still attached.
    """
    basis = basis or CostBasis()
    rows = []
    for row in result.systems:
        if row.kind == "api-estimate":
            rows.append(row)
            continue
        breakdown = inhouse_cost(row, table, basis)
        cost = row.cost_usd_per_1k
        if cost is None:
            cost = breakdown["usd_per_1k"]  # type: ignore[assignment]
        rows.append(row.model_copy(update={"cost_usd_per_1k": cost, "cost_breakdown": breakdown}))
    return result.model_copy(update={"systems": rows})


def _g(x: float | None) -> str:
    return "n/a" if x is None else plain(x, 4)
