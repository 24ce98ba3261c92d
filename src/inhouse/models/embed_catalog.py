"""Embed a catalog's item texts into Parquet shards and build a vector index from them, in this
process or on Ray Data (`pip install 'inhouse[ray]'`), on a local Ray or a cluster.

>>> summary = embed_catalog(ids, texts, Path("out"), engine="ray")   # doctest: +SKIP
>>> item_ids, index = load_catalog_index(Path("out"))                # doctest: +SKIP

The folder it writes:
    out/shards/part-00000.parquet ...  item_id (string), vector (fixed_size_list<float32>[dim])
    out/index/                         `VectorIndex.save`, plus item_ids.parquet (row -> item id)
    out/embed.json                     embedder fingerprint, engine, counts, timings
"""

from __future__ import annotations

import io
import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from inhouse.errors import ConfigError, InhouseError, ModelError
from inhouse.files import atomic_dir, atomic_write_bytes, atomic_write_text
from inhouse.models.embedder import DEFAULT_EMBEDDER, Fingerprint, fingerprint
from inhouse.models.index import DEFAULTS, KINDS, VectorIndex
from inhouse.models.load import load_named_embedder

ENGINES = ("local", "ray")
SHARD_ROWS = 8192  # rows per Parquet shard, at most
CHUNK = 512  # texts per embed call on the local path (the progress bar advances per chunk)
BATCH_SIZE = 64
BLOCKS_PER_WORKER = 4  # Ray Data input blocks per actor, so actors stay busy to the end
MANIFEST = "embed.json"
IDS_FILE = "item_ids.parquet"
RAY_HINT = "pip install 'inhouse[ray]'"


@dataclass
class EmbedSummary:
    """What `embed_catalog` wrote, and how long each step took."""

    folder: str
    engine: str
    embedder: str
    items: int
    dim: int
    shards: int
    workers: int
    embed_seconds: float
    index_kind: str
    index_seconds: float


def registered_sha256(name: str) -> str:
    """The weights sha256 the registry holds for embedder `name` (checked, not loaded)."""
    from inhouse.models.registry import ensure_verified

    return ensure_verified(name).weights_sha256()


def vector_column(vectors: np.ndarray) -> pa.FixedSizeListArray:
    """(n, dim) float32 as an Arrow fixed-size list column, without copying."""
    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1), pa.float32())
    return pa.FixedSizeListArray.from_arrays(flat, int(vectors.shape[1]))


def shard_table(item_ids: Sequence[str], vectors: np.ndarray) -> pa.Table:
    return pa.table(
        {"item_id": pa.array(list(item_ids), pa.string()), "vector": vector_column(vectors)}
    )


class EmbedBatches:
    """Ray Data's callable class: each actor loads the embedder once, then embeds its batches
    (Arrow tables of item_id, text) into shard rows (item_id, vector)."""

    def __init__(self, name: str, sha256: str, batch_size: int = BATCH_SIZE) -> None:
        self.embedder = load_named_embedder(name)
        got = fingerprint(self.embedder).sha256
        if got != sha256:
            raise ModelError(
                f"embedder {name} on this Ray worker has weights sha256 {got[:12]}, the driver's "
                f"registry says {sha256[:12]}; install the same weights on every node"
            )
        self.batch_size = batch_size

    def __call__(self, batch: pa.Table) -> pa.Table:
        vectors = self.embedder.embed(batch["text"].to_pylist(), self.batch_size)
        return pa.table({"item_id": batch["item_id"], "vector": vector_column(vectors)})


