"""Load on `inhouse serve` with `wrk` on loopback, beside the in-process figures of the same
requests, for /v1/support/route and /v1/embeddings with dynamic batching off and on.

    python benchmarks/serve_load.py --seconds 5 --workers 2 --out benchmarks/results/serve.json

For each endpoint it measures, in this process, the CPU seconds and wall latency of one
unbatched request (the service call alone), so the in-process ceiling is cores / CPU seconds,
with the threads one server worker has (`worker_threads`: cores // workers when workers > 1).
Then, for each batching setting, it starts the real server (`inhouse serve --workers N`, a
separate process) and drives it with wrk at each of the `--connections` levels for req/s, p50
and p99; a row's figures are those of the level with the most req/s whose p99 is within the
endpoint's SLO (`--slo-ms`, `--recommend-slo-ms`: the issue's p99 bounds), and the row keeps
every level in `sweep`. The overhead is measured on one connection, request by request: the
client's latency minus the wall time of that same request's model call, which the server
reports in `x-inhouse-compute-ms` (`paired`). Two separate runs, in process and through the
server, drift apart on a shared machine by more than the overhead itself; a paired difference
does not. `in_process_lone_through_batcher` is one request at a time
through the endpoint's batcher with the row's window: what the window costs a lone request.
`rss_growth` is the server's resident memory after the load
runs over before them (a short run, not a soak). It serves the tests' tiny artifacts (a
logistic router over MiniLM and the MiniLM embedder): real models, a toy label set.

`/v1/recommendations` rows serve recommenders fitted here on a real dataset's training events
(`--recommend-dataset`, read through `INHOUSE_DATA_DIR`): cooc and ease alone, and the demo's
blend (the default blend less two-tower). wrk cycles through `--users` real users of the
dataset, the same users in the same order as the in-process calls of the service.

`--soak-seconds S` adds a soak row: route, embeddings and recommendations (cooc) under steady
load together for S seconds (600 for the issue's 10 minutes), the server's resident memory read
every 10 s; `rss_growth` is the last reading over the first one after a warm-up minute.
Needs `wrk` on PATH (Debian: `apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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


@contextlib.contextmanager
def worker_threads(workers: int) -> Iterator[None]:
    """The threads a server worker computes with (`inhouse serve --workers N` gives each of N
    workers cores // N when N > 1; one worker keeps the libraries' defaults), so an in-process
    figure is the same computation as the server's."""
    if workers <= 1:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    n, before = max(1, (os.cpu_count() or 1) // workers), torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(before)


def in_process(models: Any, path: str, n: int, max_batch: int) -> dict[str, float]:
    """CPU seconds and wall latency (ms) of one unbatched request's model call; and the CPU
    seconds per text of one full batch (`max_batch` copies of the text in one call), the least
    a batched request can cost."""
    router, embedder = models.routers["bank-router"], models.embedders["all-MiniLM-L6-v2"]
    many = [TEXT] * max_batch
    call, batched = {
        "/v1/support/route": (lambda: router.route(TEXT), lambda: router.route_many(many)),
        "/v1/embeddings": (lambda: embedder.embed([TEXT]), lambda: embedder.embed(many)),
    }[path]
    for _ in range(20):
        call()
    cpu, wall = [], []
    for _ in range(n):
        c0, w0 = time.process_time(), time.perf_counter()  # torch's threads count too
        call()
        cpu.append(time.process_time() - c0)
        wall.append((time.perf_counter() - w0) * 1000)
    batch_cpu = []
    for _ in range(max(3, n // max_batch)):
        c0 = time.process_time()
        batched()
        batch_cpu.append((time.process_time() - c0) / max_batch)
    cpu_s = float(np.median(cpu))
    return {
        "cpu_seconds": cpu_s,
        "ceiling": (os.cpu_count() or 1) / cpu_s,
        "p50_ms": float(np.percentile(wall, 50)),
        "p99_ms": float(np.percentile(wall, 99)),
        "batched_cpu_seconds_per_text": float(np.median(batch_cpu)),
    }


def lone_through_batcher(
    models: Any, path: str, window_ms: float, max_batch: int, n: int
) -> dict[str, float]:
    """Wall latency (ms) of one request at a time through the endpoint's batcher, counted in
    flight as the server counts its requests (`serve.batching.Arrivals`)."""
    from inhouse.serve.batching import Arrivals, Batchers

    arrivals = Arrivals()
    batchers = Batchers.of(models, window_ms, max_batch, arrivals)
    call = {
        "/v1/support/route": lambda: batchers.route["bank-router"](TEXT),
        "/v1/embeddings": lambda: batchers.embed["all-MiniLM-L6-v2"]([TEXT]),
    }[path]
    wall = []

    async def one_at_a_time() -> None:
        for _ in range(n):
            start = time.perf_counter()
            with arrivals.arrived():
                await call()
            wall.append((time.perf_counter() - start) * 1000)

    asyncio.run(one_at_a_time())
    return {"p50_ms": float(np.percentile(wall, 50)), "p99_ms": float(np.percentile(wall, 99))}


def fit_recommenders(root: Path, dataset: str, n_users: int) -> tuple[dict[str, Path], list[str]]:
    """cooc, ease and the demo's blend fitted on `dataset`'s training events, saved under
    `root`; and `n_users` users with history (a seeded sample), for the requests."""
    from inhouse.datasets import load
    from inhouse.recommend.registry import DEFAULT_BLEND, make

    data = load(dataset)
    blend = [s for s in DEFAULT_BLEND if s["name"] != "two-tower"]  # the demo's blend
    systems = {"cooc": make("cooc"), "ease": make("ease"), "blend": make("blend", systems=blend)}
    paths = {}
    for name, model in systems.items():
        start = time.perf_counter()
        model.fit(data.train_events, data.catalog)
        paths[name] = model.save(root / f"rec-{name}")
        print(f"fitted {name} on {dataset} in {time.perf_counter() - start:.1f} s", flush=True)
    users = sorted(set(data.train_events["user_id"].to_list()))
    rng = np.random.default_rng(0)
    return paths, [str(u) for u in rng.choice(users, size=min(n_users, len(users)), replace=False)]


def recommend_in_process(path: Path, users: list[str], n: int) -> dict[str, float]:
    """CPU seconds and wall latency (ms) of `for_user`, cycling through `users`."""
    from inhouse.recommend.service import RecommendService

    service = RecommendService(path)
    for user in users[:20]:
        service.for_user(user, k=10, explain=False)
    cpu, wall = [], []
    for i in range(n):
        user = users[i % len(users)]
        c0, w0 = time.process_time(), time.perf_counter()
        service.for_user(user, k=10, explain=False)
        cpu.append(time.process_time() - c0)
        wall.append((time.perf_counter() - w0) * 1000)
    cpu_s = float(np.median(cpu))
    return {
        "cpu_seconds": cpu_s,
        "ceiling": (os.cpu_count() or 1) / cpu_s,
        "p50_ms": float(np.percentile(wall, 50)),
        "p99_ms": float(np.percentile(wall, 99)),
    }


def config_text(folder: Path, artifacts: Path, recommenders: dict[str, Path], extra: str) -> Path:
    """A serve.toml in `folder`: the tests' tiny router and index, and `recommenders`."""
    lines = [
        'state = "state.sqlite3"',
        'audit_log = "audit.jsonl"',
        "machine_usd_per_hour = 3.6",
        extra,
        "[recommenders]",
        *(f'{name} = "{path}"' for name, path in recommenders.items()),
        "[routers]",
        f'bank-router = "{artifacts / "router"}"',
        "[indexes]",
        f'bank-help = "{artifacts / "index"}"',
    ]
    path = folder / "serve.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def new_key(config: Path) -> str:
    from inhouse.serve.config import load_config
    from inhouse.serve.state import SqliteState

    state = SqliteState(load_config(config).state)
    try:
        return state.create_key("load", ["embeddings", "support", "recommend"])[1]
    finally:
        state.close()


def wrk(
    url: str, key: str, body: dict[str, Any] | list[dict[str, Any]], connections: int, seconds: int
) -> dict[str, Any]:
    """One wrk run: req/s, p50 and p99 in ms, and errors (non-2xx and socket errors).

    A list of bodies is sent in turn, each connection cycling through it."""
    bodies = body if isinstance(body, list) else [body]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {key}"\n'
            "bodies = {" + ", ".join(json.dumps(json.dumps(b)) for b in bodies) + "}\n"
            "i = 0\n"
            "request = function()\n"
            "  i = i % #bodies + 1\n"
            "  return wrk.format(nil, nil, nil, bodies[i])\n"
            "end\n"
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


def row(
    name: str,
    path: str,
    workers: int,
    args: Any,
    measured: tuple[Any, Any, float, list[dict[str, Any]]],
    ref: dict[str, float],
    slo: float,
    **extra: Any,
) -> dict[str, Any]:
    """One result row: the loaded figures at the best level within the p99 `slo`, the overhead
    paired request by request at one connection, the in-process ceiling."""
    chosen, alone, growth, sweep = measured
    loaded = {k: v for k, v in chosen.items() if k != "connections"}
    return {
        "name": name,
        "kind": "in-house",
        "endpoint": path,
        "workers": workers,
        "connections": chosen["connections"],
        "seconds": args.seconds,
        "slo_p99_ms": slo,
        **extra,
        "metrics": {
            **loaded,
            "overhead_p50_ms": alone["overhead_p50_ms"],
            "overhead_p99_ms": alone["overhead_p99_ms"],
            "inprocess_ceiling_req_per_s": round(ref["ceiling"], 1),
            "rss_growth": round(growth, 4),
        },
        "ceiling_ratio": round(chosen["req_per_s"] / ref["ceiling"], 3),
        "sweep": sweep,
        "one_connection": alone,
        "in_process": {k: round(v, 6) for k, v in ref.items()},
    }


def paired(url: str, key: str, body: Any, seconds: float) -> dict[str, Any]:
    """One connection, one request at a time for `seconds`, each request's latency paired with
    the wall time of its own model call (the server's `x-inhouse-compute-ms`): the server's
    overhead request by request, immune to the machine drifting between two separate runs.

    A raw keep-alive socket with the requests built beforehand: the client's own cost (tens of
    microseconds) counts as overhead, so the figure errs high."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    bodies = body if isinstance(body, list) else [body]
    requests = []
    for b in bodies:
        data = json.dumps(b).encode()
        head = (
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        requests.append(head.encode() + data)
    latency, compute, errors = [], [], 0
    with socket.create_connection((parts.hostname, parts.port)) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stream = conn.makefile("rb")
        deadline, i = time.monotonic() + seconds, 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            conn.sendall(requests[i % len(requests)])
            status = stream.readline()
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            stream.read(int(headers.get("content-length", 0)))
            elapsed = (time.perf_counter() - start) * 1000
            i += 1
            if not status.split()[1].startswith(b"2") or "x-inhouse-compute-ms" not in headers:
                errors += 1
                continue
            latency.append(elapsed)
            compute.append(float(headers["x-inhouse-compute-ms"]))
    over = np.subtract(latency, compute)
    return {
        "requests": len(latency),
        "errors": errors,
        "p50_ms": round(float(np.percentile(latency, 50)), 3),
        "p99_ms": round(float(np.percentile(latency, 99)), 3),
        "compute_p50_ms": round(float(np.percentile(compute, 50)), 3),
        "overhead_p50_ms": round(float(np.percentile(over, 50)), 3),
        "overhead_p99_ms": round(float(np.percentile(over, 99)), 3),
    }


def measure(
    url: str, key: str, path: str, body: Any, args: Any, pid: int, levels: list[int], slo: float
) -> tuple[Any, Any, float, list[dict[str, Any]]]:
    """Warm up; one connection, paired (overhead); then wrk at each of `levels` connections.
    The loaded figures are those of the level with the most req/s whose p99 meets `slo` ms
    (the lowest level when none does); every level is returned in the sweep."""
    wrk(url + path, key, body, 1, 1)
    alone = paired(url + path, key, body, args.seconds)
    before = rss_bytes(pid)
    sweep = [{"connections": c, **wrk(url + path, key, body, c, args.seconds)} for c in levels]
    growth = rss_bytes(pid) / before - 1
    meeting = [r for r in sweep if r["p99_ms"] <= slo and r["errors"] == 0]
    chosen = max(meeting, key=lambda r: r["req_per_s"]) if meeting else sweep[0]
    return chosen, alone, growth, sweep


def soak(url: str, key: str, loads: dict[str, Any], seconds: int, pid: int) -> dict[str, Any]:
    """Every load in `loads` (path -> body) at once for `seconds`, the server's RSS read every
    10 s; growth is the last reading over the first after a warm-up minute (or a tenth)."""
    import threading

    results: dict[str, Any] = {}

    def one(path: str, body: Any) -> None:
        results[path] = wrk(url + path, key, body, 4, seconds)

    threads = [threading.Thread(target=one, args=item) for item in loads.items()]
    for t in threads:
        t.start()
    readings, start, warm = [], time.monotonic(), min(60.0, seconds / 10)
    while any(t.is_alive() for t in threads):
        time.sleep(10 if seconds >= 60 else 1)
        if time.monotonic() - start >= warm and any(t.is_alive() for t in threads):
            readings.append(rss_bytes(pid))
    for t in threads:
        t.join()
    return {
        "per_endpoint": results,
        "rss_bytes": readings,
        "rss_growth": readings[-1] / readings[0] - 1,
        "errors": sum(r["errors"] for r in results.values()),
        "req_per_s": round(sum(r["req_per_s"] for r in results.values()), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument(
        "--connections", default="4,8,16,32", help="wrk connection levels, comma-separated"
    )
    parser.add_argument("--slo-ms", type=float, default=50.0, help="route/embeddings p99")
    parser.add_argument("--workers", type=int, default=1, help="for route and embeddings")
    parser.add_argument("--recommend-workers", type=int, default=2)
    parser.add_argument(
        "--recommend-connections", default=None, help="levels; default: --connections"
    )
    parser.add_argument("--recommend-slo-ms", type=float, default=20.0)
    parser.add_argument("--window-ms", type=float, default=2.0)
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--inprocess-requests", type=int, default=300)
    parser.add_argument("--recommend-dataset", default="online-retail", help="'none' to skip")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--soak-seconds", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/serve.json"))
    args = parser.parse_args()
    levels = [int(c) for c in args.connections.split(",")]
    rec_levels = [int(c) for c in (args.recommend_connections or args.connections).split(",")]
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        from inhouse import __version__
        from inhouse.files import atomic_write_text
        from inhouse.serve.config import load_config
        from inhouse.serve.loaded import Models
        from tests.serve.conftest import bench_artifacts, write_config

        artifacts = bench_artifacts(root)
        recommenders: dict[str, Path] = {}
        users: list[str] = []
        if args.recommend_dataset != "none":
            recommenders, users = fit_recommenders(root, args.recommend_dataset, args.users)
        models = Models.load(load_config(write_config(root, artifacts)))
        with worker_threads(args.workers):
            local = {
                p: in_process(models, p, args.inprocess_requests, args.max_batch) for p in ENDPOINTS
            }
            lone = {
                (p, window): lone_through_batcher(
                    models, p, window, args.max_batch, args.inprocess_requests
                )
                for p in ENDPOINTS
                for window in (0.0, args.window_ms)
            }
        with worker_threads(args.recommend_workers):
            rec_local = {
                name: recommend_in_process(path, users, args.inprocess_requests)
                for name, path in recommenders.items()
            }
        rec_bodies = {
            name: [{"model": name, "user_id": u, "k": 10} for u in users] for name in recommenders
        }
        for batching, window in (("off", 0.0), ("on", args.window_ms)):
            folder = root / f"batching-{batching}"
            folder.mkdir()
            extra = f"batch_window_ms = {window}\nmax_batch = {args.max_batch}"
            config = config_text(folder, artifacts, {}, extra)
            key = new_key(config)
            process, url = serve(config, args.workers)
            try:
                for path, body in ENDPOINTS.items():
                    measured = measure(url, key, path, body, args, process.pid, levels, args.slo_ms)
                    batch = {"window_ms": window, "max_batch": args.max_batch}
                    rows.append(
                        row(
                            f"{path} batching {batching}",
                            path,
                            args.workers,
                            args,
                            measured,
                            local[path],
                            args.slo_ms,
                            batching=batch,
                            in_process_lone_through_batcher=lone[path, window],
                        )  # fmt: skip
                    )
                    print(json.dumps(rows[-1]), flush=True)
            finally:
                process.terminate()
                process.wait(timeout=60)
        if recommenders:
            folder = root / "recommend"
            folder.mkdir()
            config = config_text(folder, artifacts, recommenders, "")
            key = new_key(config)
            process, url = serve(config, args.recommend_workers)
            path = "/v1/recommendations"
            try:
                for name in recommenders:
                    measured = measure(
                        url,
                        key,
                        path,
                        rec_bodies[name],
                        args,
                        process.pid,
                        rec_levels,
                        args.recommend_slo_ms,
                    )
                    rows.append(
                        row(
                            f"{path} {name}",
                            path,
                            args.recommend_workers,
                            args,
                            measured,
                            rec_local[name],
                            args.recommend_slo_ms,
                            dataset=args.recommend_dataset,
                            users=len(users),
                        )  # fmt: skip
                    )
                    print(json.dumps(rows[-1]), flush=True)
            finally:
                process.terminate()
                process.wait(timeout=60)
        if args.soak_seconds:
            folder = root / "soak"
            folder.mkdir()
            chosen = {"cooc": recommenders["cooc"]} if "cooc" in recommenders else {}
            config = config_text(folder, artifacts, chosen, f"batch_window_ms = {args.window_ms}")
            key = new_key(config)
            loads: dict[str, Any] = dict(ENDPOINTS)
            if chosen:
                loads["/v1/recommendations"] = rec_bodies["cooc"]
            process, url = serve(config, args.workers)
            try:
                for path, body in loads.items():
                    wrk(url + path, key, body, 1, 1)  # warm up
                soaked = soak(url, key, loads, args.soak_seconds, process.pid)
            finally:
                process.terminate()
                process.wait(timeout=60)
            rows.append(
                {
                    "name": "soak: " + " + ".join(loads),
                    "kind": "in-house",
                    "endpoint": "+".join(loads),
                    "workers": args.workers,
                    "connections": 4 * len(loads),
                    "seconds": args.soak_seconds,
                    "metrics": {
                        "req_per_s": soaked["req_per_s"],
                        "errors": soaked["errors"],
                        "rss_growth": round(soaked["rss_growth"], 4),
                    },
                    "per_endpoint": soaked["per_endpoint"],
                    "rss_bytes": soaked["rss_bytes"],
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    result = {
        "workload": "serve",
        "dataset": f"one short support message (tests' tiny router, MiniLM); "
        f"{args.recommend_dataset} for recommendations",
        "protocol": (
            f"wrk on loopback (one thread) at {args.connections} connections "
            f"({','.join(map(str, rec_levels))} for recommendations), {args.seconds} s each; "
            f"a row's figures are its level with the most req/s within its p99 SLO "
            f"({args.slo_ms:g} ms, {args.recommend_slo_ms:g} ms for recommendations), every "
            f"level in its sweep; the overhead is paired request by request on one connection "
            f"for {args.seconds} s: client latency minus the server's x-inhouse-compute-ms (the "
            f"wall time of that request's model call); route and embeddings send {TEXT!r}; "
            f"recommendations cycle through {len(users)} users of {args.recommend_dataset}, "
            f"k=10, no explanations"
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
