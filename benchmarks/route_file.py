"""Per-message time of `inhouse support route ROUTER --file FILE` after the router has loaded.

    python benchmarks/route_file.py --out benchmarks/results/route-file-banking77.json

Fits a router on `--per-intent` Banking77 training tickets per intent (or uses `--router DIR`),
writes the first `--messages` test messages to a .txt file, and runs the command in this process
(the CLI's own parsing, reading, routing and output) on a 1-message and on the N-message file,
`--repeats` times each. Per message = (best N-message time - best 1-message time) / (N - 1):
the load, the imports and the start cancel out. Output goes to a buffer, not a terminal, so it
is the TSV path.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from inhouse.cli import main as cli_main
from inhouse.datasets import load


def _timed(argv: list[str]) -> tuple[float, str]:
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        try:
            cli_main(argv)
        except SystemExit as e:
            assert not e.code, f"inhouse {' '.join(argv)} exited {e.code}"
    return time.perf_counter() - start, out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--router", type=Path, default=None, help="a fit-router folder")
    parser.add_argument("--system", default="logistic", help="router to fit (no --router)")
    parser.add_argument("--per-intent", type=int, default=20)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data = load("banking77", args.data_dir)
    work = Path(tempfile.mkdtemp(prefix="route-file-"))
    router = args.router
    fit_seconds = None
    if router is None:
        from inhouse.support.route.service import fit_router_from_tickets

        tickets = data.train.group_by("intent", maintain_order=True).head(args.per_intent)
        tickets.write_csv(work / "tickets.csv")
        start = time.perf_counter()
        router = work / "router"
        fit_router_from_tickets(work / "tickets.csv", router, system=args.system)
        fit_seconds = round(time.perf_counter() - start, 1)
    texts = [t.replace("\n", " ") for t in data.test["text"].head(args.messages).to_list()]
    (work / "one.txt").write_text(texts[0] + "\n", encoding="utf-8")
    (work / "many.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    command = ["support", "route", str(router), "--file"]
    one, many = [], []
    for _ in range(args.repeats):
        one.append(_timed([*command, str(work / "one.txt")])[0])
        seconds, output = _timed([*command, str(work / "many.txt")])
        many.append(seconds)
        assert len(output.splitlines()) == len(texts) + 1, "one TSV line per message + header"
    per_message_ms = (min(many) - min(one)) / (len(texts) - 1) * 1000
    result = {
        "benchmark": "support route --file, per message after load",
        "dataset": "banking77",
        "messages": len(texts),
        "router": str(args.router) if args.router else f"{args.system}, fitted here",
        "fit_tickets_per_intent": None if args.router else args.per_intent,
        "fit_seconds": fit_seconds,
        "one_message_s": [round(t, 3) for t in one],
        "all_messages_s": [round(t, 3) for t in many],
        "per_message_ms": round(per_message_ms, 2),
        "target_ms": 20,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "command": f"inhouse support route ROUTER --file {len(texts)}-messages.txt",
    }
    shutil.rmtree(work)  # the fitted router and the message files
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
