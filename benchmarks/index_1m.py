"""A FAISS index over 1M item vectors (384-d): flat, HNSW and IVF-PQ + exact refine, measured.

The catalog is sampled around real item embeddings: the 4,385 amazon-scientific item texts
(`inhouse.recommend.text.item_texts`) embedded with the embedded default all-MiniLM-L6-v2
(cached under ~/.cache/inhouse/bench), then each of the N catalog vectors is a real vector
(parent drawn uniformly) plus isotropic Gaussian noise, re-normalised. The noise scale of each
vector is drawn so that its cosine to its parent is uniform in [0.80, 0.90]:
sigma = sqrt((1/c^2 - 1) / dim). Queries are 1,000 more such vectors from a separate seed.

Per index setting: build_s (wall seconds, FAISS build only), memory_gib (the index's own bytes
as FAISS serialises it) and rss_peak_gib (the process's peak RSS, reset before each build,
including the catalog array itself), recall@10 against exact (flat) search, and single-query
top-10 latency p50/p99 in ms over the 1,000 queries one at a time on one thread. Settings that
share a build (efSearch, nprobe/k_factor) report that build's build_s.

    INHOUSE_DATA_DIR=/work/shared/datasets .venv/bin/python benchmarks/index_1m.py \
        --out benchmarks/results/index-1m.json

`write_rows(rows)` merges rows into the result file by name, so other scripts (the recommenders
served over this catalog) add theirs beside these; `make_catalog` gives them the same catalog.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from inhouse.eval.results import BenchResult, SystemResult, read_results, write_results
from inhouse.files import atomic_write_bytes
from inhouse.models.index import VectorIndex

OUT = Path("benchmarks/results/index-1m.json")
CACHE = Path.home() / ".cache" / "inhouse" / "bench"
COSINE_RANGE = (0.80, 0.90)  # a catalog vector's cosine to its real parent
K = 10
PROTOCOL = (
    "catalog: N vectors = real amazon-scientific item embedding (all-MiniLM-L6-v2, 4,385 items) "
    "+ Gaussian noise scaled per vector so its cosine to its parent is uniform in [0.80, 0.90], "
    "re-normalised; queries: 1,000 more such vectors (own seed); recall@10 against exact flat "
    "inner-product search; latency: single-query top-10 through VectorIndex.search on one "
    "thread, 1,000 queries one at a time after 50 warm-up queries; memory_gib: the index's "
    "serialised bytes; rss_peak_gib: process peak RSS (reset before each build), catalog included"
)
# build name -> (kind, build params, [search settings]); search settings share the build
SETTINGS: dict[str, tuple[str, dict[str, Any], list[dict[str, Any]]]] = {
    "flat": ("flat", {}, [{}]),
    "hnsw-M32-efc64": (
        "hnsw",
        {"M": 32, "efConstruction": 64},
        [{"efSearch": 32}, {"efSearch": 64}, {"efSearch": 128}],
    ),
    "ivfpq-nlist2048-m48": (
        "ivfpq",
        {"nlist": 2048, "m": 48, "nbits": 8, "train_size": 131072},
        [
            {"nprobe": 16, "k_factor": 8},
            {"nprobe": 32, "k_factor": 16},
            {"nprobe": 64, "k_factor": 32},
        ],
    ),
}


# ---------------------------------------------------------------- the catalog


def real_item_vectors() -> np.ndarray:
    """The 4,385 amazon-scientific item texts embedded with the default MiniLM (cached)."""
    from inhouse.datasets import load
    from inhouse.models.load import load_embedder
    from inhouse.recommend.text import item_texts

    texts = item_texts(load("amazon-scientific").catalog)
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"amazon-scientific-minilm-{key}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    start = time.perf_counter()
    vectors = np.asarray(load_embedder().embed(texts), np.float32)
    print(f"embedded {len(texts)} item texts in {time.perf_counter() - start:.1f}s", flush=True)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    buf = io.BytesIO()
    np.save(buf, vectors, allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue())  # creates the folder
    return vectors


def perturb(parents: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each parent row plus Gaussian noise giving a cosine to it uniform in COSINE_RANGE."""
    n, dim = parents.shape
    cos = rng.uniform(*COSINE_RANGE, size=(n, 1)).astype(np.float32)
    sigma = np.sqrt((1 / cos**2 - 1) / dim)
    out = parents + sigma * rng.standard_normal((n, dim), dtype=np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def make_catalog(n: int, seed: int = 0, chunk: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """(vectors (n, 384) float32 normalised, parent row of each in `real_item_vectors()`)."""
    real = real_item_vectors()
    rng = np.random.default_rng(seed)
    parents = rng.integers(len(real), size=n)
    vectors = np.empty((n, real.shape[1]), np.float32)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        vectors[start:stop] = perturb(real[parents[start:stop]], rng)
    return vectors, parents


def make_queries(n: int, seed: int = 1) -> np.ndarray:
    """`n` query vectors made the same way as the catalog, from their own seed."""
    real = real_item_vectors()
    rng = np.random.default_rng(seed + 1_000_003)
    return perturb(real[rng.integers(len(real), size=n)], rng)


# ---------------------------------------------------------------- measuring


def rss_gib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def single_query_latency(
    index: VectorIndex, queries: np.ndarray, warmup: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """(ms per query, ids (n, K)): each query searched alone, as a request would be."""
    for q in queries[:warmup]:
        index.search(q[None], K)
    ms = np.empty(len(queries))
    ids = np.empty((len(queries), K), np.int64)
    for i, q in enumerate(queries):
        start = time.perf_counter()
        _, found = index.search(q[None], K)
        ms[i] = (time.perf_counter() - start) * 1000
        ids[i] = found[0]
    return ms, ids


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    hits = [len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True)]
    return float(np.mean(hits) / truth.shape[1])


def what_else_ran() -> list[str]:
    out = subprocess.run(
        ["ps", "-eo", "pcpu,args", "--sort=-pcpu"], capture_output=True, text=True
    ).stdout
    return [" ".join(line.split())[:120] for line in out.splitlines()[1:7]]


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------- the result file


def write_rows(rows: list[dict[str, Any]], out: Path = OUT, **header: Any) -> None:
    """Merge `rows` (bench-contract system rows) into `out` by name: a row replaces the one of
    its name, rows of other names are kept. `header` replaces top-level keys (command, ...)."""
    base: dict[str, Any] = {
        "workload": "index",
        "dataset": "amazon-scientific item embeddings, sampled to 1M (synthetic around real)",
        "protocol": PROTOCOL,
        "primary_metric": "recall@10",
        "systems": [],
    }
    if Path(out).is_file():
        (old,) = read_results(out)
        base = old.model_dump(mode="json")
    new = {r["name"] for r in rows}
    base["systems"] = [s for s in base["systems"] if s["name"] not in new] + rows
    base |= header
    write_results(BenchResult.model_validate(base), out)


def row(
    name: str, kind: str, params: dict[str, Any], ms: np.ndarray, recall: float, **extra: Any
) -> dict[str, Any]:
    metrics = {
        "recall@10": round(recall, 4),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
    }
    metrics |= {k: extra.pop(k) for k in ("build_s", "memory_gib", "rss_peak_gib") if k in extra}
    result = SystemResult(
        name=name,
        kind="baseline" if kind == "flat" else "off-the-shelf",
        metrics=metrics,
        fit_seconds=metrics.get("build_s"),
        latency_ms={
            "p50": metrics["p50_ms"],
            "p95": round(float(np.percentile(ms, 95)), 3),
            "p99": metrics["p99_ms"],
        },
    ).model_dump(mode="json")
    return result | {"index_kind": kind, "params": params} | extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--n", type=int, default=1_000_000, help="catalog size")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated build names of SETTINGS")
    parser.add_argument("--build-threads", type=int, default=0, help="0: FAISS's default")
    args = parser.parse_args()

    load_before, others_before, started = load_average(), what_else_ran(), time.time()
    start = time.perf_counter()
    catalog, parents = make_catalog(args.n, args.seed)
    queries = make_queries(args.queries, args.seed)
    real = real_item_vectors()
    parent_cos = np.einsum("nd,nd->n", catalog[:100_000], real[parents[:100_000]])
    print(f"catalog {catalog.shape} in {time.perf_counter() - start:.1f}s", flush=True)
    truth_scores, truth = VectorIndex.build(catalog).search(queries, K)  # batched, all threads
    catalog_note = {
        "n_items": args.n,
        "dim": int(catalog.shape[1]),
        "real_items": len(real),
        "seed": args.seed,
        "cosine_to_parent": {
            "target_range": list(COSINE_RANGE),
            "mean": round(float(parent_cos.mean()), 4),
            "p5": round(float(np.percentile(parent_cos, 5)), 4),
            "p95": round(float(np.percentile(parent_cos, 95)), 4),
        },
        "query_top1_cosine_mean": round(float(truth_scores[:, 0].mean()), 4),
        "query_top10_cosine_mean": round(float(truth_scores[:, K - 1].mean()), 4),
    }
    print(catalog_note, flush=True)
    default_threads = faiss.omp_get_max_threads()
    build_threads = args.build_threads or default_threads
    rows = []
    peak = 0.0
    for build_name, (kind, build_params, searches) in SETTINGS.items():
        if args.only and build_name not in args.only.split(","):
            continue
        gc.collect()
        peak = max(peak, rss_gib("VmHWM"))
        reset_peak_rss()
        load_at_build = load_average()
        faiss.omp_set_num_threads(build_threads)
        index = VectorIndex.build(catalog, kind, seed=args.seed, **build_params)
        faiss.omp_set_num_threads(default_threads)
        memory = index.memory_bytes() / 2**30
        print(f"{build_name}: built in {index.build_s:.1f}s, {memory:.3f} GiB", flush=True)
        for search in searches:
            index.set_search_params(**search)
            ms, ids = single_query_latency(index, queries)
            suffix = "".join(f"-{k}{v}" for k, v in search.items())
            name = build_name + suffix.replace("efSearch", "ef").replace("k_factor", "kf")
            r = row(
                name,
                kind,
                index.params.copy(),
                ms,
                recall_at_k(ids, truth),
                build_s=round(index.build_s, 1),
                memory_gib=round(memory, 3),
                rss_peak_gib=round(rss_gib("VmHWM"), 3),
                build_threads=build_threads,
                command=" ".join([Path(sys.executable).name, *sys.argv]),
                load_average_at_build=load_at_build,
                load_average_after=load_average(),
            )
            print(r["name"], r["metrics"], flush=True)
            rows.append(r)
        del index
    header = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "catalog": catalog_note,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "wall_s": round(time.perf_counter() - start, 1),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "running_before": others_before,
        "running_after": what_else_ran(),
        "peak_rss_gib": round(max(peak, rss_gib("VmHWM")), 3),
        "faiss": faiss.__version__,
    }
    write_rows(rows, args.out, **header)
    for r in rows:
        print(r["name"], r["metrics"])


if __name__ == "__main__":
    main()
