"""LoRA training speed: tokens per second of `inhouse tune lora` on bitext-support tickets.

    INHOUSE_DATA_DIR=../shared/datasets python benchmarks/lora_speed.py --steps 30 \
        --models tiny-qwen2,SmolLM2-135M-Instruct --out benchmarks/results/lora-speed.json

Each model trains one epoch of exactly `--steps` steps (`--steps x --batch-size` tickets of the
bitext-support training split, in file order, nothing held out) with the library's defaults
otherwise (rank 16, all linear layers, max length 512). `train_tokens_per_s` counts the prompt
and reply tokens of every step (no padding) over the steps' own time (no loading, no saving).
`tiny-qwen2` is `inhouse.generate.tiny.tiny_qwen` (2 layers, hidden 64, Qwen2's 152k-token
vocabulary); any other name is a registered model (a GGUF is dequantised to float32 first,
which needs the `gguf` package). A model that cannot be loaded gets a row with `null` speed and
the reason. The load average before and after says what else ran on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def tickets_file(folder: Path, n: int) -> Path:
    from inhouse.datasets import load

    data = load("bitext-support")
    rows = data.train.head(n).select("ticket_id", "text", "resolution").to_dicts()
    assert len(rows) == n, f"bitext-support has only {len(rows)} training tickets"
    path = folder / "tickets.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def measure(base: str | Path, tickets: Path, out: Path, args: argparse.Namespace) -> dict:
    from inhouse.tune.lora import LoraSettings, lora_tune

    settings = LoraSettings(
        epochs=1,
        batch_size=args.batch_size,
        max_length=args.max_length,
        eval_fraction=0.0,
        checkpoint_every=10**9,
    )
    start = time.perf_counter()
    report = lora_tune(base, tickets, out, settings, progress=False)
    row = report.log[0]
    return {
        "metrics": {"train_tokens_per_s": round(report.train_tokens_per_s, 1)},
        "steps": report.steps,
        "train_tokens": int(row["tokens"]),
        "train_loss": round(row["train_loss"], 4),
        "wall_seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--models", default="tiny-qwen2,SmolLM2-135M-Instruct")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/lora-speed.json"))
    args = parser.parse_args()

    import torch

    from inhouse import __version__
    from inhouse.errors import InhouseError
    from inhouse.generate.tiny import tiny_qwen

    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    systems: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tickets = tickets_file(root, args.steps * args.batch_size)
        for name in args.models.split(","):
            base: str | Path = tiny_qwen(root / "tiny") if name == "tiny-qwen2" else name
            row: dict[str, Any] = {"name": f"lora-{name}", "kind": "in-house", "base": name}
            try:
                row.update(measure(base, tickets, root / f"out-{name}", args))
            except (InhouseError, ImportError) as e:
                row.update(metrics={"train_tokens_per_s": None}, skipped=str(e).splitlines()[0])
            systems.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    result = {
        "workload": "lora-speed",
        "dataset": "bitext-support",
        "protocol": (
            f"one epoch of {args.steps} steps x {args.batch_size} training tickets (file order), "
            f"max length {args.max_length}, rank 16 on all linear layers, float32 on CPU; tokens "
            "= prompt + reply, no padding, over the steps' own time"
        ),
        "primary_metric": "train_tokens_per_s",
        "command": " ".join(["python", *sys.argv]),
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "inhouse": __version__,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "systems": systems,
    }
    from inhouse.files import atomic_write_text

    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
