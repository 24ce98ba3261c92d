"""Load on `inhouse serve` with `wrk` on loopback, beside the in-process figures of the same
requests, for /v1/support/route and /v1/embeddings with dynamic batching off and on.

    python benchmarks/serve_load.py --seconds 5 --connections 16 --out benchmarks/results/serve.json

For each endpoint it measures, in this process, the CPU seconds and wall latency of one
unbatched request (the service call alone), so the in-process ceiling is cores / CPU seconds.
Then, for each batching setting, it starts the real server (`inhouse serve --workers N`, a
separate process) and drives it with wrk: `--connections` at once for req/s, p50 and p99, and
one connection for the server's latency; the overhead is that latency minus the in-process
latency at the same percentile. `in_process_lone_through_batcher` is one request at a time
through the endpoint's batcher with the row's window: what the window costs a lone request.
`rss_growth` is the server's resident memory after the load
runs over before them (a short run, not a soak). It serves the tests' tiny artifacts (a
logistic router over MiniLM and the MiniLM embedder): real models, a toy label set.
Needs `wrk` on PATH (Debian: `apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.serve

TEXT = "my card has not arrived yet"
ENDPOINTS = {
    "/v1/support/route": {"message": TEXT},
    "/v1/embeddings": {"model": "all-MiniLM-L6-v2", "input": TEXT},
}
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def in_process(models: Any, path: str, n: int) -> dict[str, float]:
    """CPU seconds and wall latency (ms) of one unbatched request's model call."""
    call = {
        "/v1/support/route": lambda: models.routers["bank-router"].route(TEXT),
        "/v1/embeddings": lambda: models.embedders["all-MiniLM-L6-v2"].embed([TEXT]),
    }[path]
    for _ in range(20):
        call()
    cpu, wall = [], []
    for _ in range(n):
        c0, w0 = time.process_time(), time.perf_counter()  # torch's threads count too
        call()
        cpu.append(time.process_time() - c0)
        wall.append((time.perf_counter() - w0) * 1000)
    cpu_s = float(np.median(cpu))
    return {
        "cpu_seconds": cpu_s,
        "ceiling": (os.cpu_count() or 1) / cpu_s,
        "p50_ms": float(np.percentile(wall, 50)),
        "p99_ms": float(np.percentile(wall, 99)),
    }


def lone_through_batcher(models: Any, path: str, window_ms: float, n: int) -> dict[str, float]:
    """Wall latency (ms) of one request at a time through the endpoint's batcher."""
    from inhouse.serve.batching import Batchers

    batchers = Batchers.of(models, window_ms, 32)
    call = {
        "/v1/support/route": lambda: batchers.route["bank-router"](TEXT),
        "/v1/embeddings": lambda: batchers.embed["all-MiniLM-L6-v2"]([TEXT]),
    }[path]
    wall = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        wall.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": float(np.percentile(wall, 50)), "p99_ms": float(np.percentile(wall, 99))}


def wrk(url: str, key: str, body: dict[str, Any], connections: int, seconds: int) -> dict[str, Any]:
    """One wrk run: req/s, p50 and p99 in ms, and errors (non-2xx and socket errors)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(json.dumps(body))}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {key}"\n'
        )
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)

    def latency(pct: str) -> float:
        m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert m, out
        return float(m.group(1)) * UNITS[m.group(2)]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rate, out
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(g) for g in sockets.groups()) if sockets else 0
    )
    return {
        "req_per_s": float(rate.group(1)),
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "errors": errors,
    }


def rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and its children (the uvicorn workers)."""
    total = 0
    for line in subprocess.run(
        ["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)], capture_output=True, text=True
    ).stdout.split():
        total += int(line) * 1024
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(config: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start `inhouse serve` and wait for /health."""
    import httpx

    port = free_port()
    inhouse = Path(sys.executable).parent / "inhouse"
    command = [
        str(inhouse),
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--window-ms", type=float, default=2.0)
    parser.add_argument("--inprocess-requests", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/serve.json"))
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        from inhouse import __version__
        from inhouse.files import atomic_write_text
        from inhouse.serve.config import load_config
        from inhouse.serve.loaded import Models
        from inhouse.serve.state import SqliteState
        from tests.serve.conftest import bench_artifacts, write_config

        artifacts = bench_artifacts(root)
        models = Models.load(load_config(write_config(root, artifacts)))
        local = {path: in_process(models, path, args.inprocess_requests) for path in ENDPOINTS}
        lone = {
            (path, window): lone_through_batcher(models, path, window, args.inprocess_requests)
            for path in ENDPOINTS
            for window in (0.0, args.window_ms)
        }
        for batching, window in (("off", 0.0), ("on", args.window_ms)):
            folder = root / f"batching-{batching}"
            folder.mkdir()
            config = write_config(folder, artifacts, f"batch_window_ms = {window}")
            state = SqliteState(load_config(config).state)
            key = state.create_key("load", ["embeddings", "support"])[1]
            state.close()
            process, url = serve(config, args.workers)
            try:
                for path, body in ENDPOINTS.items():
                    wrk(url + path, key, body, 1, 1)  # warm up
                    alone = wrk(url + path, key, body, 1, args.seconds)
                    before = rss_bytes(process.pid)
                    loaded = wrk(url + path, key, body, args.connections, args.seconds)
                    after = rss_bytes(process.pid)
                    ref = local[path]
                    rows.append(
                        {
                            "name": f"{path} batching {batching}",
                            "kind": "in-house",
                            "endpoint": path,
                            "batching": {"window_ms": window, "max_batch": 32},
                            "workers": args.workers,
                            "connections": args.connections,
                            "seconds": args.seconds,
                            "metrics": {
                                **loaded,
                                "overhead_p50_ms": round(alone["p50_ms"] - ref["p50_ms"], 3),
                                "overhead_p99_ms": round(alone["p99_ms"] - ref["p99_ms"], 3),
                                "inprocess_ceiling_req_per_s": round(ref["ceiling"], 1),
                                "rss_growth": round(after / before - 1, 4),
                            },
                            "one_connection": alone,
                            "in_process": {k: round(v, 6) for k, v in ref.items()},
                            "in_process_lone_through_batcher": lone[path, window],
                        }
                    )
                    print(json.dumps(rows[-1]), flush=True)
            finally:
                process.terminate()
                process.wait(timeout=60)
    result = {
        "workload": "serve",
        "dataset": "one short support message (tests' tiny router, MiniLM)",
        "protocol": (
            f"wrk on loopback, one short text per request ({TEXT!r}), {args.connections} "
            f"connections for {args.seconds} s for req/s and latency, 1 connection for the "
            "overhead against the in-process model call; tests' tiny router and MiniLM"
        ),
        "primary_metric": "req_per_s",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "inhouse": __version__,
            "note": "wrk ran on the same cores as the server; what else ran shows in the "
            "load average before and after",
            "loadavg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        },
        "command": " ".join(["python", *sys.argv]),
        "systems": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