def embed_catalog(
    item_ids: Sequence[str],
    texts: Sequence[str],
    out: Path,
    *,
    embedder: str | None = None,
    engine: str = "local",
    index_kind: str = "flat",
    index_params: dict[str, Any] | None = None,
    batch_size: int = BATCH_SIZE,
    shard_rows: int = SHARD_ROWS,
    num_cpus: int | None = None,
    concurrency: int | None = None,
) -> EmbedSummary:
    """Embed `texts` (one per item id) with `embedder` (the embedded default when None) into
    `out/shards/`, then build a `VectorIndex` of `index_kind` from the shards into `out/index/`.

    `engine="ray"` runs the embedding as Ray Data `map_batches` over `concurrency` actors (one
    model each; default: one per CPU of the Ray cluster). It joins a running Ray, else the
    cluster RAY_ADDRESS names, else starts a local one with `num_cpus` CPUs (all by default).
    The shards folder is replaced atomically; the index rows are in the order of `item_ids`.
    """
    if engine not in ENGINES:
        raise ConfigError(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}")
    ids, texts = [str(i) for i in item_ids], list(texts)
    assert len(ids) == len(texts), f"{len(ids)} item ids but {len(texts)} texts"
    if not ids:
        raise InhouseError("the catalog has no items; give a catalog with at least one row")
    assert len(set(ids)) == len(ids), "item ids must be unique (the catalog reader checks it)"
    if shard_rows < 1 or batch_size < 1:
        raise ConfigError("--batch-size and shard rows must be at least 1")
    check_index_kind(index_kind, index_params or {})
    if engine == "ray":
        import_ray()
        check_num_cpus(num_cpus)
    name = embedder or DEFAULT_EMBEDDER
    sha256 = registered_sha256(name)
    out = Path(out)
    start = time.perf_counter()
    with atomic_dir(out / "shards") as tmp:
        if engine == "local":
            workers = _embed_local(ids, texts, tmp, name, sha256, batch_size, shard_rows)
        else:
            workers = _embed_ray(
                ids, texts, tmp, name, sha256, batch_size, shard_rows, num_cpus, concurrency
            )
        shards = _name_shards(tmp)
    embed_seconds = time.perf_counter() - start
    shard_ids, vectors = read_shards(out / "shards")
    vectors = _in_order(ids, shard_ids, vectors, out / "shards")
    index = VectorIndex.build(vectors, kind=index_kind, **(index_params or {}))
    _save_index(index, ids, out / "index")
    summary = EmbedSummary(
        folder=str(out),
        engine=engine,
        embedder=name,
        items=len(ids),
        dim=int(vectors.shape[1]),
        shards=len(shards),
        workers=workers,
        embed_seconds=round(embed_seconds, 3),
        index_kind=index_kind,
        index_seconds=round(index.build_s, 3),
    )
    record = Fingerprint(name=name, sha256=sha256, dim=summary.dim)
    manifest = asdict(summary) | {
        "embedder_fingerprint": record.model_dump(),
        "shard_files": shards,
    }
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return summary


def check_index_kind(kind: str, params: dict[str, Any]) -> None:
    """Refuse an unknown index kind or parameter before any embedding is done."""
    if kind not in KINDS:
        raise ConfigError(f"--index-kind {kind!r}: choose one of {', '.join(KINDS)}")
    unknown = sorted(set(params) - set(DEFAULTS[kind]))
    if unknown:
        raise ConfigError(
            f"--index-param {', '.join(unknown)}: not a parameter of a {kind!r} index; "
            f"its parameters: {', '.join(DEFAULTS[kind]) or 'none'}"
        )


def _embed_local(
    ids: list[str],
    texts: list[str],
    folder: Path,
    name: str,
    sha256: str,
    batch_size: int,
    shard_rows: int,
) -> int:
    from inhouse.progress import progress

    embedder = EmbedBatches(name, sha256, batch_size).embedder
    with progress() as bar:
        task = bar.add_task(f"embedding {len(ids):,} items with {name}", total=len(ids))
        for shard, begin in enumerate(range(0, len(ids), shard_rows)):
            end = min(begin + shard_rows, len(ids))
            parts = []
            for lo in range(begin, end, CHUNK):
                chunk = texts[lo : min(lo + CHUNK, end)]
                parts.append(embedder.embed(chunk, batch_size))
                bar.advance(task, len(chunk))
            table = shard_table(ids[begin:end], np.concatenate(parts))
            pq.write_table(table, folder / f"part-{shard:05d}.parquet")
    return 1


