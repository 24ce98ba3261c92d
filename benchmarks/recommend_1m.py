"""The recommenders served over a 1M-item catalog: `for_user` latency at one thread and peak RSS.

How the catalog is made (synthetic around real data, for the scale test only):
- item vectors: `benchmarks/index_1m.py`'s `make_catalog(1_000_000)`: each vector is a real
  amazon-scientific item embedding (all-MiniLM-L6-v2, 384-d, 4,385 items) plus Gaussian noise
  giving a cosine to its parent uniform in [0.80, 0.90], re-normalised; the same catalog as the
  index rows of `benchmarks/results/index-1m.json`;
- events: online-retail's real purchase lines (train + valid: customers, invoice times,
  baskets) copied `--replicas` times, each copy keeping a random `--user-fraction` of the
  customers (their whole sequences: real activity counts and basket structure). In copy r,
  real product j becomes synthetic item perm[j * replicas + r] of the 1M (a fixed random
  permutation), so each product's popularity is spread over its copies and co-purchases stay
  within a copy. Items no copy reaches have no events (the long tail of a 1M catalog). Item
  vectors and events are drawn independently: the vector system's answers are not meaningful,
  only its cost is measured.

Systems: popularity, cooc (the default blend's parameters), offshelf-text over the synthetic
vectors (HNSW index M=32, efConstruction=64, `--ef` at search; built once, saved, loaded by the
serving process), a blend of those three with fixed weights (not tuned: tuning scores the
validation users densely, 1M columns each), and the systems that learn item vectors, fitted on
these events, each served through an IVF-PQ index with exact re-rank (`FACTOR_INDEX`):
- ALS (registry defaults). 71 % of the items have no events and all-zero factors, which the
  index leaves out. IVF rather than HNSW: an HNSW graph (M=32, efSearch 128) over the factors
  found only 0.64 of the exact top-10 (0.54 with the zero rows in);
- SASRec and two-tower (`NEURAL`), their item text taken to be the synthetic vectors. Over
  1M items they train with sampled softmax (the batch's targets + 4,096 uniform negatives)
  and sparse updates of their ID tables, for fewer epochs than the registry's defaults
  (`NEURAL`). The fit is timed; its answers are not meaningful.
For each vector system, recall@10 of its served answers against its exact (dense) answers for
the same users. EASE is skipped: its dense item x item inverse alone is 1e6^2 x 4 bytes = 4 TB
in float32 (3,725 GiB), against 24 GiB. text-tuned is not run: see NOT_RUN.

Each system is served in its own process (`RecommendService`, loaded from disk as in
production): 20 warm-up requests, then `for_user(user, k=10)` (explanations included) for 1,000
seeded users one at a time at one thread (`inhouse.eval.latency.measure`); memory_gib is that
process's peak RSS (VmHWM: model load, index load and serving). The machine is shared: the load
average is recorded with each row.

    INHOUSE_DATA_DIR=../shared/datasets python benchmarks/recommend_1m.py \
        --out benchmarks/results/index-1m.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from index_1m import OUT, load_average, make_catalog, rss_gib, what_else_ran, write_rows  # noqa: E402

WORK = Path.home() / ".cache" / "inhouse" / "bench" / "recommend-1m"
N_ITEMS = 1_000_000
USERS = 1000
COOC = {"window": 5, "decay": 0.8, "backward": 1.0, "history_decay": 0.6, "alpha": 0.0}
TEXT = {"mode": "history", "history_decay": 0.5}
HNSW = {"M": 32, "efConstruction": 64}
# offshelf-text's history queries (decayed means of item vectors) sit further from any item
# than index_1m.py's queries: HNSW (HNSW, efSearch 128) found 0.81 of their exact top-10
TEXT_INDEX = {
    "nlist": 2048,
    "m": 48,
    "nbits": 8,
    "train_size": 131072,
    "nprobe": 32,
    "k_factor": 16,
}
FACTOR_INDEX = {"nlist": 1024, "m": 16, "nprobe": 128, "k_factor": 16}  # ivfpq, 64/128-d
NEURAL = {
    "sasrec": {"epochs": 2},
    "two-tower": {"epochs": 1},
}
# nprobe per system from the `nprobe_sweep` of each row: ALS's recall fell to 0.908 at 64
# (its factors crowd few lists); sasrec's and two-tower's recall is flat from 16 to 128
NEURAL_INDEX = FACTOR_INDEX | {"nprobe": 32}
INDEXES = {  # system: (folder under the work dir, kind, build parameters)
    "offshelf-text": ("index-ivfpq", "ivfpq", TEXT_INDEX),
    "als": ("index-als", "ivfpq", FACTOR_INDEX),
    "sasrec": ("index-sasrec", "ivfpq", NEURAL_INDEX),
    "two-tower": ("index-two-tower", "ivfpq", NEURAL_INDEX),
}
SWEEP = (16, 32, 64, 128)  # nprobe values whose recall@10 each IVF-PQ row records
SWEEP_USERS = 300
SYSTEMS = ("popularity", "cooc", "offshelf-text", "blend", "als", "sasrec", "two-tower")
NOT_RUN = (
    "not run at 1M items: text-tuned fine-tunes its encoder and then embeds every item's text "
    "with it (torch, sentence-transformers), and the synthetic catalog has vectors, not texts. "
    "At the 35.1 amazon item texts/s that encoder embeds here (benchmarks/results/"
    "embed-speed.json, torch-fp32 row) 1M items would take 7.9 h, and 82 min at the int8 ONNX "
    "export's 204.3/s. Its serving path (query_items=1: the newest item's vector, then the "
    "index search) is the VectorRecommender search measured here for offshelf-text, als, sasrec "
    "and two-tower"
)
BLEND_WEIGHTS = [1.0, 1.0, 0.3]  # cooc, offshelf-text, popularity: fixed, not tuned
EASE_NOTE = (
    "skipped: EASE inverts the dense item x item Gram matrix; at 1,000,000 items that matrix "
    "alone is 1e12 float32 entries = 4.0e12 bytes (3,725 GiB), far over 24 GiB "
    "(inhouse.recommend.ease.MAX_ITEMS = 30,000)"
)


# ---------------------------------------------------------------- the catalog and events


def synthetic_events(
    n_items: int, replicas: int, user_fraction: float, seed: int
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """online-retail's real purchase lines mapped onto the 1M items (see the module docstring)."""
    from inhouse.datasets import load

    data = load("online-retail")
    real = pl.concat([data.train_events, data.valid_events], how="diagonal_relaxed").select(
        "user_id", "item_id", "timestamp"
    )
    products = real["item_id"].unique().sort()
    users = real["user_id"].unique().sort()
    item_code = real["item_id"].cast(pl.Enum(products.to_list())).to_physical().to_numpy()
    user_code = real["user_id"].cast(pl.Enum(users.to_list())).to_physical().to_numpy()
    item_code, user_code = item_code.astype(np.int64), user_code.astype(np.int64)  # not u16
    ts = real["timestamp"]
    rng = np.random.default_rng(seed)
    assert len(products) * replicas <= n_items, "more product copies than catalog items"
    perm = rng.permutation(n_items)
    frames = []
    for r in range(replicas):
        keep_user = rng.random(len(users)) < user_fraction
        rows = np.flatnonzero(keep_user[user_code])
        frames.append(
            pl.DataFrame(
                {
                    "user_id": [f"u{r}-{u}" for u in user_code[rows]],
                    "item_id": [f"s{i:07d}" for i in perm[item_code[rows] * replicas + r]],
                    "timestamp": ts.gather(rows),
                }
            )
        )
    events = pl.concat(frames)
    counts = events.group_by("user_id").len()["len"]
    note = {
        "source": "online-retail train + valid purchase lines",
        "real_events": real.height,
        "real_users": len(users),
        "real_products": len(products),
        "replicas": replicas,
        "user_fraction": user_fraction,
        "events": events.height,
        "users": events["user_id"].n_unique(),
        "items_with_events": events["item_id"].n_unique(),
        "events_per_user": {
            "median": float(counts.median() or 0),
            "p99": float(counts.quantile(0.99) or 0),
        },
    }
    return events, note


