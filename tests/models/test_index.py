"""VectorIndex: flat is exact, HNSW and IVF-PQ + refine recall what flat finds, a saved index
answers the same after loading, and bad vectors are refused with a message that says why."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np
import pytest

from inhouse.errors import InhouseError
from inhouse.models.index import VectorIndex, sha256_of

DIM = 32


def normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Builds on one thread: two OpenMP threads on a busy 2-core box run far slower."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(threads)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    """5k catalog vectors around 100 topics, and 200 queries near catalog items."""
    rng = np.random.default_rng(0)
    topics = normalise(rng.standard_normal((100, DIM)))
    items = normalise(
        topics[rng.integers(100, size=5000)] + 0.35 * rng.standard_normal((5000, DIM))
    )
    queries = normalise(items[rng.integers(5000, size=200)] + 0.2 * rng.standard_normal((200, DIM)))
    return items, queries


@pytest.fixture(scope="module")
def exact(data: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    items, queries = data
    return np.argsort(-(queries @ items.T), axis=1, kind="stable")[:, :10]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


def test_flat_is_exact(data: tuple[np.ndarray, np.ndarray], exact: np.ndarray) -> None:
    items, queries = data
    index = VectorIndex.build(items)
    scores, ids = index.search(queries, 10)
    assert (len(index), index.dim, index.kind) == (5000, DIM, "flat")
    assert recall(ids, exact) == 1.0
    expected = np.take_along_axis(queries @ items.T, exact, axis=1)
    assert np.allclose(scores, expected, atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("hnsw", {"M": 16, "efConstruction": 64, "efSearch": 64}),
        ("ivfpq", {"nlist": 64, "m": 8, "nbits": 8, "nprobe": 32, "k_factor": 16}),
    ],
)
def test_approximate_kinds_recall_what_flat_finds(
    data: tuple[np.ndarray, np.ndarray], exact: np.ndarray, kind: str, params: dict[str, int]
) -> None:
    items, queries = data
    index = VectorIndex.build(items, kind, **params)
    _, ids = index.search(queries, 10)
    assert recall(ids, exact) >= 0.95
    assert index.memory_bytes() > 0


def test_ivfpq_refine_scores_are_exact_inner_products(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    items, queries = data
    index = VectorIndex.build(items, "ivfpq", nlist=64, m=8, nprobe=16)
    scores, ids = index.search(queries[:20], 5)
    assert np.allclose(scores, np.einsum("qd,qkd->qk", queries[:20], items[ids]), atol=1e-5)


def test_search_params_change_after_build(data: tuple[np.ndarray, np.ndarray]) -> None:
    items, queries = data
    index = VectorIndex.build(items, "hnsw", M=8, efConstruction=16, efSearch=1)
    _, narrow = index.search(queries, 10)
    index.set_search_params(efSearch=128)
    _, wide = index.search(queries, 10)
    truth = VectorIndex.build(items).search(queries, 10)[1]
    assert recall(wide, truth) > recall(narrow, truth)
    with pytest.raises(InhouseError, match="not a search parameter"):
        index.set_search_params(nprobe=4)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_save_load_round_trip_answers_the_same(
    data: tuple[np.ndarray, np.ndarray], tmp_path: Path, kind: str
) -> None:
    items, queries = data
    params = {"ivfpq": {"nlist": 32, "m": 8, "nprobe": 8}, "hnsw": {"efSearch": 40}}.get(kind, {})
    index = VectorIndex.build(items, kind, **params)
    index.save(tmp_path / "ix")
    loaded = VectorIndex.load(tmp_path / "ix")
    assert (loaded.kind, loaded.params, loaded.dim, len(loaded)) == (
        kind,
        index.params,
        DIM,
        5000,
    )
    for got, want in zip(loaded.search(queries, 10), index.search(queries, 10), strict=True):
        assert np.array_equal(got, want)
    manifest = json.loads((tmp_path / "ix" / "index.json").read_text())
    assert manifest["vectors_sha256"] == sha256_of(items)
    assert manifest["count"] == 5000


def test_save_replaces_the_previous_index_and_leaves_other_files(
    data: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    items, queries = data
    (tmp_path / "model.json").write_text("{}")
    VectorIndex.build(items[:100]).save(tmp_path)
    VectorIndex.build(items).save(tmp_path)
    assert len(list(tmp_path.glob("index-*.faiss"))) == 1
    assert not list(tmp_path.glob(".*.tmp"))
    assert (tmp_path / "model.json").read_text() == "{}"
    assert len(VectorIndex.load(tmp_path)) == 5000


def test_a_damaged_index_file_is_refused(
    data: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    path = VectorIndex.build(data[0][:100]).save(tmp_path)
    with open(path, "r+b") as f:
        f.seek(200)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(InhouseError, match="sha256 does not match"):
        VectorIndex.load(tmp_path)
    with pytest.raises(InhouseError, match="no index manifest"):
        VectorIndex.load(tmp_path / "nowhere")


def test_bad_input_is_refused_with_the_fix(data: tuple[np.ndarray, np.ndarray]) -> None:
    items, _ = data
    with pytest.raises(InhouseError, match="unknown index kind 'annoy'.*flat, hnsw, ivfpq"):
        VectorIndex.build(items, "annoy")
    with pytest.raises(InhouseError, match="no parameter nprobe"):
        VectorIndex.build(items, "hnsw", nprobe=4)
    with pytest.raises(InhouseError, match="row 3 has L2 norm 2.0000.*normalised=False"):
        VectorIndex.build(np.vstack([items[:3], 2 * items[3:4]]))
    nan = items[:10].copy()
    nan[7, 1] = np.nan
    with pytest.raises(InhouseError, match="row 7 holds NaN"):
        VectorIndex.build(nan)
    with pytest.raises(InhouseError, match="2-d array"):
        VectorIndex.build(items[0])
    with pytest.raises(InhouseError, match="m=5 sub-quantisers must divide the dimension 32"):
        VectorIndex.build(items, "ivfpq", m=5)
    with pytest.raises(InhouseError, match="too few to train"):
        VectorIndex.build(items[:100], "ivfpq", nlist=8, m=8)
    index = VectorIndex.build(items[:100])
    with pytest.raises(InhouseError, match="dimension 16 does not match the index's 32"):
        index.search(items[:2, :16], 5)
    with pytest.raises(InhouseError, match="at least one result"):
        index.search(items[:2], 0)


def test_raw_inner_products_when_not_normalised() -> None:
    rng = np.random.default_rng(1)
    items = rng.standard_normal((300, 8)).astype(np.float32) * 3
    index = VectorIndex.build(items, normalised=False)
    q = rng.standard_normal((4, 8)).astype(np.float32)
    assert np.array_equal(index.search(q, 3)[1], np.argsort(-(q @ items.T), axis=1)[:, :3])


@pytest.mark.parametrize("kind", ["hnsw", "ivfpq"])
def test_zero_rows_are_left_out_of_an_approximate_index(kind: str, tmp_path: Path) -> None:
    """Raw vectors where most rows are zero (ALS factors of items without events): the graph
    holds only the others, ids are still row positions, and it finds the exact top-10."""
    rng = np.random.default_rng(3)
    items = np.zeros((12000, DIM), np.float32)
    live = rng.choice(12000, 3000, replace=False)
    topics = rng.standard_normal((50, DIM))
    items[live] = topics[rng.integers(50, size=3000)] + 0.3 * rng.standard_normal((3000, DIM))
    queries = (topics[rng.integers(50, size=100)] + 0.3 * rng.standard_normal((100, DIM))).astype(
        np.float32
    )
    truth = np.argsort(-(queries @ items.T), axis=1, kind="stable")[:, :10]
    params = {"efSearch": 128} if kind == "hnsw" else {"nlist": 32, "m": 8, "nprobe": 16}
    index = VectorIndex.build(items, kind, normalised=False, **params)
    assert len(index) == 3000
    ids = index.search(queries, 10)[1]
    assert set(ids.ravel()) <= set(live.tolist())
    assert recall(ids, truth) >= 0.9
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path)
    np.testing.assert_array_equal(loaded.search(queries, 10)[1], ids)
    loaded.set_search_params(**({"efSearch": 64} if kind == "hnsw" else {"nprobe": 8}))


@pytest.mark.parametrize("zero_rows", [False, True])
@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_excluded_rows_are_skipped_by_the_search(kind: str, zero_rows: bool) -> None:
    """`exclude` answers what a search for more, filtered afterwards, would: the next best."""
    rng = np.random.default_rng(4)
    items = rng.standard_normal((4000, DIM)).astype(np.float32)
    if zero_rows:  # an id-mapped index: the exclusion is translated to its own positions
        items[rng.choice(4000, 1000, replace=False)] = 0
    params = {"ivfpq": {"nlist": 16, "m": 8, "nprobe": 16, "k_factor": 32}}.get(kind, {})
    index = VectorIndex.build(items, kind, normalised=False, **params)
    query = items[[7]] * 2 if items[7].any() else items[[8]] * 2
    scores, ids = index.search(query, 15)
    skipped = ids[0][::2]  # every other hit, the first included
    left_s, left = index.search(query, 7, exclude=skipped)
    np.testing.assert_array_equal(left[0], ids[0][1::2])
    np.testing.assert_allclose(left_s[0], scores[0][1::2], rtol=1e-5)
    np.testing.assert_array_equal(
        index.search(query, 5, exclude=np.zeros(0, np.int64))[1], ids[:, :5]
    )
