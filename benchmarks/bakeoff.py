"""The bake-off behind the README's headline: support on Banking77, recommend on goodbooks-sample.

    INHOUSE_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/bakeoff.py --out results/bakeoff

Writes `bakeoff.json` (bench results, every price and published figure with its source),
`report.html`, and `timing.json` (wall and CPU seconds of the whole run).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from inhouse.bakeoff.cost import CostBasis
from inhouse.bakeoff.headline import headline, savings_sentence
from inhouse.bakeoff.prices import load_prices
from inhouse.bakeoff.run import run_demo
from inhouse.bakeoff.workloads import Bakeoff
from inhouse.files import atomic_write_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/bakeoff"))
    parser.add_argument("--prices", type=Path, default=None, help="price overrides (TOML)")
    parser.add_argument("--volume", type=int, default=1_000_000)
    args = parser.parse_args()
    start, cpu = time.perf_counter(), time.process_time()
    run = Bakeoff(prices=load_prices(args.prices), basis=CostBasis(volume=args.volume))
    results = run_demo(args.out, run)
    timing = {
        "wall_seconds": round(time.perf_counter() - start, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "cpus": os.cpu_count(),
        "headlines": [headline(r) for r in results],
        "savings": [savings_sentence(r) for r in results],
    }
    atomic_write_text(args.out / "timing.json", json.dumps(timing, indent=2) + "\n")
    print(json.dumps(timing, indent=2))


if __name__ == "__main__":
    main()