def synthetic_catalog(n: int) -> pl.DataFrame:
    return pl.DataFrame({"item_id": [f"s{i:07d}" for i in range(n)]}).with_columns(
        pl.format("synthetic item {}", pl.col("item_id")).alias("title")
    )


def build(args: argparse.Namespace) -> dict[str, Any]:
    """Fit and save the systems asked for (a blend: its members), and the index over each
    vector system's item vectors, under `WORK`."""
    from inhouse.files import atomic_write_text
    from inhouse.models.index import VectorIndex, sha256_of
    from inhouse.recommend.blend import Blend
    from inhouse.recommend.registry import make

    work = WORK / str(args.items)
    work.mkdir(parents=True, exist_ok=True)
    wanted = set(args.systems.split(","))
    if "blend" in wanted:
        wanted |= {"cooc", "offshelf-text", "popularity"}
    old = work / "build.json"
    notes: dict[str, Any] = json.loads(old.read_text()) if old.is_file() else {}
    notes["load_average_before_build"] = load_average()
    start = time.perf_counter()
    catalog = synthetic_catalog(args.items)
    events, notes["events"] = synthetic_events(
        args.items, args.replicas, args.user_fraction, args.seed
    )
    vectors = make_catalog(args.items, args.seed)[0] if wanted & set(INDEXES) - {"als"} else None
    notes["make_s"] = round(time.perf_counter() - start, 1)
    print(notes, flush=True)
    fitted = {}
    if wanted & {"offshelf-text", *NEURAL}:  # the synthetic vectors stand in for item texts
        from inhouse.recommend.text import TextRecommender

        TextRecommender.embed_items = lambda _self, _catalog: vectors  # type: ignore[method-assign]
    systems = [("cooc", COOC), ("offshelf-text", TEXT), ("popularity", {}), ("als", {})]
    for name, params in [*systems, *NEURAL.items()]:
        if name not in wanted:
            continue
        model = make(name, **params)
        start = time.perf_counter()
        model.fit(events, catalog)
        notes[f"fit_s_{name}"] = round(time.perf_counter() - start, 1)
        print(name, "fitted in", notes[f"fit_s_{name}"], "s", flush=True)
        if name in NEURAL:  # what was trained, and how its loss went
            notes[f"fit_params_{name}"] = NEURAL[name]
            notes[f"train_log_{name}"] = model.train_log  # type: ignore[attr-defined]
        fitted[name] = model
        model.save(work / name)
    if "blend" in wanted:
        members = [fitted["cooc"], fitted["offshelf-text"], fitted["popularity"]]
        Blend.from_fitted(members, BLEND_WEIGHTS).save(work / "blend")
    for name, (folder, kind, params) in INDEXES.items():
        if name not in fitted:
            continue
        item_vectors = fitted[name].item_vectors
        start = time.perf_counter()
        if not (work / folder / "index.json").is_file() or (
            VectorIndex.load(work / folder, verify=False).vectors_sha256 != sha256_of(item_vectors)
        ):
            index = VectorIndex.build(
                item_vectors, kind, normalised=False, seed=args.seed, **params
            )
            notes[f"index_build_s_{name}"] = round(time.perf_counter() - start, 1)
            index.save(work / folder)
            del index
        print(name, "index ready in", round(time.perf_counter() - start, 1), "s", flush=True)
    notes["build_peak_rss_gib"] = round(rss_gib("VmHWM"), 3)
    if not (work / "users.json").is_file():  # the same users for every system and run
        users = sorted(events["user_id"].unique().to_list())
        rng = np.random.default_rng(args.seed)
        chosen = [users[i] for i in rng.choice(len(users), min(USERS, len(users)), replace=False)]
        (work / "users.json").write_text(json.dumps(chosen))
    atomic_write_text(old, json.dumps(notes, indent=2))
    return notes