def import_ray() -> Any:
    """The `ray` module, or a ConfigError saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise ConfigError(
            f"--engine ray needs Ray, which is not installed: {RAY_HINT} "
            "(or leave out --engine ray to embed in this process)"
        ) from None
    return ray


def check_num_cpus(num_cpus: int | None) -> None:
    """`num_cpus` sizes a local Ray only: refuse it when RAY_ADDRESS names a cluster."""
    address = os.environ.get("RAY_ADDRESS")
    if address and num_cpus is not None:
        raise ConfigError(
            f"--num-cpus applies to a local Ray only, but RAY_ADDRESS={address} names a "
            "cluster; drop --num-cpus (the cluster's CPUs are used) or unset RAY_ADDRESS"
        )


@contextmanager
def ray_session(num_cpus: int | None = None) -> Iterator[Any]:
    """`ray`, initialised: the running instance if there is one, else the cluster RAY_ADDRESS
    names, else a local instance of `num_cpus` CPUs; one started here is shut down after."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    check_num_cpus(num_cpus)
    address = os.environ.get("RAY_ADDRESS")
    if address:
        forward = {k: v for k, v in os.environ.items() if k.startswith("INHOUSE_")}
        ray.init(address=address, runtime_env={"env_vars": forward})
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def _embed_ray(
    ids: list[str],
    texts: list[str],
    folder: Path,
    name: str,
    sha256: str,
    batch_size: int,
    shard_rows: int,
    num_cpus: int | None,
    concurrency: int | None,
) -> int:
    with ray_session(num_cpus) as ray:
        workers = concurrency or max(1, int(ray.cluster_resources().get("CPU", 1)))
        block = max(1, min(shard_rows, math.ceil(len(ids) / (workers * BLOCKS_PER_WORKER))))
        table = pa.table({"item_id": pa.array(ids, pa.string()), "text": pa.array(texts)})
        blocks = [table.slice(lo, block) for lo in range(0, len(ids), block)]
        ds = ray.data.from_arrow(blocks).map_batches(
            EmbedBatches,
            fn_constructor_kwargs={"name": name, "sha256": sha256, "batch_size": batch_size},
            batch_size=min(block, batch_size * 4),
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
        )
        try:
            ds.write_parquet(
                str(folder),
                min_rows_per_file=min(shard_rows, len(ids)),
                max_rows_per_file=shard_rows,
                ray_remote_args={"num_cpus": 0},  # writes wait on no CPU the actors hold
            )
        except Exception as e:  # a user error on a worker (wrong weights) comes back wrapped
            cause = _user_error(e)
            if cause is None:
                raise
            raise cause from None
    return workers


def _user_error(error: BaseException | None) -> InhouseError | None:
    """The `InhouseError` inside a Ray error (its `cause` or `__cause__` chain), if any."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, InhouseError):
            return error
        error = getattr(error, "cause", None) or error.__cause__
        seen += 1
    return None


def _name_shards(folder: Path) -> list[str]:
    """Rename what the engine wrote to part-00000.parquet, ... (sorted by the engine's names)."""
    written = sorted(p for p in folder.iterdir() if p.suffix == ".parquet")
    names = []
    for i, path in enumerate(written):
        names.append(f"part-{i:05d}.parquet")
        if path.name != names[-1]:
            path.rename(folder / names[-1])
    return names


def read_shards(folder: Path) -> tuple[list[str], np.ndarray]:
    """(item ids, (n, dim) float32 vectors) of every `part-*.parquet` in `folder`, in file order."""
    files = sorted(Path(folder).glob("part-*.parquet"))
    if not files:
        raise InhouseError(f"{folder}: no part-*.parquet shards; run `inhouse embed` first")
    tables = [pq.read_table(f, columns=["item_id", "vector"]) for f in files]
    table = pa.concat_tables(tables)
    column = table["vector"].combine_chunks()
    assert pa.types.is_fixed_size_list(column.type), f"{folder}: vector is {column.type}"
    dim = column.type.list_size
    vectors = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return table["item_id"].to_pylist(), vectors.reshape(-1, dim)


def _in_order(ids: list[str], shard_ids: list[str], vectors: np.ndarray, where: Path) -> np.ndarray:
    """`vectors` reordered to `ids` (Ray writes blocks in the order they finish)."""
    row = {item: i for i, item in enumerate(shard_ids)}
    if len(row) != len(shard_ids) or set(row) != set(ids):
        raise InhouseError(f"{where}: the shards do not hold each catalog item once; rerun embed")
    return vectors[np.fromiter((row[i] for i in ids), dtype=np.int64, count=len(ids))]


def _save_index(index: VectorIndex, ids: list[str], folder: Path) -> None:
    index.save(folder)
    buf = io.BytesIO()
    pq.write_table(pa.table({"item_id": pa.array(ids, pa.string())}), buf)
    atomic_write_bytes(folder / IDS_FILE, buf.getvalue())


def load_catalog_index(folder: Path) -> tuple[list[str], VectorIndex]:
    """(item id of each index row, the index) that `embed_catalog` saved under `folder`."""
    index = VectorIndex.load(Path(folder) / "index")
    ids = pq.read_table(Path(folder) / "index" / IDS_FILE)["item_id"].to_pylist()
    assert len(ids) == len(index), f"{folder}: {len(ids)} item ids for {len(index)} index rows"
    return ids, index
