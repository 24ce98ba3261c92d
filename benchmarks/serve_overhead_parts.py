"""What each per-request step of the server's own bookkeeping costs, one call at a time.

    python benchmarks/serve_overhead_parts.py --calls 300 \
        --out benchmarks/results/serve-overhead-parts.json

Every metered request authenticates its key, counts one rate-limit hit, counts its tokens,
writes one usage row and appends one audit line. This times each of those alone, in this
process, on the state and audit files the server would use (SQLite in WAL mode, in a temporary
folder on this machine's disk); the audit line with an fsync per line (`audit_fsync_ms = 0`)
and with the default timer (100 ms), so the server's overhead (`benchmarks/serve_load.py`,
target p50 <= 1 ms) can be split into its parts. Medians and p99s in milliseconds.

The `http_floor` rows are what HTTP itself costs here: wrk on one connection against uvicorn
(httptools, uvloop) serving a bare ASGI app, a FastAPI endpoint with a pydantic body run on the
event loop (`async def`), and the same endpoint as a plain `def`, which FastAPI runs in a worker
thread: the price of one hop to a thread and back. Needs `wrk` on PATH.
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


def http_floor(seconds: int) -> dict[str, dict[str, float]]:
    """wrk -c1 latency against uvicorn serving trivial apps in a thread of this process."""
    import threading

    import uvicorn
    from fastapi import FastAPI
    from pydantic import BaseModel

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from serve_load import free_port, wrk

    async def bare(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        await receive()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"ok":true}'})

    class Body(BaseModel):
        message: str

    fastapi = FastAPI()

    @fastapi.post("/on-loop")
    async def on_loop(body: Body) -> dict[str, str]:
        return {"message": body.message}

    @fastapi.post("/in-thread")
    def in_thread(body: Body) -> dict[str, str]:
        return {"message": body.message}

    out = {}
    for name, app, path in (
        ("bare_asgi", bare, "/"),
        ("fastapi_on_loop", fastapi, "/on-loop"),
        ("fastapi_in_thread", fastapi, "/in-thread"),
    ):
        port = free_port()
        config = uvicorn.Config(app, port=port, log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url, body = f"http://127.0.0.1:{port}{path}", {"message": "my card has not arrived yet"}
        wrk(url, "unused", body, 1, 1)  # warm up
        got = wrk(url, "unused", body, 1, seconds)
        out[name] = {"p50_ms": round(got["p50_ms"], 3), "p99_ms": round(got["p99_ms"], 3)}
        server.should_exit = True
        thread.join(10)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=3, help="of each wrk run (HTTP floor)")
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
        every_line = AuditLog(root / "audit.jsonl", fsync_ms=0)
        on_timer = AuditLog(root / "audit-timer.jsonl", fsync_ms=100)
        record = {"endpoint": "/v1/embeddings", "status": 200, "key": "bench", "latency_ms": 1.0}
        row = UsageRow(time.time(), "bench", "/v1/embeddings", "m", 200, 7, 0, 0.001, 1e-8)
        parts = {
            "authenticate": timed(lambda: state.authenticate(token), n),
            "rate_limit_hit": timed(lambda: state.hit(key, time.time()), n),
            "count_tokens": timed(lambda: tokens(["my card has not arrived yet"], "o200k"), n),
            "usage_row": timed(lambda: state.record(row), n),
            "audit_line": timed(lambda: on_timer.append(record), n),
            "audit_line_fsync_every_line": timed(lambda: every_line.append(record), n),
        }
        on_timer.sync()
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
            sum(v["p50_ms"] for k, v in parts.items() if k != "audit_line_fsync_every_line"), 4
        ),
        "http_floor": http_floor(args.seconds),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
