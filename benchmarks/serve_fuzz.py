"""Fuzz the server with schemathesis against its own OpenAPI schema, in-process, and write the
counts: cases run, 5xx responses and schema violations (target: 0 and 0).

    python benchmarks/serve_fuzz.py --cases-per-operation 200 \
        --out benchmarks/results/serve-fuzz.json

It serves the tests' tiny artifacts (a logistic router, a hybrid help-center index, cooc on the
checkerboard, the embedded MiniLM embedder) from a temporary folder, with one key of every
scope made through the state API. Nothing goes over the network.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases-per-operation", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/serve-fuzz.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        from inhouse import __version__
        from inhouse.files import atomic_write_text
        from inhouse.serve.app import create_app
        from inhouse.serve.config import load_config
        from inhouse.serve.keys import SCOPES
        from inhouse.serve.state import SqliteState
        from tests.serve.conftest import bench_artifacts, write_config
        from tests.serve.fuzz import fuzz

        logging.getLogger("inhouse.serve").setLevel(logging.ERROR)  # unknown-field warnings

        config = load_config(write_config(root, bench_artifacts(root)))
        state = SqliteState(config.state)
        key = state.create_key("fuzz", list(SCOPES))[1]
        app = create_app(config, state=state)
        start = time.perf_counter()
        counts = fuzz(app, key, args.cases_per_operation, args.seed)
        seconds = time.perf_counter() - start
        state.close()
    result = {
        "workload": "serve-fuzz",
        "tool": "schemathesis (positive and negative modes), in-process ASGI",
        "command": " ".join(["python", *sys.argv]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "inhouse": __version__,
        },
        "seed": args.seed,
        "cases_per_operation": args.cases_per_operation,
        "seconds": round(seconds, 1),
        **counts.as_dict(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    shown = ("cases", "server_errors", "schema_violations", "statuses", "seconds")
    print(json.dumps({k: result[k] for k in shown}))
    for failure in counts.failures:
        print(failure, file=sys.stderr)


if __name__ == "__main__":
    main()
