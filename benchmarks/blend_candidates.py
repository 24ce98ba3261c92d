"""The blend served by re-ranking a union of candidates vs the dense blend, on amazon-scientific.

The default blend (`inhouse.recommend.registry.DEFAULT_BLEND`, weights tuned at fit on a held-out
last item) is fitted once on the train events; validation NDCG@10 is measured with the dense
ranking (every member scores the whole catalog) and with the union of each member's top `n`
candidates for each `n` of the grid. The smallest `n` within `TOLERANCE` of dense on validation
is chosen, and test NDCG@10 is reported for dense and for every `n`, with the same fitted blend
(not re-fitted on train + valid as `benchmarks/recommend.py` does: both rankings see the same
model, which is what the comparison needs, and one fit of the blend takes about 20 minutes on
the shared 2-core machine).

    INHOUSE_DATA_DIR=../shared/datasets python benchmarks/blend_candidates.py \
        --out benchmarks/results/blend-candidates-amazon-scientific.json
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from inhouse.datasets import load
from inhouse.eval.results import BenchResult, SystemResult, write_results
from inhouse.recommend.blend import Blend
from inhouse.recommend.metrics import evaluate
from inhouse.recommend.registry import make

GRID = (10, 20, 50, 100, 200, 500)
TOLERANCE = 0.001  # validation NDCG@10 below dense by at most this (the target is 0.002 on test)


def measured(model: Blend, cases: Any, n: int | None) -> tuple[dict[str, float | None], float]:
    """Metrics of `model` ranking with `n` candidates per member (None: dense), and seconds."""
    model.params["candidates"] = n
    start = time.perf_counter()
    metrics = evaluate(model, cases, served=n is not None)
    return metrics, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="amazon-scientific")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--grid", default=",".join(map(str, GRID)))
    args = parser.parse_args()
    grid = [int(g) for g in args.grid.split(",")]
    data = load(args.dataset)
    load_before, started = [round(x, 2) for x in os.getloadavg()], time.perf_counter()

    blend = make("blend")
    assert isinstance(blend, Blend)
    start = time.perf_counter()
    blend.fit(data.train_events, data.catalog)
    fit_valid_s = time.perf_counter() - start
    valid: dict[str, Any] = {}
    for n in [None, *grid]:
        metrics, seconds = measured(blend, data.valid, n)
        valid[str(n)] = {"metrics": metrics, "eval_s": round(seconds, 1)}
        print("valid", n, metrics["ndcg@10"], f"{seconds:.1f}s", flush=True)
    dense_valid = valid["None"]["metrics"]["ndcg@10"]
    close = [n for n in grid if valid[str(n)]["metrics"]["ndcg@10"] >= dense_valid - TOLERANCE]
    chosen = min(close) if close else max(grid)
    print("chosen n =", chosen, flush=True)

    fit_s = fit_valid_s
    rows = []
    dense_test = None
    for n in [None, *grid]:
        metrics, seconds = measured(blend, data.test, n)
        print("test", n, metrics["ndcg@10"], f"{seconds:.1f}s", flush=True)
        if n is None:
            dense_test = metrics["ndcg@10"]
        assert dense_test is not None
        rows.append(
            SystemResult(
                name="blend-dense" if n is None else f"blend-candidates-{n}",
                kind="in-house",
                metrics=metrics,
                fit_seconds=round(fit_s, 1),
                candidates=n,
                chosen=n == chosen,
                ndcg10_minus_dense=round((metrics["ndcg@10"] or 0.0) - dense_test, 5),
                valid_metrics=valid[str(n)]["metrics"],
                eval_s=round(seconds, 1),
                weights=blend.weights,
            )
        )
    result = BenchResult(
        workload="recommend",
        dataset=args.dataset,
        protocol=data.protocol + "; the blend ranked densely vs over the union of each member's "
        "top-n candidates, members standardised by their catalog-wide mean and std",
        primary_metric="ndcg@10",
        systems=rows,
        command=" ".join([Path(sys.executable).name, *sys.argv]),
        chosen_candidates=chosen,
        tolerance_on_valid=TOLERANCE,
        valid=valid,
        fitted_on="train events only (valid and test share the fitted blend)",
        wall_s=round(time.perf_counter() - started, 1),
        load_average_before=load_before,
        load_average_after=[round(x, 2) for x in os.getloadavg()],
    )
    write_results(result, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
