"""Catalog embedding throughput: `inhouse embed` in-process against Ray Data on 2 local CPUs,
in one run, on the real amazon-scientific catalog (4,385 items).

Each engine runs `inhouse.models.embed_catalog.embed_catalog` end to end on the same item texts
(`inhouse.recommend.text.item_texts`) with the embedded default all-MiniLM-L6-v2: load the model,
embed, write the Parquet shards, build a flat index. `items_per_s` is items / `embed_s`, where
`embed_s` covers model load, embedding and shard writes (what `embed.json` records); `wall_s`
adds reading the shards back and the index build. In-process is one process with torch's
default threads (2 here); Ray is `ray.init(num_cpus=2)` (started before the clock, its start-up
timed apart as `ray_init_s`) with 2 actors of 1 CPU each (Ray sets 1 thread per actor), each
loading its own model inside the timed run. Rounds alternate the engine order. The vectors of
the two engines are compared (max |difference|, mean cosine) and so are the top-10 answers of
their indexes for 200 item vectors. The machine is shared: the load average is recorded.

    INHOUSE_DATA_DIR=/work/shared/datasets .venv/bin/python benchmarks/embed_catalog.py \
        --out benchmarks/results/embed-catalog.json
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

# the model is verified into a registry and cache of the benchmark's own, never the user's
_TMP = Path(tempfile.mkdtemp(prefix="embed-catalog-"))
os.environ["INHOUSE_REGISTRY"] = str(_TMP / "models.json")
os.environ["INHOUSE_CACHE_DIR"] = str(_TMP / "cache")

OUT = Path("benchmarks/results/embed-catalog.json")
CPUS = 2


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def what_else_ran() -> list[str]:
    out = subprocess.run(
        ["ps", "-eo", "pcpu,args", "--sort=-pcpu"], capture_output=True, text=True
    ).stdout
    return [" ".join(line.split())[:120] for line in out.splitlines()[1:7]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--rounds", type=int, default=1, help="runs of each engine, alternated")
    parser.add_argument("--limit", type=int, default=None, help="first N items only (a smoke run)")
    args = parser.parse_args()

    import ray
    import torch

    from inhouse.datasets import load
    from inhouse.eval.results import BenchResult, SystemResult, write_results
    from inhouse.models.embed_catalog import embed_catalog, load_catalog_index, read_shards
    from inhouse.recommend.text import item_texts

    started = time.time()
    load_before, others_before = load_average(), what_else_ran()
    catalog = load("amazon-scientific").catalog
    ids = [str(i) for i in catalog["item_id"].to_list()][: args.limit]
    texts = item_texts(catalog)[: args.limit]
    print(f"{len(ids)} items, mean {np.mean([len(t) for t in texts]):.0f} chars", flush=True)

    t0 = time.perf_counter()
    ray.init(num_cpus=CPUS, include_dashboard=False)
    ray_init_s = time.perf_counter() - t0
    runs: dict[str, list[dict[str, Any]]] = {"in-process": [], "ray-2cpu": []}
    try:
        for r in range(args.rounds):
            order = ["in-process", "ray-2cpu"] if r % 2 == 0 else ["ray-2cpu", "in-process"]
            for name in order:
                folder = _TMP / f"{name}-{r}"
                engine = "local" if name == "in-process" else "ray"
                load_at_start = load_average()
                start = time.perf_counter()
                s = embed_catalog(ids, texts, folder, engine=engine, concurrency=CPUS)
                wall = time.perf_counter() - start
                runs[name].append(
                    {
                        "folder": folder,
                        "embed_s": s.embed_seconds,
                        "wall_s": round(wall, 2),
                        "shards": s.shards,
                        "workers": s.workers,
                        "load_average_at_start": load_at_start,
                        "load_average_after": load_average(),
                    }
                )
                print(name, r, runs[name][-1], flush=True)
    finally:
        ray.shutdown()

    def by_id(folder: Path) -> np.ndarray:
        got, vectors = read_shards(folder / "shards")
        row = {item: i for i, item in enumerate(got)}
        return vectors[[row[i] for i in ids]]

    local, on_ray = by_id(runs["in-process"][0]["folder"]), by_id(runs["ray-2cpu"][0]["folder"])
    cos = (local * on_ray).sum(1) / np.linalg.norm(local, axis=1) / np.linalg.norm(on_ray, axis=1)
    probe = local[np.random.default_rng(0).choice(len(ids), min(200, len(ids)), replace=False)]
    answers = [load_catalog_index(runs[n][0]["folder"])[1].search(probe, 10)[1] for n in runs]
    same_top10 = float((answers[0] == answers[1]).all(1).mean())

    rows = []
    for name, done in runs.items():
        embed_s = [d["embed_s"] for d in done]
        rows.append(
            SystemResult(
                name=name,
                kind="off-the-shelf",
                metrics={
                    "items_per_s": round(len(ids) / float(np.median(embed_s)), 1),
                    "embed_s": round(float(np.median(embed_s)), 2),
                    "wall_s": round(float(np.median([d["wall_s"] for d in done])), 2),
                },
                engine="local" if name == "in-process" else "ray",
                workers=done[0]["workers"],
                threads_per_worker=torch.get_num_threads() if name == "in-process" else 1,
                shards=done[0]["shards"],
                runs=[{k: v for k, v in d.items() if k != "folder"} for d in done],
            ).model_dump(mode="json", exclude_none=True)
        )
    speed = {row["name"]: row["metrics"]["items_per_s"] for row in rows}
    result = BenchResult.model_validate(
        {
            "workload": "embed",
            "dataset": "amazon-scientific catalog item texts"
            + (f" (first {args.limit})" if args.limit else ""),
            "protocol": (
                "all-MiniLM-L6-v2 fp32 (torch) on CPU through embed_catalog end to end; "
                "items_per_s = items / embed_s (model load + embedding + Parquet shard writes), "
                f"median over {args.rounds} round(s), engine order alternated per round; "
                f"in-process: one process, torch threads {torch.get_num_threads()}; ray: "
                f"ray.init(num_cpus={CPUS}) before the clock, {CPUS} actors x 1 CPU, each "
                "loading its own model inside the timed run"
            ),
            "primary_metric": "items_per_s",
            "systems": rows,
            "ray_over_in_process": round(speed["ray-2cpu"] / speed["in-process"], 3),
            "agreement": {
                "max_abs_diff": float(np.abs(local - on_ray).max()),
                "mean_cosine": round(float(cos.mean()), 7),
                "same_top10_share": same_top10,
                "probes": len(probe),
            },
            "items": len(ids),
            "ray": ray.__version__,
            "ray_init_s": round(ray_init_s, 2),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "load_average_before": load_before,
            "load_average_after": load_average(),
            "running_before": others_before,
            "running_after": what_else_ran(),
        }
    )
    write_results(result, args.out)
    print(speed, result.model_extra)


if __name__ == "__main__":
    main()