# ---------------------------------------------------------------- serving one system


def serve(work: Path, name: str, ef: int) -> dict[str, Any]:
    """Load `name` as the service does, attach the saved index, time `for_user`; peak RSS."""
    import faiss

    from inhouse.eval.latency import measure
    from inhouse.models.index import VectorIndex, sha256_of
    from inhouse.recommend.service import RecommendService
    from inhouse.recommend.vectors import VectorRecommender

    faiss.omp_set_num_threads(1)
    start = time.perf_counter()
    service = RecommendService(work / name)
    model = service.model
    vector_systems = [
        c for c in [model, *getattr(model, "components", [])] if isinstance(c, VectorRecommender)
    ]
    for system in vector_systems:  # vectors.py rebuilds its index on first use: load it instead
        folder = work / INDEXES[system.name][0]
        index = VectorIndex.load(folder, verify=False)
        assert index.vectors_sha256 == sha256_of(system.item_vectors), "index of other vectors"
        if index.kind == "hnsw":
            index.set_search_params(efSearch=ef)
        else:  # search-time parameters as INDEXES says now, whatever the build saved
            params = INDEXES[system.name][2]
            index.set_search_params(nprobe=params["nprobe"], k_factor=params["k_factor"])
        system._index = index
    if name == "blend":  # the saved blend may predate the current default
        from inhouse.recommend.blend import CANDIDATES

        model.params["candidates"] = CANDIDATES
    load_s = time.perf_counter() - start
    users = json.loads((work / "users.json").read_text())
    timing = measure(
        lambda user: service.for_user(user, 10),
        users,
        warmup=lambda: [service.for_user(user, 10) for user in users[:20]],
    )
    answer = service.for_user(users[0], 10)
    extra = {}
    if name in INDEXES:  # the index's answers against the exact (dense) top-10 of the same users
        extra["recall@10_vs_exact"] = index_recall(model, users)
        if model.index.kind == "ivfpq":
            chosen = model.index.params["nprobe"]
            extra["nprobe_sweep"] = {}
            for nprobe in SWEEP:
                model.index.set_search_params(nprobe=nprobe)
                recall = index_recall(model, users[:SWEEP_USERS])
                extra["nprobe_sweep"][f"recall@10 at nprobe {nprobe}"] = recall
            model.index.set_search_params(nprobe=chosen)
    return extra | {
        "name": name,
        "load_s": round(load_s, 1),
        "timing": timing.fields() | {"latency_ms": timing.wall.model_dump()},
        "memory_gib": round(rss_gib("VmHWM"), 3),
        "example": {"user": users[0], "items": [s.item_id for s in answer.items][:5]},
    }


