"""Serving latency of two checkouts of inhouse, paired: same machine, same minutes, same requests.

Each checkout fits its own artifacts (deterministic, same seeds) in a child process that imports
only that checkout's `src/`; then the two are measured in alternating rounds (old, new, new, old,
...) so that load on the machine hits both alike. A request is what a server would run: one
message routed, one question searched, one user's top 10 with explanations, on a loaded artifact.

    git worktree add /tmp/old <commit>
    OMP_NUM_THREADS=1 python benchmarks/paired_serving.py --old /tmp/old \
        --out benchmarks/results/paired-serving.json

With `--artifacts DIR` the fitted artifacts are kept in DIR/old|new/CASE and reused by a later
run (more rounds on a quieter machine without fitting again). Reads datasets from
INHOUSE_DATA_DIR. The ratio `new_p95 / old_p95` is what the reshape issue
bounds (at most 1.10).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve()
CASES = (
    "route-logistic",
    "route-finetuned",
    "retrieve-hybrid",
    "recommend-ease",
    "recommend-blend",
)
REQUESTS = 500
WARMUP = 20


def _first(*names: str) -> Any:
    """The first `module:attr` that imports: the same function under the old or new layout."""
    for name in names:
        module, attr = name.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
    raise ImportError(f"none of {names} found")


def _fit(case: str, folder: Path) -> None:
    load = _first("inhouse.datasets:load")
    if case.startswith("route-"):
        make_router = _first(
            "inhouse.support.route.registry:make_router", "inhouse.support.router:make_router"
        )
        data = load("banking77")
        router = make_router(case.removeprefix("route-"))
        router.fit(data.train["text"].to_list(), data.train["intent"].to_list())
        router.calibrate(data.valid["text"].to_list(), data.valid["intent"].to_list())
        router.save(folder)
    elif case == "retrieve-hybrid":
        make_retriever = _first(
            "inhouse.support.retrieve.registry:make_retriever",
            "inhouse.support.retrieve_systems:make_retriever",
        )
        retriever = make_retriever("hybrid")
        retriever.index(load("bank-help-center").articles)
        retriever.save(folder)
    elif case in ("recommend-ease", "recommend-blend"):
        make = _first("inhouse.recommend.registry:make")
        data = load("amazon-scientific")
        model = make(case.removeprefix("recommend-"))  # the blend: its default systems
        model.fit(data.train_events, data.catalog)
        model.save(folder)
    else:
        raise SystemExit(f"unknown case {case!r}; choose from {', '.join(CASES)}")


def _requests(case: str) -> tuple[Any, list[Any]]:
    """A loaded artifact's request function and the requests to send it."""
    load = _first("inhouse.datasets:load")
    if case.startswith("route-"):
        texts = load("banking77").test["text"].to_list()[:REQUESTS]
        return "route", texts
    if case == "retrieve-hybrid":
        data = load("bank-help-center")
        queries = [q.text for q in [*data.test, *data.dev]]
        return "retrieve", (queries * (REQUESTS // len(queries) + 1))[:REQUESTS]
    data = load("amazon-scientific")
    return "recommend", [c.user_id for c in data.test][:REQUESTS]


def _serve(kind: str, folder: Path) -> Any:
    if kind == "route":
        load_router = _first(
            "inhouse.support.route.registry:load_router", "inhouse.support.router:load_router"
        )
        router = load_router(folder)
        return lambda text: router.predict([text])
    if kind == "retrieve":
        load_retriever = _first(
            "inhouse.support.retrieve.registry:load_retriever",
            "inhouse.support.retrieve:load_retriever",
        )
        retriever = load_retriever(folder)
        return lambda text: retriever.search([text], k=10)
    try:
        service = _first("inhouse.recommend.service:RecommendService")(folder)
        return lambda user: service.for_user(user, k=10)
    except ImportError:
        model = _first("inhouse.recommend.registry:load_recommender")(folder)
        for_user = _first("inhouse.recommend.service:for_user")
        return lambda user: for_user(model, user, k=10)


def _measure(case: str, folder: Path) -> dict[str, float]:
    kind, requests = _requests(case)
    serve = _serve(kind, folder)
    for r in requests[:WARMUP]:
        serve(r)
    wall, cpu = [], []
    for r in requests:
        w0, c0 = time.perf_counter(), time.thread_time()
        serve(r)
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    p50, p95, p99 = np.percentile(wall, [50, 95, 99])
    return {"p50": p50, "p95": p95, "p99": p99, "cpu_mean": float(np.mean(cpu))}


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(args.src).resolve()))
    import torch

    torch.set_num_threads(1)
    folder = Path(args.dir)
    if args.step == "fit":
        _fit(args.case, folder)
    else:
        print(json.dumps(_measure(args.case, folder)))


def _run(src: Path, step: str, case: str, folder: Path) -> dict[str, float] | None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(src)}
    cmd = [sys.executable, str(HERE), "child", step, case, str(folder), "--src", str(src)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1]) if step == "measure" else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    c = sub.add_parser("child")
    c.add_argument("step", choices=["fit", "measure"])
    c.add_argument("case")
    c.add_argument("dir")
    c.add_argument("--src", required=True)
    parser.add_argument("--old", type=Path, help="root of the old checkout")
    parser.add_argument("--new", type=Path, default=HERE.parent.parent)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--artifacts",
        type=Path,
        help="keep the fitted artifacts here (SIDE/CASE) and reuse those already there",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.command == "child":
        return child(args)
    if args.old is None or args.out is None:
        parser.error("--old and --out are required")
    sides = {"old": args.old / "src", "new": args.new / "src"}
    cases = args.cases.split(",")
    rows = []
    with tempfile.TemporaryDirectory(prefix="inhouse-paired-") as scratch:
        tmp = args.artifacts or Path(scratch)
        for case in cases:
            for side, src in sides.items():
                if (tmp / side / case).exists():
                    print(f"{case}: reusing the {side} artifact in {tmp / side / case}", flush=True)
                    continue
                t0 = time.perf_counter()
                _run(src, "fit", case, tmp / side / case)
                print(f"{case}: fitted {side} in {time.perf_counter() - t0:.0f} s", flush=True)
            runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
            for r in range(args.rounds):
                order = ["old", "new"] if r % 2 == 0 else ["new", "old"]
                for side in order:
                    got = _run(sides[side], "measure", case, tmp / side / case)
                    assert got is not None
                    runs[side].append(got)
            med = {
                s: {k: float(np.median([x[k] for x in v])) for k in v[0]} for s, v in runs.items()
            }
            row = {
                "case": case,
                "old": med["old"],
                "new": med["new"],
                "p95_ratio": med["new"]["p95"] / med["old"]["p95"],
                "rounds": runs,
            }
            rows.append(row)
            print(
                f"{case}: p95 old {med['old']['p95']:.2f} ms, new {med['new']['p95']:.2f} ms, "
                f"ratio {row['p95_ratio']:.3f}",
                flush=True,
            )
    result = {
        "what": "serving latency per request, ms; median over rounds of each run's percentiles",
        "requests": REQUESTS,
        "rounds": args.rounds,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "cases": rows,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
