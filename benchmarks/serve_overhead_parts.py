"""What each per-request step of the server's own bookkeeping costs, one call at a time.

    python benchmarks/serve_overhead_parts.py --calls 300 \
        --out benchmarks/results/serve-overhead-parts.json

Every metered request authenticates its key, counts one rate-limit hit, counts its tokens,
writes one usage row and appends one audit line (fsynced). This times each of those alone, in
this process, on the state and audit files the server would use (SQLite in WAL mode, in a
temporary folder on this machine's disk), plus the audit append without its fsync, so the
server's overhead (`benchmarks/serve_load.py`, target p50 <= 1 ms) can be split into its parts.
Medians and p99s in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np


def timed(call: Callable[[], object], n: int) -> dict[str, float]:
    for _ in range(10):
        call()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(float(np.median(out)), 4),
        "p99_ms": round(float(np.percentile(out, 99)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/serve-overhead-parts.json")
    )
    args = parser.parse_args()

    from inhouse import __version__
    from inhouse.files import atomic_write_text
    from inhouse.serve.audit import AuditLog
    from inhouse.serve.metering import tokens
    from inhouse.serve.state import SqliteState, UsageRow

    n = args.calls
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        state = SqliteState(root / "state.sqlite3", root / "state.secret", True)
        key, token = state.create_key("bench", ["embeddings"], rpm=10**9, budget_usd=None)
        audit = AuditLog(root / "audit.jsonl")
        record = {"endpoint": "/v1/embeddings", "status": 200, "key": "bench", "latency_ms": 1.0}
        row = UsageRow(time.time(), "bench", "/v1/embeddings", "m", 200, 7, 0, 0.001, 1e-8)
        parts = {
            "authenticate": timed(lambda: state.authenticate(token), n),
            "rate_limit_hit": timed(lambda: state.hit(key, time.time()), n),
            "count_tokens": timed(lambda: tokens(["my card has not arrived yet"], "o200k"), n),
            "usage_row": timed(lambda: state.record(row), n),
            "audit_line": timed(lambda: audit.append(record), n),
        }
        with mock.patch("os.fsync"):
            parts["audit_line_without_fsync"] = timed(lambda: audit.append(record), n)
        state.close()
    result = {
        "workload": "serve-overhead-parts",
        "command": " ".join(["python", *sys.argv]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "inhouse": __version__,
        "calls": n,
        "load_1min": round(os.getloadavg()[0], 2),
        "parts": parts,
        "sum_p50_ms": round(
            sum(v["p50_ms"] for k, v in parts.items() if k != "audit_line_without_fsync"), 4
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
