"""The recommend bake-off: every registered system fitted, tuned on validation, scored on test.

>>> result = bench_recommend(load("amazon-scientific"), ["popularity", "cooc"])
>>> result.best("baseline").metrics["ndcg@10"]
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from inhouse.datasets.types import RecommendData
from inhouse.eval.bootstrap import intervals
from inhouse.eval.latency import Timing, measure
from inhouse.eval.ranking import mean_metrics
from inhouse.eval.results import BenchResult, SystemResult
from inhouse.progress import PlainProgress
from inhouse.progress import progress as make_progress
from inhouse.recommend.blend import Blend
from inhouse.recommend.metrics import case_rows, evaluate
from inhouse.recommend.registry import SYSTEMS, make, param_grid
from inhouse.recommend.service import RecommendService

if TYPE_CHECKING:
    from rich.progress import Progress

PRIMARY = "ndcg@10"
LATENCY_USERS = 1000
INTERVAL_METRICS = ("ndcg@10", "recall@10")  # given a 95 % bootstrap interval over test users


def tune(
    name: str,
    data: RecommendData,
    progress: Progress | PlainProgress | None = None,
    grid: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], dict[str, float | None], list[dict[str, Any]]]:
    """Fit each setting of `grid` (default: `name`'s own) on `train_events`, score on `valid`;
    best by ndcg@10."""
    grid = grid or param_grid(name)
    task = progress.add_task(f"{name}: tuning on validation", total=len(grid)) if progress else None
    tried = []
    for params in grid:
        model = make(name, **params)
        model.fit(data.train_events, data.catalog)
        tried.append({"params": params, "valid": evaluate(model, data.valid)})
        if progress and task is not None:
            progress.advance(task)
    best = max(tried, key=lambda t: t["valid"][PRIMARY] or 0.0)
    return best["params"], best["valid"], tried


def measure_latency(model_dir: Path, users: list[str], k: int = 10) -> Timing:
    """Per-request timing of `for_user` (explanations included) after a fresh load, warmed up
    on the first 20 users (first FAISS search, caches)."""
    service = RecommendService(model_dir)
    return measure(
        lambda user: service.for_user(user, k),
        users,
        warmup=lambda: [service.for_user(user, k) for user in users[:20]],
    )


def bench_system(
    name: str,
    data: RecommendData,
    progress: Progress | PlainProgress | None = None,
    params: dict[str, Any] | None = None,
) -> SystemResult:
    """Tune on validation (or take the given `params`, still scored on validation), re-fit on
    train + valid, score on test once, time serving."""
    params, valid, tried = tune(name, data, progress, [params] if params is not None else None)
    model = make(name, **params)
    start = time.perf_counter()
    model.fit(
        pl.concat([data.train_events, data.valid_events], how="diagonal_relaxed"), data.catalog
    )
    fit_seconds = time.perf_counter() - start
    model.metrics = valid
    cases = case_rows(model, data.test)  # per user, for the bootstrap interval
    test = mean_metrics(cases)
    users = [c.user_id for c in data.test][:LATENCY_USERS]
    with tempfile.TemporaryDirectory(prefix="inhouse-bench-") as tmp:
        model.save(Path(tmp))
        timing = measure_latency(Path(tmp), users)
    return timing.row(
        name,
        model.kind,
        test,
        round(fit_seconds, 3),
        ci95=intervals({m: [c[m] for c in cases] for m in INTERVAL_METRICS}),
        test_examples=len(cases),
        parameters=params,
        valid_metrics=valid,
        tuning=tried,
        fit_report=model.fit_report,
    )


def chosen_parameters(rows: list[SystemResult]) -> dict[str, dict[str, Any]]:
    """System name -> the parameters its row was fitted with (chosen on validation)."""
    return {r.name: (r.model_extra or {}).get("parameters") or {} for r in rows}


def with_component_parameters(
    params: dict[str, Any], chosen: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A blend's `params` with each component given by name alone (`"cooc"` or
    `{"name": "cooc"}`) run with `chosen`'s parameters for it, where there are any; the blend
    then learns only the weights."""
    if not params.get("systems"):
        return params
    systems = []
    for s in params["systems"]:
        entry = {"name": s} if isinstance(s, str) else dict(s)
        if "params" not in entry and entry["name"] in chosen:
            entry["params"] = chosen[entry["name"]]
        systems.append(entry)
    return {**params, "systems": systems}


def row_parameters(result: BenchResult, name: str) -> dict[str, Any]:
    """The parameters a row of `result` was fitted with. A blend row naming its systems gets
    each one's parameters from that system's own row, so re-fitting it gives the same blend."""
    chosen = chosen_parameters(result.systems)
    params = dict(chosen[name])
    return with_component_parameters(params, chosen) if name == Blend.name else params


def remeasure_latency(data: RecommendData, result: BenchResult, systems: list[str] | None) -> None:
    """Re-fit each row's system with its chosen parameters and measure serving latency again."""
    events = pl.concat([data.train_events, data.valid_events], how="diagonal_relaxed")
    users = [c.user_id for c in data.test][:LATENCY_USERS]
    for row in result.systems:
        if systems and row.name not in systems:
            continue
        model = make(row.name, **row_parameters(result, row.name))
        model.fit(events, data.catalog)
        with tempfile.TemporaryDirectory(prefix="inhouse-bench-") as tmp:
            model.save(Path(tmp))
            timing = measure_latency(Path(tmp), users)
        for key, value in timing.fields().items():  # latency_ms and pydantic extra fields
            setattr(row, key, value)


def bench_recommend(
    data: RecommendData,
    systems: list[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
) -> BenchResult:
    """Every system (default: all registered) as a row of a `BenchResult`: test metrics, fit
    time, serving latency. `params`: system name -> the one setting to run instead of its grid;
    a blend component given by name alone runs with the parameters its own row chose on
    validation earlier in this run (see `with_component_parameters`).
    """
    names = systems or list(SYSTEMS)
    rows: list[SystemResult] = []
    with make_progress() as progress:
        overall = progress.add_task(f"recommend bench on {data.name}", total=len(names))
        for name in names:
            given = (params or {}).get(name)
            if given is not None and name == Blend.name:
                given = with_component_parameters(given, chosen_parameters(rows))
            rows.append(bench_system(name, data, progress, given))
            progress.advance(overall)
    return BenchResult(
        workload="recommend",
        dataset=data.name,
        protocol=data.protocol,
        primary_metric=PRIMARY,
        systems=rows,
    )
