"""A `kill -9` of one server worker under load: no answered request loses its usage row or its
audit line, and `inhouse audit verify` passes afterwards.

    python benchmarks/serve_crash.py --seconds 6 --out benchmarks/results/serve-crash.json

It starts the real server (`inhouse serve --workers 2`, the tests' tiny recommender and
router), drives `/v1/recommendations` and `/v1/models` from `--clients` threads, each on a new
connection per request so both workers take some, SIGKILLs one worker half-way, keeps the load
on (uvicorn starts a new worker), then stops the server with SIGTERM. Every request whose
response arrived was metered before its last byte went out (`serve.middleware`), so the state
database must hold at least one usage row per response received, the audit log one line per
usage row, and the chain must verify. Requests cut off by the kill get no answer and are
counted apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.serve and serve_load

from serve_load import serve  # noqa: E402

BODIES = [
    ("POST", "/v1/recommendations", {"model": "shop", "item_ids": ["a0", "a1"], "k": 5}),
    ("GET", "/v1/models", None),
]


def workers_of(pid: int) -> list[int]:
    """The worker processes under uvicorn's supervisor `pid`: its children started by
    multiprocessing's spawn (not its resource tracker)."""
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True
    )
    rows = [line.split(None, 1) for line in out.stdout.splitlines() if line.strip()]
    return [int(p) for p, args in rows if "spawn_main" in args]


def drive(url: str, key: str, stop: threading.Event, tally: dict[str, int], lock: threading.Lock):
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    n = 0
    while not stop.is_set():
        method, path, body = BODIES[n % len(BODIES)]
        n += 1
        try:
            with httpx.Client(timeout=10) as client:  # a new connection each time
                response = client.request(method, f"{url}{path}", json=body, headers=headers)
            outcome = "answered" if response.status_code < 500 else "5xx"
        except httpx.HTTPError:
            outcome = "cut_off"  # the worker died with the request: no answer came
        with lock:
            tally[outcome] = tally.get(outcome, 0) + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/serve-crash.json"))
    args = parser.parse_args()

    from inhouse import __version__
    from inhouse.files import atomic_write_text
    from inhouse.serve.audit import verify
    from inhouse.serve.config import load_config
    from inhouse.serve.state_registry import open_state
    from tests.serve.conftest import bench_artifacts, write_config

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = write_config(root, bench_artifacts(root), "embedders = []")
        config = load_config(path)
        state = open_state(config)
        key = state.create_key("load", ["recommend", "admin"])[1]
        state.close()
        process, url = serve(path, workers=2)
        stop, lock, tally = threading.Event(), threading.Lock(), {}
        threads = [
            threading.Thread(target=drive, args=(url, key, stop, tally, lock))
            for _ in range(args.clients)
        ]
        for t in threads:
            t.start()
        time.sleep(args.seconds / 2)
        before = workers_of(process.pid)
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        killed_at = time.time()
        time.sleep(args.seconds / 2)
        stop.set()
        for t in threads:
            t.join()
        after = workers_of(process.pid)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        with sqlite3.connect(config.state) as db:
            (usage_rows,) = db.execute("SELECT COUNT(*) FROM usage").fetchone()
        audit_lines = len(config.audit_log.read_text().splitlines())
        verdict = verify(config.audit_log)

    answered = tally.get("answered", 0)
    result = {
        "workload": "serve-crash",
        "command": " ".join(["python", *sys.argv]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "inhouse": __version__,
        "workers": 2,
        "clients": args.clients,
        "seconds": args.seconds,
        "killed_worker": victim,
        "killed_at": killed_at,
        "workers_before": before,
        "workers_after": after,
        "killed_worker_gone": victim not in after,
        "responses_received": answered,
        "server_errors": tally.get("5xx", 0),
        "cut_off_by_the_kill": tally.get("cut_off", 0),
        "usage_rows": usage_rows,
        "audit_lines": audit_lines,
        "audit_chain_intact": verdict.ok,
        "lost_usage_rows": max(0, answered + tally.get("5xx", 0) - usage_rows),
        "audit_lines_missing": usage_rows - audit_lines,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    ok = verdict.ok and result["lost_usage_rows"] == 0 and result["audit_lines_missing"] == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