def index_recall(model: Any, users: list[str], k: int = 10) -> float:
    """Mean share of the exact top-k (dense scores over every item) that the index search
    returns, history excluded in both, over `users`."""
    from inhouse.recommend.base import BaseRecommender

    found = []
    for user in users:
        history = model.items.encode(model.history_of(user) or [])[0]
        approx = set(model._top([history], k, True)[0][0].tolist())
        exact = BaseRecommender._top(model, [history], k, True)[0][0].tolist()
        found.append(len(approx & set(exact)) / len(exact))
    return round(float(np.mean(found)), 4)


def row(result: dict[str, Any], ef: int, n_items: int) -> dict[str, Any]:
    latency = result["timing"]["latency_ms"]
    target = 20.0 if result["name"] == "blend" else 5.0
    return {
        "name": f"recommend-{result['name']}",
        "kind": "baseline" if result["name"] in ("popularity", "cooc") else "in-house",
        "metrics": {
            "p99_ms": round(latency["p99"], 3),
            "p50_ms": round(latency["p50"], 3),
            "memory_gib": result["memory_gib"],
        }
        | ({"recall@10": result["recall@10_vs_exact"]} if "recall@10_vs_exact" in result else {}),
        **({"nprobe_sweep": result["nprobe_sweep"]} if "nprobe_sweep" in result else {}),
        "latency_ms": {k: round(v, 3) for k, v in latency.items()},
        "cpu_latency_ms": result["timing"]["cpu_latency_ms"],
        "cpu_ms_per_request": result["timing"]["cpu_ms_per_request"],
        "timing_load": result["timing"]["timing_load"],
        "p99_target_ms": target,
        "load_s": result["load_s"],
        "served": "RecommendService.for_user(user, k=10), explanations included, one thread, "
        f"{USERS} seeded users after 20 warm-up requests",
        "vector_index": vector_index(result["name"], ef),
        "catalog_items": n_items,
        "example": result["example"],
    }


