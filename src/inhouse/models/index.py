"""A FAISS inner-product index over item vectors: exact (`flat`), HNSW, or IVF-PQ with an exact
re-rank, behind one small class that builds, searches, saves and loads.

    index = VectorIndex.build(vectors, kind="hnsw", M=32, efSearch=128)
    scores, ids = index.search(queries, 10)   # ids are row positions in `vectors`; -1 = none
    index.save(folder); VectorIndex.load(folder)

Vectors are float32 and, unless `normalised=False`, L2-normalised, so inner product is cosine.
Raw vectors may hold all-zero rows (ALS factors of items nobody bought): an approximate index
leaves them out, since they score 0 for every query and hundreds of thousands of identical
points wreck an HNSW graph (1M ALS factors, 71 % of them zero: recall@10 0.54 with them in).
`len(index)` counts the rows indexed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from inhouse.errors import InhouseError
from inhouse.files import atomic_write_text, remove_orphans, temporary_prefix

KINDS = ("flat", "hnsw", "ivfpq")
# Defaults per kind; `build(..., **params)` overrides them. `nlist=None`: about 4 sqrt(n).
DEFAULTS: dict[str, dict[str, Any]] = {
    "flat": {},
    "hnsw": {"M": 32, "efConstruction": 80, "efSearch": 64},
    "ivfpq": {"nlist": None, "m": 48, "nbits": 8, "nprobe": 32, "k_factor": 8, "train_size": None},
}
SEARCH_PARAMS = {"hnsw": ("efSearch",), "ivfpq": ("nprobe", "k_factor")}  # settable after build
MANIFEST = "index.json"
NORM_TOLERANCE = 1e-3  # |norm - 1| allowed for "L2-normalised"
ONE_THREAD_MAX = 16  # searches of at most this many queries run on one thread
TRAIN_PER_LIST = 64  # IVF training points per list, when `train_size` is not given


class VectorIndexError(InhouseError):
    """Vectors or an index folder that cannot be used."""


@contextmanager
def one_thread(n_queries: int) -> Iterator[None]:
    """Run FAISS on one OpenMP thread for small searches: start-up costs more than it saves."""
    if n_queries > ONE_THREAD_MAX:
        yield
        return
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


def check_vectors(
    vectors: np.ndarray, dim: int | None = None, normalised: bool = True, what: str = "vectors"
) -> np.ndarray:
    """`vectors` as a C-contiguous float32 (n, dim) array, or an `InhouseError` saying why not."""
    arr = np.asarray(vectors)
    if arr.ndim != 2:
        raise VectorIndexError(
            f"{what}: expected a 2-d array (rows, dim), got shape {arr.shape}; "
            "stack the vectors into one matrix"
        )
    if dim is not None and arr.shape[1] != dim:
        raise VectorIndexError(
            f"{what}: dimension {arr.shape[1]} does not match the index's {dim}; "
            "embed with the same model the index was built from"
        )
    if arr.shape[1] == 0:
        raise VectorIndexError(f"{what}: dimension 0; vectors need at least one column")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr).all(1))[0])
        raise VectorIndexError(f"{what}: row {row} holds NaN or infinity; fix or drop that vector")
    if normalised and len(arr):
        norms = np.linalg.norm(arr, axis=1)
        bad = np.flatnonzero(np.abs(norms - 1) > NORM_TOLERANCE)
        if len(bad):
            raise VectorIndexError(
                f"{what}: row {int(bad[0])} has L2 norm {norms[bad[0]]:.4f}, not 1 "
                f"({len(bad)} rows are not normalised); divide each row by its norm, "
                "or build with normalised=False for raw inner products"
            )
    return arr


def sha256_of(vectors: np.ndarray) -> str:
    """sha256 of the float32 C-order bytes of `vectors` (and their shape)."""
    h = hashlib.sha256(f"{vectors.shape[0]}x{vectors.shape[1]}:float32:".encode())
    h.update(np.ascontiguousarray(vectors, dtype=np.float32).data)  # no copy
    return h.hexdigest()


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            h.update(chunk)
    return h.hexdigest()


def _params(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    if kind not in KINDS:
        raise VectorIndexError(f"unknown index kind {kind!r}; choose one of {', '.join(KINDS)}")
    unknown = sorted(set(given) - set(DEFAULTS[kind]))
    if unknown:
        known = ", ".join(DEFAULTS[kind]) or "none"
        raise VectorIndexError(
            f"index kind {kind!r} has no parameter {', '.join(unknown)}; its parameters: {known}"
        )
    return DEFAULTS[kind] | given


def _build_faiss(vectors: np.ndarray, kind: str, p: dict[str, Any], seed: int) -> faiss.Index:
    everything = vectors
    keep = np.flatnonzero(vectors.any(axis=1)) if kind != "flat" else np.arange(len(vectors))
    if 0 < len(keep) < len(vectors):  # zero rows left out (module docstring)
        vectors = np.ascontiguousarray(vectors[keep])
    n, dim = vectors.shape
    index: Any  # the FAISS stubs know only the base class's attributes
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, int(p["M"]), faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = int(p["efConstruction"])
    else:
        nlist, m, nbits = int(p["nlist"]), int(p["m"]), int(p["nbits"])
        if dim % m:
            raise VectorIndexError(
                f"ivfpq: m={m} sub-quantisers must divide the dimension {dim}; "
                f"pick m among {[d for d in range(1, min(dim, 96) + 1) if dim % d == 0]}"
            )
        train_size = min(n, int(p["train_size"] or TRAIN_PER_LIST * max(nlist, 2**nbits)))
        if train_size < max(nlist, 2**nbits):
            raise VectorIndexError(
                f"ivfpq: {n} vectors are too few to train nlist={nlist} lists and "
                f"2^{nbits} PQ centroids; use kind='flat' or 'hnsw', or a smaller nlist/nbits"
            )
        quantizer = faiss.IndexFlatIP(dim)
        ivf = faiss.IndexIVFPQ(quantizer, dim, nlist, m, nbits, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.seed = ivf.pq.cp.seed = seed
        # `train_size` was checked above; FAISS's own "too few points" notes would repeat it
        ivf.cp.min_points_per_centroid = ivf.pq.cp.min_points_per_centroid = 1
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(n, train_size, replace=False)) if train_size < n else None
        ivf.train(vectors if pick is None else vectors[pick])
        index = faiss.IndexRefineFlat(ivf)  # keeps a Python reference to `ivf`
    if len(vectors) < len(everything):  # ids stay row positions of `everything`
        mapped = faiss.IndexIDMap(index)  # faiss's wrapper keeps a reference to `index`
        mapped.add_with_ids(vectors, keep.astype(np.int64))
        return mapped
    index.add(vectors)
    return index


def _inner(index: Any) -> Any:
    """The index under an id map (zero rows left out), or the index itself."""
    index = faiss.downcast_index(index)
    return faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else index


@dataclass
class VectorIndex:
    """Top-k inner-product search over float32 vectors (row positions are the ids)."""

    index: faiss.Index
    kind: str
    params: dict[str, Any]
    dim: int
    vectors_sha256: str
    normalised: bool = True
    build_s: float = field(default=0.0, compare=False)  # seconds FAISS took to build (0: loaded)
    _rows: np.ndarray | None = field(default=None, repr=False, compare=False)  # id map, cached

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        kind: str = "flat",
        *,
        normalised: bool = True,
        seed: int = 0,
        **params: Any,
    ) -> VectorIndex:
        """An index of `kind` over `vectors` (n, dim).

        `normalised=True` checks that rows are L2-normalised (inner product = cosine); pass
        False for raw inner-product vectors such as ALS factors (only `flat` is exact then).
        Parameters: hnsw `M`, `efConstruction`, `efSearch`; ivfpq `nlist` (default about
        4 sqrt(n)), `m` sub-quantisers, `nbits`, `nprobe`, `k_factor` (candidates re-scored
        exactly per result), `train_size`.
        """
        import time

        p = _params(kind, params)
        arr = check_vectors(vectors, normalised=normalised)
        if kind == "ivfpq" and p["nlist"] is None:
            p["nlist"] = max(1, min(65536, int(4 * np.sqrt(max(len(arr), 1)))))
        start = time.perf_counter()
        index = _build_faiss(arr, kind, p, seed)
        build_s = time.perf_counter() - start
        built = cls(index, kind, p, arr.shape[1], sha256_of(arr), normalised, build_s)
        built.set_search_params()
        return built

    def set_search_params(self, **params: Any) -> None:
        """Change search-time parameters (hnsw `efSearch`; ivfpq `nprobe`, `k_factor`)."""
        allowed = SEARCH_PARAMS.get(self.kind, ())
        wrong = sorted(set(params) - set(allowed))
        if wrong:
            raise VectorIndexError(
                f"{', '.join(wrong)}: not a search parameter of a {self.kind!r} index; "
                f"those are: {', '.join(allowed) or 'none'}"
            )
        self.params |= params
        index: Any = _inner(self.index)
        if self.kind == "hnsw":
            index.hnsw.efSearch = int(self.params["efSearch"])
        elif self.kind == "ivfpq":
            index.k_factor = float(self.params["k_factor"])
            ivf: Any = faiss.downcast_index(index.base_index)
            ivf.nprobe = int(self.params["nprobe"])

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(
        self, queries: np.ndarray, k: int, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (len(queries), k), best first; ids are row positions, -1 where
        fewer than k were found. Up to `ONE_THREAD_MAX` queries run on one thread.

        `exclude`: row positions no query may return (a user's seen items). FAISS skips them
        during the search (an `IDSelector`), so k need not grow with their number."""
        q = check_vectors(queries, self.dim, normalised=False, what="queries")
        if k < 1:
            raise VectorIndexError(f"k={k}: ask for at least one result")
        with one_thread(len(q)):
            if exclude is None or not len(exclude):
                scores, ids = self.index.search(q, int(k))
            else:
                scores, ids = self._search_excluding(q, int(k), np.asarray(exclude, np.int64))
        return scores, ids

    def _search_excluding(
        self, q: np.ndarray, k: int, exclude: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """`search` with `exclude` left out. The selector goes to the index under the id map
        (FAISS's `IndexIDMap` does not pass a selector on through `IndexRefineFlat`), in that
        index's own positions; its answers are mapped back to row positions."""
        index: Any = faiss.downcast_index(self.index)
        rows: np.ndarray | None = None
        if isinstance(index, faiss.IndexIDMap):  # zero rows left out: positions -> row ids
            rows = self._cache_rows(index)
            at = np.searchsorted(rows, exclude).clip(max=len(rows) - 1)
            exclude = at[rows[at] == exclude]
            index = faiss.downcast_index(index.index)
        fx: Any = faiss  # the FAISS stubs lack the search-parameter classes' keywords
        chosen = fx.IDSelectorBatch(exclude)
        skip = fx.IDSelectorNot(chosen)
        if self.kind == "hnsw":
            params = fx.SearchParametersHNSW(efSearch=int(self.params["efSearch"]), sel=skip)
        elif self.kind == "ivfpq":
            params = fx.IndexRefineSearchParameters(k_factor=float(self.params["k_factor"]))
            base = fx.SearchParametersIVF(nprobe=int(self.params["nprobe"]), sel=skip)
            params.base_index_params = base
        else:
            params = fx.SearchParameters(sel=skip)
        scores, ids = index.search(q, k, params=params)
        del chosen, skip  # the selectors must outlive the search: FAISS holds raw pointers
        if rows is not None:
            ids = np.where(ids >= 0, rows[ids.clip(min=0)], -1)
        return scores, ids

    def _cache_rows(self, index: Any) -> np.ndarray:
        """The row position of each vector in an id-mapped index, read from FAISS once."""
        if self._rows is None:
            self._rows = faiss.vector_to_array(index.id_map).astype(np.int64)
        return self._rows

    def memory_bytes(self) -> int:
        """Bytes of the index's data (vectors, graph, codes, lists), counted as FAISS serialises
        it: its in-memory payload, without allocator slack or Python overhead."""
        total = 0

        def count(chunk: bytes) -> int:
            nonlocal total
            total += len(chunk)
            return len(chunk)

        writer: Any = getattr(faiss, "PyCallbackIOWriter")(count)  # noqa: B009 (not in stubs)
        faiss.write_index(self.index, writer)
        return total

    def manifest(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "params": self.params,
            "dim": self.dim,
            "count": len(self),
            "normalised": self.normalised,
            "vectors_sha256": self.vectors_sha256,
            "faiss": faiss.__version__,
        }

    def save(self, folder: Path) -> Path:
        """Write `index-SHA.faiss` and `index.json` into `folder` (other files are left alone).

        The index file is written under a temporary name and renamed; the manifest, which names
        it and holds its sha256, is replaced last. A crash leaves the previous pair intact.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        remove_orphans(folder, "index.faiss")
        fd, tmp = tempfile.mkstemp(
            dir=folder, prefix=temporary_prefix("index.faiss"), suffix=".tmp"
        )
        os.close(fd)
        try:
            faiss.write_index(self.index, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            digest = _file_sha256(Path(tmp))
            name = f"index-{digest[:16]}.faiss"
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        manifest = self.manifest() | {"file": name, "file_sha256": digest}
        atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
        for old in folder.glob("index-*.faiss"):
            if old.name != name:
                old.unlink(missing_ok=True)
        return folder / name

    @classmethod
    def load(cls, folder: Path, verify: bool = True) -> VectorIndex:
        """The index saved in `folder`; `verify` checks the file's sha256 against the manifest."""
        folder = Path(folder)
        path = folder / MANIFEST
        if not path.is_file():
            raise VectorIndexError(f"{path}: no index manifest here; build and save an index first")
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
            kind, params, dim, name = m["kind"], m["params"], int(m["dim"]), m["file"]
        except (ValueError, KeyError, TypeError) as exc:
            raise VectorIndexError(
                f"{path}: not a valid index manifest ({exc}); rebuild and save the index"
            ) from None
        if kind not in KINDS:
            raise VectorIndexError(f"{path}: unknown index kind {kind!r}; rebuild the index")
        file = folder / name
        if not file.is_file():
            raise VectorIndexError(f"{file}: the index file the manifest names is missing; rebuild")
        if verify and _file_sha256(file) != m.get("file_sha256"):
            raise VectorIndexError(
                f"{file}: sha256 does not match {path}; the file is damaged, rebuild"
            )
        index = faiss.read_index(str(file))
        if index.d != dim or index.ntotal != int(m.get("count", index.ntotal)):
            raise VectorIndexError(f"{file}: holds {index.ntotal}x{index.d}, not what {path} says")
        loaded = cls(index, kind, dict(params), dim, m["vectors_sha256"], bool(m["normalised"]))
        loaded.set_search_params()
        return loaded
