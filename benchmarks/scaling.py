"""Cost curves: fit time and peak memory of every recommender as events grow, and index build
time, memory and query p99 as items grow, with a fitted growth exponent per curve.

Events (sizes from `--sizes`, default 10k,100k,1M,10M) are sampled from Online Retail's real
distribution, seeded (`--seed`):
- the catalog is the real one, kept fixed at every size: the loader's 3,947 products (3,660 of
  them ever bought) and their titles. Growing it would need invented item texts, and catalog
  growth is what the index curve measures;
- the real purchases (all 396,374 lines without the 11 non-product codes) give each customer's
  baskets: one basket per (customer, time), its number of distinct items;
- a synthetic user copies the baskets (times and sizes) of a real customer drawn uniformly with
  replacement, so users' activity counts and basket sizes follow the real ones; users are drawn
  until the events reach the size, and the last user is cut to hit it exactly (users grow with
  events: about one per 91 events);
- each basket's items are drawn without replacement in proportion to the items' real purchase
  counts. Co-purchase structure is not copied: item pairs are independent draws, which makes the
  item x item co-occurrence denser than the real one (a pessimistic case for cooc and EASE).

Each fit runs `make(name).fit(events, catalog)` with the registry's default parameters (the
blend: `DEFAULT_BLEND`) in a fresh subprocess. Per fit: `fit_s` (wall) and `fit_cpu_s` (CPU
seconds of all its threads; steadier than wall on a shared box) around `fit` alone; peak RSS is
that process's `ru_maxrss` from `os.wait4`, and `fit_rss_gib` its growth over the RSS once the
data were loaded. Item text embeddings (MiniLM, the default embedder) are computed once into a
cache of this benchmark, so a fit's time is its own work. A fit is stopped past `--cpu-limit` CPU
seconds (default 1200: 10 minutes on 2 cores), `--time-limit` wall seconds or
`--memory-limit-gib` of RSS; the row says which. A size is not run when the two largest sizes
measured for that system predict (log-log slope) a CPU time, wall time or memory over those
limits, or when `--stop-at` (HH:MM UTC) has passed; such rows carry the prediction, labelled as
an extrapolation. Neural systems log each epoch, so a stopped fit's full time is extrapolated from
the epochs it measured. Rows already in `--out` are kept (`--fresh` starts over), so a run can be
done in parts; `--merge` adds the rows of other result files.

Index rows (`--items`, default 10k,100k,1M) build `inhouse.models.index.VectorIndex` (the
library's default parameters per kind) in a fresh subprocess over 384-dimension vectors sampled
around real item embeddings by `benchmarks/index_1m.py` (`make_catalog`, `make_queries`), and
time 500 single top-10 queries one at a time after 20 warm-up ones.

    INHOUSE_DATA_DIR=/work/shared/datasets .venv/bin/python benchmarks/scaling.py \
        --sizes 10k,100k,1M,10M --items 10k,100k,1M --out benchmarks/results/scaling.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
NEURAL = ("sasrec", "two-tower", "text-tuned", "blend")
DIM = 384
QUERIES = 500
# item embeddings of this benchmark, kept between runs (never the user's cache)
CACHE = Path(tempfile.gettempdir()) / "inhouse-scaling-cache"


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def label(n: int) -> str:
    for unit, div in (("M", 1_000_000), ("k", 1_000)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def load_avg() -> float:
    return round(os.getloadavg()[0], 2)


# ------------------------------------------------------------------ events from the real data


def real_distribution() -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame]:
    """The real catalog, its items' purchase counts (catalog order) and the real baskets
    (customer, time, size) of Online Retail, read as its loader reads them."""
    from inhouse.datasets import load
    from inhouse.datasets.download import resolve_dir
    from inhouse.datasets.recommend import RETAIL_NON_PRODUCT

    catalog = load("online-retail").catalog
    folder = resolve_dir("online-retail")
    lines = pl.read_csv(
        Path(folder) / "purchases.csv.gz",
        columns=["customer_id", "stock_code", "invoice_no", "unix_ts"],
        schema_overrides={"customer_id": pl.String, "stock_code": pl.String},
    ).filter(~pl.col("stock_code").is_in(RETAIL_NON_PRODUCT))
    counts = lines.group_by("stock_code").len()
    pop = (
        catalog.select(pl.col("item_id").alias("stock_code"))
        .join(counts, on="stock_code", how="left", maintain_order="left")["len"]
        .fill_null(0)
        .to_numpy()
        .astype(np.float64)
    )
    # a basket: one customer's purchases at one time (invoices of the same minute merged, so a
    # sampled item is distinct per user and time and no event is a duplicate)
    baskets = (
        lines.group_by("customer_id", "unix_ts")
        .agg(pl.col("stock_code").n_unique().alias("size"))
        .rename({"unix_ts": "ts"})
        .sort("customer_id", "ts")
    )
    return catalog, pop, baskets


def make_events(n: int, pop: np.ndarray, baskets: pl.DataFrame, ids: list[str], seed: int):
    """`n` events: synthetic users copying real customers' baskets, items by real popularity."""
    rng = np.random.default_rng(seed)
    per = baskets.group_by("customer_id", maintain_order=True).agg("ts", "size")
    ts_lists, size_lists = per["ts"].to_list(), per["size"].to_list()
    totals = np.array([sum(s) for s in size_lists])
    picks: list[int] = []
    total = 0
    while total < n:  # draw in blocks: expected users = n / mean activity
        block = rng.integers(0, len(totals), max(16, int(1.2 * (n - total) / totals.mean())))
        for t in block:
            picks.append(int(t))
            total += int(totals[t])
            if total >= n:
                break
    b_user = np.concatenate([np.full(len(size_lists[t]), u) for u, t in enumerate(picks)])
    b_ts = np.concatenate([ts_lists[t] for t in picks]).astype(np.int64)
    b_size = np.concatenate([size_lists[t] for t in picks]).astype(np.int64)
    # the last user keeps its baskets up to the n-th event (the basket holding it is cut short)
    last = int(np.searchsorted(np.cumsum(b_size), n))
    b_user, b_ts, b_size = b_user[: last + 1], b_ts[: last + 1], b_size[: last + 1]
    b_size[-1] -= int(b_size.sum()) - n
    items = sample_baskets(b_size, pop / pop.sum(), rng)
    users = np.repeat(b_user, b_size)
    return (
        pl.DataFrame(
            {
                "user_id": pl.Series(users).cast(pl.String),
                "item_id": pl.Series(np.asarray(ids, dtype=object)[items].tolist()),
                "timestamp": pl.Series(np.repeat(b_ts, b_size)),
            }
        ).with_columns(
            ("u" + pl.col("user_id")).alias("user_id"),
            pl.from_epoch("timestamp", time_unit="s").dt.replace_time_zone("UTC"),
            pl.lit("purchase").alias("event"),
            pl.lit(1.0).alias("value"),
        ),
        len(picks),
    )


