"""Intent-routing bake-off on Banking77 or CLINC150: every router system, one JSON file.

    python benchmarks/support_routing.py --dataset banking77 --out results/routing-b77.json
    python benchmarks/support_routing.py --dataset clinc150 --systems logistic --out c.json
    python benchmarks/support_routing.py --dataset clinc150 --systems finetuned \
        --config '{"finetuned": {"epochs": 2}}' --out c-ft.json

    python benchmarks/support_routing.py --dataset banking77 --systems logistic,finetuned \
        --embedder all-mpnet-base-v2 --add --out benchmarks/results/support-banking77.json

`--embedder NAME` encodes with a registered embedder (rows named `finetuned@mpnet`); `--add`
puts the rows into --out beside the ones there, replacing rows of the same name.
Reads datasets from --data-dir or INHOUSE_DATA_DIR. Thresholds come from `valid` only; `test`
is scored once per run. `--config` settings go over `OPERATING_POINTS`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from inhouse.datasets import load
from inhouse.eval.results import add_results, tag_rows, write_results
from inhouse.models.embedder import DEFAULT_EMBEDDER, encoder_tag
from inhouse.models.load import load_named_embedder
from inhouse.support.route.evaluate import bench_routing
from inhouse.support.route.registry import SYSTEMS

# CLINC150's target (issue 4) is an operating point: in-scope accuracy of at least 95.5 % on
# test with as much out-of-scope recall as that allows. The finetuned router's threshold is
# therefore the one that keeps *valid* in-scope accuracy at or above 96 % (the target plus half a
# point for the valid-to-test shift); the other systems cannot reach 96 % on valid at all and keep
# the default rule (at most 1 point below their accuracy without a threshold).
OPERATING_POINTS: dict[str, dict[str, dict[str, object]]] = {
    "clinc150": {
        "finetuned": {"min_in_scope_accuracy": 0.96},
        "distilled": {"min_in_scope_accuracy": 0.96},  # the finetuned router's rule
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["banking77", "clinc150"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER, help="a registered embedder")
    parser.add_argument("--add", action="store_true", help="add the rows to --out's rows")
    parser.add_argument(
        "--config", default="{}", help='JSON: system -> settings, e.g. {"finetuned": {"epochs": 1}}'
    )
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    data = load(args.dataset, args.data_dir)
    start = time.perf_counter()
    configs = {k: dict(v) for k, v in OPERATING_POINTS.get(args.dataset, {}).items()}
    for system, settings in json.loads(args.config).items():
        configs[system] = {**configs.get(system, {}), **settings}
    embedder = load_named_embedder(args.embedder)
    result = bench_routing(data, args.systems.split(","), embedder, configs=configs)
    result = tag_rows(result, encoder_tag(args.embedder))
    (add_results if args.add else write_results)(result, args.out)
    for row in result.systems:
        shown = {k: round(v, 4) for k, v in row.metrics.items() if v is not None}
        print(f"{row.name:18s} {shown} fit {row.fit_seconds}s latency {row.latency_ms}")
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