def vector_index(name: str, ef: int) -> dict[str, Any]:
    """The index a system's row was served through (a blend: its vector member's)."""
    folder, kind, params = INDEXES.get(name, INDEXES["offshelf-text"])
    return {"kind": kind, **params} | ({"efSearch": ef} if kind == "hnsw" else {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--items", type=int, default=N_ITEMS, help="catalog size")
    parser.add_argument("--replicas", type=int, default=100)
    parser.add_argument("--user-fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ef", type=int, default=128, help="HNSW efSearch when serving")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--skip-build", action="store_true", help="reuse the saved models")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # internal: one system, JSON out
    args = parser.parse_args()
    work = WORK / str(args.items)
    if args.serve:
        print("RESULT " + json.dumps(serve(work, args.serve, args.ef)), flush=True)
        return
    started, load_before, others_before = time.time(), load_average(), what_else_ran()
    notes = json.loads((work / "build.json").read_text()) if args.skip_build else build(args)
    env = os.environ | {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    rows = []
    for name in args.systems.split(","):
        cmd = [sys.executable, __file__, "--serve", name, "--ef", str(args.ef)]
        cmd += ["--items", str(args.items)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
        if proc.returncode or not line:
            print(proc.stdout[-2000:], proc.stderr[-4000:])
            raise SystemExit(f"serving {name} failed (exit {proc.returncode})")
        result = json.loads(line[0].removeprefix("RESULT "))
        rows.append(row(result, args.ef, args.items))
        if name == "blend":
            from inhouse.recommend.blend import CANDIDATES

            rows[-1] |= {"blend_weights": BLEND_WEIGHTS, "candidates_per_member": CANDIDATES}
        print(rows[-1]["name"], rows[-1]["metrics"], rows[-1]["timing_load"], flush=True)
    rows.append(
        {
            "name": "recommend-ease",
            "kind": "in-house",
            "metrics": {"p99_ms": None, "p50_ms": None, "memory_gib": None},
            "note": EASE_NOTE,
        }
    )
    rows += [
        {
            "name": f"recommend-{name}",
            "kind": "in-house",
            "metrics": {"p99_ms": None, "p50_ms": None, "memory_gib": None},
            "note": NOT_RUN,
        }
        for name in ("text-tuned",)
    ]
    every = args.systems == ",".join(SYSTEMS)  # a part run keeps the full run's header
    header = {
        "recommend_1m" if every else f"recommend_1m[{args.systems}]": {
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "catalog": f"{args.items:,} item vectors from index_1m.make_catalog (seed "
            f"{args.seed}); events: online-retail mapped onto the 1M items, see "
            "benchmarks/recommend_1m.py",
            "build": notes,
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "load_average_before": load_before,
            "load_average_after": load_average(),
            "running_before": others_before,
            "running_after": what_else_ran(),
        }
    }
    write_rows(rows, args.out, **header)
    for r in rows:
        print(r["name"], r["metrics"])


if __name__ == "__main__":
    main()
