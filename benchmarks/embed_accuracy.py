"""Bench accuracy with an ONNX int8 embedder against the default torch one: the support routing
bench's `logistic` router on Banking77 and the recommend bench's `offshelf-text` on
amazon-scientific, each run through the bench's own library entry point with each embedder.

    INHOUSE_DATA_DIR=/work/shared/datasets .venv/bin/python benchmarks/embed_accuracy.py \
        --out benchmarks/results/embed-accuracy.json

The recommender runs its chosen setting from benchmarks/results/recommend-models-amazon-
scientific.json (mode history, decay 0.5) with each embedder, so only the embedder differs.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="embed-accuracy-"))
os.environ["INHOUSE_REGISTRY"] = str(_TMP / "models.json")
os.environ["INHOUSE_CACHE_DIR"] = str(_TMP / "cache")  # no embeddings cached from other runs

REC_SETTING = {"mode": "history", "history_decay": 0.5}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--precision", default="int8")
    parser.add_argument("--parts", default="support,recommend")
    args = parser.parse_args()

    from inhouse.datasets import load
    from inhouse.models.embedder import DEFAULT_EMBEDDER
    from inhouse.models.export import export_embedder
    from inhouse.models.load import load_embedder, load_embedder_by_name
    from inhouse.recommend.evaluate import bench_recommend
    from inhouse.support.route.evaluate import bench_routing

    load_before = os.getloadavg()
    variant = export_embedder(DEFAULT_EMBEDDER, args.precision).name
    rows = []
    if "support" in args.parts:
        data = load("banking77")
        for name in (DEFAULT_EMBEDDER, variant):
            emb = load_embedder() if name == DEFAULT_EMBEDDER else load_embedder_by_name(name)
            start = time.perf_counter()
            (row,) = bench_routing(data, ["logistic"], embedder=emb).systems
            rows.append(
                {
                    "bench": "support-routing",
                    "dataset": "banking77",
                    "system": "logistic",
                    "embedder": name,
                    "batch_size": getattr(emb, "batch_size", 64),
                    "metrics": row.metrics,
                    "seconds": round(time.perf_counter() - start, 1),
                }
            )
            print(rows[-1], flush=True)
    if "recommend" in args.parts:
        data = load("amazon-scientific")
        for name in (None, variant):
            setting = {**REC_SETTING, "embedder": name}
            batch = getattr(load_embedder_by_name(name), "batch_size", 64) if name else 64
            start = time.perf_counter()
            (row,) = bench_recommend(data, ["offshelf-text"], {"offshelf-text": setting}).systems
            rows.append(
                {
                    "bench": "recommend",
                    "dataset": "amazon-scientific",
                    "system": "offshelf-text",
                    "embedder": name or DEFAULT_EMBEDDER,
                    "batch_size": batch,
                    "parameters": REC_SETTING,
                    "metrics": row.metrics,
                    "seconds": round(time.perf_counter() - start, 1),
                }
            )
            print(rows[-1], flush=True)
    deltas = {}
    for bench in ("support-routing", "recommend"):
        pair = [r for r in rows if r["bench"] == bench]
        if len(pair) == 2:
            deltas[bench] = {
                m: round(100 * (pair[1]["metrics"][m] - pair[0]["metrics"][m]), 3)
                for m in pair[0]["metrics"]
                if pair[0]["metrics"][m] is not None and pair[1]["metrics"].get(m) is not None
            }
    result = {
        "what": f"bench accuracy with {variant} vs {DEFAULT_EMBEDDER} (torch float32)",
        "deltas_points": deltas,
        "rows": rows,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(deltas, indent=1))


if __name__ == "__main__":
    main()