def sample_baskets(sizes: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Item indices for baskets of `sizes`, drawn by `p`, distinct within each basket (repeats
    redrawn until none is left)."""
    basket = np.repeat(np.arange(len(sizes)), sizes)
    items = rng.choice(len(p), len(basket), p=p)
    for _ in range(1000):
        key = basket * len(p) + items
        order = np.argsort(key, kind="stable")
        dup = np.zeros(len(key), bool)
        dup[order[1:]] = key[order[1:]] == key[order[:-1]]
        if not dup.any():
            return items
        items[dup] = rng.choice(len(p), int(dup.sum()), p=p)
    raise AssertionError("sample_baskets: repeats left after 1000 redraws")


# ------------------------------------------------------------------ children (one fit each)


def rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def cpu_s() -> float:
    """User + system CPU seconds of this process so far (all its threads)."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def child_fit(args: argparse.Namespace) -> None:
    events = pl.read_parquet(args.events)
    catalog = pl.read_parquet(args.catalog)
    from inhouse.recommend import neural
    from inhouse.recommend.registry import make

    progress = open(args.progress, "a", buffering=1)  # noqa: SIM115 (lives as long as the fit)
    original = neural.NetRecommender._epochs
    start, cpu0 = time.perf_counter(), time.process_time()

    def logged(self: Any, epochs: int, run_epoch: Any, label: str = "") -> None:
        def timed() -> float:
            t, c = time.perf_counter(), time.process_time()
            loss = run_epoch()
            now, cpu = time.perf_counter(), time.process_time()
            line = {"system": self.name, "epochs": epochs, "label": label, "epoch_s": now - t}
            line |= {"at_s": now - start, "epoch_cpu_s": cpu - c, "cpu_at_s": cpu - cpu0}
            progress.write(json.dumps(line) + "\n")
            return loss

        original(self, epochs, timed, label)

    neural.NetRecommender._epochs = logged  # type: ignore[method-assign]
    system = make(args.system)
    before = rss_gib()
    cpu = cpu_s()
    start, cpu0 = time.perf_counter(), time.process_time()
    system.fit(events, catalog)
    fit_s = time.perf_counter() - start
    out = {
        "fit_s": fit_s,
        "fit_cpu_s": cpu_s() - cpu,
        "rss_before_fit_gib": before,
        "fit_report": system.fit_report,
    }
    Path(args.result).write_text(json.dumps(out))


def child_index(args: argparse.Namespace) -> None:
    from inhouse.models.index import VectorIndex

    vectors, queries = index_vectors(args.items, args.seed)
    before = rss_gib()
    start, cpu0 = time.perf_counter(), time.process_time()
    index = VectorIndex.build(vectors, kind=args.kind)
    build_s, build_cpu_s = time.perf_counter() - start, time.process_time() - cpu0
    for q in queries[:20]:  # warm-up
        index.search(q[None], 10)
    ms, cpu_ms = [], []  # wall, and CPU of this thread (one query runs on one thread)
    for q in queries:
        t, c = time.perf_counter(), time.thread_time()
        index.search(q[None], 10)
        ms.append((time.perf_counter() - t) * 1000)
        cpu_ms.append((time.thread_time() - c) * 1000)
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    c50, c99 = np.percentile(cpu_ms, [50, 99])
    out = {
        "build_s": build_s,
        "build_cpu_s": build_cpu_s,
        "index_gib": index.memory_bytes() / 2**30,
        "rss_before_build_gib": before,
        "latency_ms": {"p50": float(p50), "p95": float(p95), "p99": float(p99)},
        "cpu_ms": {"p50": float(c50), "p99": float(c99)},
        "params": index.params,
        "vectors": VECTOR_SOURCE,
    }
    Path(args.result).write_text(json.dumps(out))


VECTOR_SOURCE = ""


def index_vectors(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` item vectors and `QUERIES` queries from benchmarks/index_1m.py's sampler: real
    amazon-scientific item embeddings (MiniLM) plus noise, cosine to the parent in [0.8, 0.9]."""
    global VECTOR_SOURCE
    spec = importlib.util.spec_from_file_location("index_1m", HERE / "index_1m.py")
    assert spec and spec.loader, "benchmarks/index_1m.py: needed for its vector sampler"
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    VECTOR_SOURCE = f"benchmarks/index_1m.py make_catalog(n, seed={seed}), make_queries"
    return mod.make_catalog(n, seed=seed)[0], mod.make_queries(QUERIES, seed=seed + 1)


# ------------------------------------------------------------------ the parent: guarded runs


def guarded(
    cmd: list[str], limit_s: float, limit_gib: float, env: dict[str, str], cpu_limit_s: float
) -> dict:
    """Run `cmd`; stop it past `limit_s` wall seconds, `cpu_limit_s` CPU seconds (all its
    threads) or `limit_gib` RSS. Wall time, CPU time, peak RSS and why it was stopped."""
    import psutil

    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        ps = psutil.Process(proc.pid)
        stopped = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            try:
                rss = ps.memory_info().rss / 2**30
                times = ps.cpu_times()
                cpu = times.user + times.system
            except psutil.Error:
                rss = cpu = 0.0
            if stopped is None and cpu > cpu_limit_s:
                stopped = f"over the CPU limit ({cpu_limit_s:.0f} CPU-s)"
            if stopped is None and time.perf_counter() - start > limit_s:
                stopped = f"over the wall-time limit ({limit_s:.0f} s, load {load_avg():.1f})"
            if stopped is None and rss > limit_gib:
                stopped = f"over the memory guard ({limit_gib:g} GiB RSS)"
            if stopped:
                proc.kill()
            time.sleep(0.2)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-600:]
    return {
        "wall_s": time.perf_counter() - start,
        "peak_rss_gib": usage.ru_maxrss / 2**20,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "stopped": stopped,
        "rc": proc.returncode,
        "stderr_tail": tail,
    }


STARTED = datetime.now(UTC)


def past(stop_at: str) -> bool:
    """Whether `stop_at` (HH:MM UTC; '' for never) has passed: its first occurrence after this
    run started, so a deadline after midnight works."""
    if not stop_at:
        return False
    hour, minute = (int(x) for x in stop_at.split(":"))
    deadline = STARTED.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if deadline <= STARTED:
        deadline += timedelta(days=1)
    return datetime.now(UTC) >= deadline


def loglog_fit(sizes: list[float], values: list[float]) -> float | None:
    """b of value ~ size^b by least squares in log-log; None with fewer than two points."""
    pts = [(s, v) for s, v in zip(sizes, values, strict=True) if v and v > 0]
    if len(pts) < 2:
        return None
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return round(float(np.polyfit(x, y, 1)[0]), 3)


def predict(rows: list[dict], key: str, size: int) -> tuple[float, str] | None:
    """`key` at `size` from the two largest rows measured (or stopped, with an extrapolated full
    time from their epochs): the local log-log slope."""
    pts = sorted(
        (r["size"], r.get(key) or r[f"{key}_extrapolated"])
        for r in rows
        if (r.get("measured") and r.get(key))
        or (r.get("status", "").startswith("stopped") and r.get(f"{key}_extrapolated"))
    )
    if len(pts) < 2:
        return None
    (s0, v0), (s1, v1) = pts[-2], pts[-1]
    b = math.log(v1 / v0) / math.log(s1 / s0)
    return v1 * (size / s1) ** b, f"extrapolated from {label(s0)} and {label(s1)} (slope {b:.2f})"


def epochs_extrapolation(progress: Path, system: str) -> dict | None:
    """A stopped neural fit's full time: time to its last epoch + the epochs left x the mean."""
    lines = [json.loads(x) for x in progress.read_text().splitlines()] if progress.exists() else []
    if not lines:
        return None
    from inhouse.recommend.registry import make

    params = make(system).params
    runs = max(1, int(params.get("seeds", 1)))
    per_run = lines[0]["epochs"]
    total = per_run * runs
    if system == "blend":
        return {
            "epochs_measured": len(lines),
            "epoch_s_mean": np.mean([x["epoch_s"] for x in lines]),
        }
    mean = float(np.mean([x["epoch_s"] for x in lines]))
    cpu = float(np.mean([x["epoch_cpu_s"] for x in lines]))
    return {
        "epochs_measured": len(lines),
        "epochs_total": total,
        "epoch_s_mean": mean,
        "epoch_cpu_s_mean": cpu,
        "fit_s_extrapolated": lines[-1]["at_s"] + (total - len(lines)) * mean,
        "fit_cpu_s_extrapolated": lines[-1]["cpu_at_s"] + (total - len(lines)) * cpu,
    }


def child(
    args: argparse.Namespace, env: dict[str, str], mode: str, **flags: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run this script's `mode` (`_fit`, `_index`) with `--flag value`s in a fresh, guarded
    subprocess: the guard's report, and the row fields every run records (load, peak RSS)."""
    cmd = [sys.executable, __file__, mode]
    for flag, value in flags.items():
        cmd += [f"--{flag}", str(value)]
    load_before = load_avg()
    run = guarded(cmd, args.time_limit, args.memory_limit_gib, env, args.cpu_limit)
    return run, {
        "load_1min_before": load_before,
        "load_1min_after": load_avg(),
        "peak_rss_gib": round(run["peak_rss_gib"], 3),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run_events(args: argparse.Namespace, work: Path, env: dict[str, str], rows: list[dict]) -> None:
    from inhouse.recommend.registry import SYSTEMS

    systems = args.systems.split(",") if args.systems else list(SYSTEMS)
    catalog, pop, baskets = real_distribution()
    catalog_path = work / "catalog.parquet"
    catalog.write_parquet(catalog_path)
    ids = catalog["item_id"].to_list()
    # item text embeddings once, into this run's cache (every text system reads them from there)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "_warm", "--catalog", str(catalog_path)], env=env, check=True
    )
    print(f"item embeddings cached in {time.perf_counter() - t:.1f} s", flush=True)
    for n in sorted(parse_size(s) for s in args.sizes.split(",")):
        events, users = None, None
        for name in systems:
            key = ("events", name, n)
            if any(r["curve"] == "events" and (r["system"], r["size"]) == key[1:] for r in rows):
                continue
            mine = [r for r in rows if r["curve"] == "events" and r["system"] == name]
            row: dict[str, Any] = {
                "curve": "events",
                "system": name,
                "size": n,
                "kind": SYSTEMS[name].kind,
            }
            late = past(args.stop_at)
            guess_t, guess_m = predict(mine, "fit_s", n), predict(mine, "peak_rss_gib", n)
            guess_c = predict(mine, "fit_cpu_s", n)
            why = ""
            if late:
                why = "time (the run's --stop-at deadline)"
            elif guess_c and guess_c[0] > args.cpu_limit:
                why = f"predicted over the CPU limit ({args.cpu_limit:.0f} CPU-s)"
            elif guess_t and guess_t[0] > args.time_limit:
                why = f"predicted over the wall-time limit ({args.time_limit:.0f} s)"
            elif guess_m and guess_m[0] > args.memory_limit_gib:
                why = f"predicted over the memory guard ({args.memory_limit_gib:g} GiB)"
            if why:
                row |= {"measured": False, "status": f"not run: {why}"}
                for key, guess in (
                    ("fit_s", guess_t),
                    ("fit_cpu_s", guess_c),
                    ("peak_rss_gib", guess_m),
                ):
                    if guess:
                        row[f"{key}_extrapolated"] = round(guess[0], 2)
                if guess_t:  # the notes quote the wall-time extrapolation
                    row["extrapolation"] = guess_t[1]
                rows.append(row)
                print(f"{name} @ {label(n)}: {row['status']}", flush=True)
                write_all(args, rows)
                continue
            if events is None:
                t = time.perf_counter()
                events, users = make_events(n, pop, baskets, ids, args.seed)
                events_path = work / f"events-{n}.parquet"
                events.write_parquet(events_path)
                print(
                    f"{label(n)} events, {users} users: made in {time.perf_counter() - t:.1f} s",
                    flush=True,
                )
                n_items = events["item_id"].n_unique()
            progress = work / f"progress-{name}-{n}.jsonl"
            result = work / f"result-{name}-{n}.json"
            run, measured = child(
                args,
                env,
                "_fit",
                system=name,
                events=events_path,
                catalog=catalog_path,
                progress=progress,
                result=result,
            )
            row |= {"users": users, "items_catalog": len(ids), "items_with_events": n_items}
            row |= measured
            if result.exists():
                fit = json.loads(result.read_text())
                row |= {
                    "measured": True,
                    "status": "ok",
                    "fit_s": round(fit["fit_s"], 2),
                    "fit_cpu_s": round(fit["fit_cpu_s"], 2),
                    "wall_s": round(run["wall_s"], 2),
                    "process_cpu_s": round(run["cpu_s"], 2),
                    "rss_before_fit_gib": round(fit["rss_before_fit_gib"], 3),
                    "fit_rss_gib": round(run["peak_rss_gib"] - fit["rss_before_fit_gib"], 3),
                    "fit_report": fit["fit_report"],
                }
            else:
                row |= {
                    "measured": False,
                    "wall_s": round(run["wall_s"], 2),
                    "status": f"stopped: {run['stopped']}"
                    if run["stopped"]
                    else f"failed (rc {run['rc']}): {run['stderr_tail'][-300:]}",
                }
                ext = epochs_extrapolation(progress, name)
                if ext:
                    row |= {k: round(v, 2) if isinstance(v, float) else v for k, v in ext.items()}
                    if "fit_s_extrapolated" in ext:
                        row["extrapolation"] = "from the epochs measured before the stop"
            rows.append(row)
            print(
                f"{name} @ {label(n)}: {row['status']} fit {row.get('fit_s')} s, "
                f"peak {row['peak_rss_gib']} GiB (load {row['load_1min_before']})",
                flush=True,
            )
            write_all(args, rows)


def run_index(args: argparse.Namespace, work: Path, env: dict[str, str], rows: list[dict]) -> None:
    kinds = args.kinds.split(",")
    for n in sorted(parse_size(s) for s in args.items.split(",")):
        for kind in kinds:
            if any(r["curve"] == "index" and (r["system"], r["size"]) == (kind, n) for r in rows):
                continue
            row: dict[str, Any] = {"curve": "index", "system": kind, "size": n, "kind": "baseline"}
            if past(args.stop_at):
                row |= {"measured": False, "status": "not run: time (the run's --stop-at)"}
                rows.append(row)
                continue
            result = work / f"index-{kind}-{n}.json"
            run, measured = child(
                args, env, "_index", kind=kind, items=n, seed=args.seed, result=result
            )
            row |= measured
            if result.exists():
                r = json.loads(result.read_text())
                row |= {
                    "measured": True,
                    "status": "ok",
                    "build_s": round(r["build_s"], 2),
                    "build_cpu_s": round(r["build_cpu_s"], 2),
                    "index_gib": round(r["index_gib"], 4),
                    "rss_before_build_gib": round(r["rss_before_build_gib"], 3),
                    "p50_ms": round(r["latency_ms"]["p50"], 3),
                    "p99_ms": round(r["latency_ms"]["p99"], 3),
                    "cpu_p50_ms": round(r["cpu_ms"]["p50"], 3),
                    "cpu_p99_ms": round(r["cpu_ms"]["p99"], 3),
                    "index_params": r["params"],
                    "vectors": r["vectors"],
                }
            else:
                row |= {
                    "measured": False,
                    "status": f"stopped: {run['stopped']}"
                    if run["stopped"]
                    else f"failed (rc {run['rc']}): {run['stderr_tail'][-300:]}",
                }
            rows.append(row)
            print(
                f"index {kind} @ {label(n)}: {row['status']} build {row.get('build_s')} s, "
                f"p99 {row.get('p99_ms')} ms (load {row['load_1min_before']})",
                flush=True,
            )
            write_all(args, rows)


# ------------------------------------------------------------------ results: JSON, table, plot

RUN_KEYS = (
    "workload",
    "load_1min_start",
    "load_1min_end",
    "time_limit_s",
    "cpu_limit_s",
    "memory_limit_gib",
    "seed",
    "argv",
    "started",
    "finished",
)
ROW_FIELDS = ("name", "metrics", "fit_seconds", "latency_ms", "cost_usd_per_1k", "ci95")


def exponents(rows: list[dict]) -> list[dict]:
    """Per curve (system x quantity): b of quantity ~ size^b over the measured sizes, and over
    the two largest (the slope the extrapolations use)."""
    out = []
    quantities = {
        "events": ("fit_s", "fit_cpu_s", "peak_rss_gib", "fit_rss_gib"),
        "index": ("build_s", "build_cpu_s", "index_gib", "peak_rss_gib", "p99_ms", "cpu_p99_ms"),
    }
    for curve, keys in quantities.items():
        for system in dict.fromkeys(r["system"] for r in rows if r["curve"] == curve):
            mine = sorted(
                (
                    r
                    for r in rows
                    if r["curve"] == curve and r["system"] == system and r.get("measured")
                ),
                key=lambda r: r["size"],
            )
            for key in keys:
                pts = [(r["size"], r[key]) for r in mine if r.get(key) and r[key] > 0]
                b = loglog_fit([p[0] for p in pts], [p[1] for p in pts])
                top = loglog_fit([p[0] for p in pts[-2:]], [p[1] for p in pts[-2:]])
                out.append(
                    {
                        "curve": curve,
                        "system": system,
                        "quantity": key,
                        "sizes": [p[0] for p in pts],
                        "exponent": b,
                        "exponent_two_largest": top,
                    }
                )
    return out


def to_results(args: argparse.Namespace, rows: list[dict], meta: dict) -> list[Any]:
    from inhouse.eval.results import BenchResult, SystemResult

    exps = exponents(rows)
    results = []
    for curve, workload, dataset, protocol, primary in (
        ("events", "recommend", "online-retail-sampled", EVENTS_PROTOCOL, "fit_s"),
        ("index", "index", "vectors-around-real-item-embeddings", INDEX_PROTOCOL, "build_s"),
    ):
        mine = [r for r in rows if r["curve"] == curve]
        if not mine:
            continue
        keys = (
            ("fit_s", "fit_cpu_s", "peak_rss_gib", "fit_rss_gib")
            if curve == "events"
            else ("build_s", "build_cpu_s", "index_gib", "peak_rss_gib", "p99_ms", "cpu_p99_ms")
        )
        systems = [
            SystemResult(
                name=f"{r['system']}@{label(r['size'])}",
                kind=r["kind"],
                metrics={k: r.get(k) for k in keys},
                fit_seconds=r.get("fit_s"),
                **{k: v for k, v in r.items() if k != "kind"},
            )
            for r in sorted(mine, key=lambda r: (r["system"], r["size"]))
        ]
        results.append(
            BenchResult(
                workload=workload,
                dataset=dataset,
                protocol=protocol,
                primary_metric=primary,
                systems=systems,
                exponents=[e for e in exps if e["curve"] == curve],
                **meta,
            )
        )
    return results


EVENTS_PROTOCOL = (
    "fit time and peak RSS of make(name).fit(events, catalog) (registry defaults), one fresh "
    "subprocess per fit, on events sampled from Online Retail: the real 3,947-product catalog "
    "(fixed); synthetic users each copying a uniformly drawn real customer's baskets (times, "
    "distinct-item counts), the last user cut to the exact size; basket items drawn without "
    "replacement by real purchase counts (co-purchase structure not kept); item embeddings "
    "cached once per run"
)
INDEX_PROTOCOL = (
    "VectorIndex.build(vectors, kind) time, FAISS payload and peak RSS of a fresh subprocess, and "
    f"p50/p99 of {QUERIES} single top-10 queries, over 384-d L2-normalised vectors sampled around "
    "real item embeddings"
)


def fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        v = f"{v:.3g}" if v < 100 else f"{v:,.0f}"
    return f"{v}{unit}"


def registry_order(name: str) -> int:
    from inhouse.recommend.registry import SYSTEMS

    return list(SYSTEMS).index(name) if name in SYSTEMS else len(SYSTEMS)


def short(status: str) -> str:
    """A status fit for one table cell: one line, a failure cut to its first words."""
    one = " ".join(status.split())
    return one if len(one) <= 90 else one[:87] + "..."


def markdown(rows: list[dict]) -> str:
    exps = {(e["curve"], e["system"], e["quantity"]): e for e in exponents(rows)}
    ev = [r for r in rows if r["curve"] == "events"]
    sizes = sorted({r["size"] for r in ev})
    lines = []
    if ev:
        lines += [
            "Fit time (s) and peak RSS (GiB) per fit as events grow (Online Retail's "
            "distribution, catalog of 3,947 items; `benchmarks/scaling.py`). b = fitted exponent, "
            "time ∝ events^b (log-log least squares over the measured sizes). Cells: wall "
            "seconds (CPU seconds of the fit, all threads), peak RSS of the fit's process.",
            "",
            "| system | "
            + " | ".join(f"{label(s)} events" for s in sizes)
            + " | b time | b cpu | b memory |",
            "|---|" + "---|" * len(sizes) + "---|---|---|",
        ]
        for system in sorted(dict.fromkeys(r["system"] for r in ev), key=registry_order):
            cells = []
            for s in sizes:
                r = next((r for r in ev if r["system"] == system and r["size"] == s), None)
                if r is None:
                    cells.append("")
                elif r.get("measured"):
                    cells.append(
                        f"{fmt(r['fit_s'])} s ({fmt(r.get('fit_cpu_s'))} cpu-s), "
                        f"{fmt(r['peak_rss_gib'])} GiB"
                    )
                else:
                    est = r.get("fit_s_extrapolated")
                    cells.append(
                        short(r["status"]) + (f" (~{fmt(est)} s, extrapolated)" if est else "")
                    )
            b = [
                exps.get(("events", system, q), {}).get("exponent")
                for q in ("fit_s", "fit_cpu_s", "peak_rss_gib")
            ]
            lines.append(f"| {system} | " + " | ".join(cells + [fmt(x) for x in b]) + " |")
    ix = [r for r in rows if r["curve"] == "index"]
    if ix:
        isizes = sorted({r["size"] for r in ix})
        lines += [
            "",
            "Index build wall s (CPU s), FAISS payload (GiB) and single-query top-10 latency "
            "as items grow (384-d vectors around real item embeddings): wall p50 / p99 ms, and "
            "the p99 of each query's CPU time on its thread (steadier under load). b = fitted "
            "exponents of build CPU time, wall p99 and CPU p99.",
            "",
            "| index | "
            + " | ".join(f"{label(s)} items" for s in isizes)
            + " | b build cpu | b p99 | b cpu p99 |",
            "|---|" + "---|" * len(isizes) + "---|---|---|",
        ]
        for kind in dict.fromkeys(r["system"] for r in ix):
            cells = []
            for s in isizes:
                r = next((r for r in ix if r["system"] == kind and r["size"] == s), None)
                if r is None:
                    cells.append("")
                elif r.get("measured"):
                    cells.append(
                        f"{fmt(r['build_s'])} s ({fmt(r.get('build_cpu_s'))} cpu-s), "
                        f"{fmt(r['index_gib'])} GiB, "
                        f"p50 {fmt(r['p50_ms'])} / p99 {fmt(r['p99_ms'])} ms "
                        f"(CPU p99 {fmt(r.get('cpu_p99_ms'))} ms)"
                    )
                else:
                    cells.append(short(r["status"]))
            b = [
                exps.get(("index", kind, q), {}).get("exponent")
                for q in ("build_cpu_s", "p99_ms", "cpu_p99_ms")
            ]
            lines.append(f"| {kind} | " + " | ".join(cells + [fmt(x) for x in b]) + " |")
    return "\n".join(lines + notes(rows)) + "\n"


def notes(rows: list[dict]) -> list[str]:
    """The why of the cells that are not measurements, the load, and EASE's arithmetic."""
    from inhouse.recommend.ease import MAX_ITEMS

    out = ["", "Notes:"]
    loads = [r[k] for r in rows for k in ("load_1min_before", "load_1min_after") if r.get(k)]
    if loads:
        out.append(
            f"- Measured on a shared 2-core box while other jobs ran: 1-minute load average "
            f"{min(loads):.1f} to {max(loads):.1f} over the fits (per row in scaling.json), so "
            "wall times are inflated by contention; CPU seconds are steadier."
        )
    ev = [r for r in rows if r["curve"] == "events"]
    if ev:
        items = next((r["items_catalog"] for r in ev if r.get("items_catalog")), 3947)
        gib = 2 * 4 * items**2 / 2**30
        limit = int((24 * 2**30 / 8) ** 0.5)
        out.append(
            f"- EASE's cost barely depends on events: it holds a dense items x items float32 Gram "
            f"matrix and its inverse, 2 x 4n^2 bytes = {gib:.2f} GiB at this catalog's {items:,} "
            f"items. Growing the catalog is what stops it: the code refuses above {MAX_ITEMS:,} "
            f"items ({2 * 4 * MAX_ITEMS**2 / 2**30:.1f} GiB), and from about {limit:,} items "
            "those two matrices alone exceed 24 GiB."
        )
        for r in sorted(ev, key=lambda r: (registry_order(r["system"]), r["size"])):
            if r.get("measured"):
                continue
            line = f"- {r['system']} at {label(r['size'])} events: {short(r['status'])}"
            if r.get("fit_s_extrapolated"):
                line += (
                    f"; full fit ~{fmt(r['fit_s_extrapolated'])} s is an extrapolation "
                    f"({r.get('extrapolation', '')})"
                )
            if r.get("epoch_s_mean"):
                line += (
                    f"; {r.get('epochs_measured')} epochs measured before the stop, "
                    f"{fmt(r['epoch_s_mean'])} s each"
                )
            out.append(line + ".")
    return out


def plot(rows: list[dict], path: Path) -> None:
    """Log-log panels, one line per system (dotted: extrapolations, not measurements)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(18, 10))
    panels = [
        ("events", "fit_s", "fit wall time (s)"),
        ("events", "fit_cpu_s", "fit CPU time (s, all threads)"),
        ("events", "peak_rss_gib", "fit process peak RSS (GiB)"),
        ("index", "build_s", "index build wall time (s)"),
        ("index", "index_gib", "index payload (GiB)"),
        ("index", "p99_ms", "single-query top-10 p99 (ms, wall)"),
    ]
    for ax, (curve, key, title) in zip(axes.flat, panels, strict=True):
        mine = [r for r in rows if r["curve"] == curve]
        for system in sorted(dict.fromkeys(r["system"] for r in mine), key=registry_order):
            of = sorted((r for r in mine if r["system"] == system), key=lambda r: r["size"])
            pts = [(r["size"], r[key]) for r in of if r.get("measured") and r.get(key)]
            est = [
                (r["size"], r[f"{key}_extrapolated"])
                for r in of
                if not r.get("measured") and r.get(f"{key}_extrapolated")
            ]
            if not pts and not est:
                continue
            if pts:
                line = ax.plot(*zip(*pts, strict=True), marker="o", label=system)[0]
            else:
                line = ax.plot([], [], marker="o", label=system)[0]
            if est:
                xs, ys = zip(*(pts[-1:] + est), strict=True)
                ax.plot(xs, ys, ls=":", marker="x", color=line.get_color())
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("events" if curve == "events" else "items")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.suptitle(
        "benchmarks/scaling.py: cost curves on a shared 2-core box (dotted x: extrapolated)"
    )
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, path)


def read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    payload = json.loads(path.read_text())
    return [
        {k: v for k, v in s.items() if k not in ROW_FIELDS}
        for result in (payload if isinstance(payload, list) else [payload])
        for s in result["systems"]
    ]


META: dict[str, Any] = {}


def write_all(args: argparse.Namespace, rows: list[dict], final: bool = False) -> None:
    """Write the JSON and markdown now (after every row, so a cut run keeps what it measured)."""
    from inhouse.eval.results import write_results
    from inhouse.files import atomic_write_text

    meta = META | {
        "load_1min_end": load_avg(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds") if final else None,
    }
    write_results(to_results(args, rows, meta), args.out)
    atomic_write_text(args.out.with_suffix(".md"), markdown(rows))
    if final:
        plot(rows, args.out.with_suffix(".png"))
    if final and args.readme:
        write_readme(args.readme, markdown(rows), args.out.with_suffix(".png"))


README_START = "<!-- benchmarks/scaling.py --readme writes from here -->"
README_END = "<!-- to here -->"


def write_readme(readme: Path, table: str, png: Path) -> None:
    """Put the table and a link to the plot between the README's markers (atomically)."""
    from inhouse.files import atomic_write_text

    text = readme.read_text()
    if README_START not in text or README_END not in text:
        sys.exit(f"{readme}: no '{README_START}' ... '{README_END}' block to write the table into")
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    link = png.resolve().relative_to(readme.resolve().parent)
    block = f"\n\n{table}\n![cost curves]({link})\n\n"
    atomic_write_text(readme, head + README_START + block + README_END + tail)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        child = argparse.ArgumentParser()
        child.add_argument("mode")
        for flag in ("--system", "--events", "--catalog", "--progress", "--result", "--kind"):
            child.add_argument(flag)
        child.add_argument("--items", type=int)
        child.add_argument("--seed", type=int, default=0)
        a = child.parse_args()
        if a.mode == "_fit":
            child_fit(a)
        elif a.mode == "_index":
            child_index(a)
        else:
            from inhouse.recommend.text import TextRecommender

            TextRecommender().embed_items(pl.read_parquet(a.catalog))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M,10M", help="event counts; '' for none")
    parser.add_argument("--items", default="10k,100k,1M", help="index sizes; '' for none")
    parser.add_argument("--systems", default="", help="comma list (default: every registered)")
    parser.add_argument("--kinds", default="hnsw,flat", help="index kinds")
    parser.add_argument("--time-limit", type=float, default=1800.0, help="wall s per fit")
    parser.add_argument(
        "--cpu-limit", type=float, default=1200.0, help="CPU s per fit (10 min on 2 cores)"
    )
    parser.add_argument("--memory-limit-gib", type=float, default=20.0, help="RSS guard per fit")
    parser.add_argument("--stop-at", default="", help="HH:MM UTC: start nothing after this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fresh", action="store_true", help="ignore rows already in --out")
    parser.add_argument("--merge", type=Path, nargs="*", default=[], help="add rows from these")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "scaling.json")
    parser.add_argument(
        "--readme",
        type=Path,
        nargs="?",
        const=HERE.parent / "README.md",
        default=None,
        help="also write the table and plot link into this README's marked block",
    )
    args = parser.parse_args()
    rows = [] if args.fresh else read_rows(args.out)
    for other in args.merge:
        payload = json.loads(other.read_text())
        for result in payload if isinstance(payload, list) else [payload]:
            META.setdefault("runs", []).append(
                {k: v for k, v in result.items() if k in RUN_KEYS} | {"file": other.name}
            )
    for other in args.merge:  # rows of another run (a part run apart), where not here already
        have = {(r["curve"], r["system"], r["size"]) for r in rows}
        rows += [r for r in read_rows(other) if (r["curve"], r["system"], r["size"]) not in have]
    work = Path(tempfile.mkdtemp(prefix="scaling-"))
    env = os.environ | {
        "INHOUSE_CACHE_DIR": str(CACHE),
        "INHOUSE_REGISTRY": str(work / "models.json"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
    }
    os.environ.update(env)
    META.update(
        {
            "load_1min_start": load_avg(),
            "cores": os.cpu_count(),
            "time_limit_s": args.time_limit,
            "cpu_limit_s": args.cpu_limit,
            "memory_limit_gib": args.memory_limit_gib,
            "seed": args.seed,
            "argv": sys.argv[1:],
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    if args.sizes:
        run_events(args, work, env, rows)
    if args.items:
        run_index(args, work, env, rows)
    write_all(args, rows, final=True)
    print(markdown(rows))


if __name__ == "__main__":
    main()
