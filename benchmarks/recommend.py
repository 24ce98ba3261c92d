"""Recommend bake-off on one dataset: every system's test metrics, fit time and serving latency.

    INHOUSE_DATA_DIR=../shared/datasets python benchmarks/recommend.py \
        --dataset amazon-scientific --out results/recommend-amazon-scientific.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from inhouse.datasets import load
from inhouse.eval.ranking import METRICS
from inhouse.eval.results import read_results, write_results
from inhouse.recommend.evaluate import bench_recommend, remeasure_latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--dataset", required=True, help="amazon-scientific, goodbooks-sample, online-retail"
    )
    parser.add_argument("--out", required=True, type=Path, help="JSON file to write")
    parser.add_argument("--systems", nargs="*", help="registry names (default: all built in)")
    parser.add_argument(
        "--update", action="store_true", help="keep other systems' rows already in --out"
    )
    parser.add_argument(
        "--latency-only",
        action="store_true",
        help="re-measure serving latency of the systems in --out with their chosen parameters",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    if args.latency_only:
        (result,) = read_results(args.out)
        remeasure_latency(load(args.dataset), result, args.systems)
        args.update = False
    else:
        result = bench_recommend(load(args.dataset), args.systems)
    if args.update and args.out.exists():
        (old,) = read_results(args.out)
        assert old.dataset == args.dataset, f"{args.out} holds {old.dataset}, not {args.dataset}"
        fresh = {s.name for s in result.systems}
        result.systems = [s for s in old.systems if s.name not in fresh] + result.systems
    write_results(result, args.out)
    table = Table(title=f"recommend on {args.dataset} (test)", width=160)
    for col in ["system", "kind", *METRICS, "fit s", "p50 ms", "p99 ms", "cpu p99 ms"]:
        table.add_column(col)
    for s in result.systems:
        table.add_row(
            s.name,
            s.kind,
            *[f"{s.metrics[m]:.4f}" if s.metrics.get(m) is not None else "-" for m in METRICS],
            f"{s.fit_seconds:.1f}",
            f"{s.latency_ms.p50:.2f}" if s.latency_ms else "-",
            f"{s.latency_ms.p99:.2f}" if s.latency_ms else "-",
            f"{(s.model_extra or {}).get('cpu_latency_ms', {}).get('p99', float('nan')):.2f}",
        )
    Console(width=200).print(table)
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
