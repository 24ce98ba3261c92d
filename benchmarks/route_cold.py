"""Wall time of one fresh `inhouse support route` process (a cold single call), optionally for
two checkouts in alternating runs, on the same router folder.

    python benchmarks/route_cold.py --runs 5 --out benchmarks/results/route-cold.json
    python benchmarks/route_cold.py --src /tmp/old/src --src src --runs 5 --out ...

The router is a `logistic` router fitted on the test fixtures' tickets (20 messages, 4
intents), served from its ONNX graph; every run is a new Python process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGE = "my card never arrived"


def _fit(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from inhouse.support.route.registry import make_router
    from tests.support.route.test_router import INTENTS, TEXTS

    make_router("logistic", c=10.0).fit(TEXTS, INTENTS).save(folder / "router")
    return folder / "router"


def _once(src: Path, router: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "inhouse", "support", "route", str(router), MESSAGE],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, action="append", help="a checkout's src/ (repeat)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sources = [s.resolve() for s in (args.src or [ROOT / "src"])]
    with tempfile.TemporaryDirectory(prefix="inhouse-route-cold-") as tmp:
        router = _fit(Path(tmp))
        for src in sources:
            _once(src, router)  # warm the page cache once per checkout
        walls: dict[str, list[float]] = {str(s): [] for s in sources}
        for i in range(args.runs):
            for src in sources if i % 2 == 0 else sources[::-1]:
                walls[str(src)].append(_once(src, router))
    rows = [
        {"src": s, "median_s": round(statistics.median(w), 2), "runs_s": [round(x, 2) for x in w]}
        for s, w in walls.items()
    ]
    result = {
        "what": "wall seconds of one fresh `inhouse support route ROUTER TEXT` process",
        "router": "logistic on the test fixtures' tickets, served from ONNX",
        "rows": rows,
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]},
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for r in rows:
        print(f"{r['src']}: median {r['median_s']} s over {args.runs} runs")


if __name__ == "__main__":
    main()
