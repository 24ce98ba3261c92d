"""Vector systems serve top-k through FAISS, not by scoring every item in Python."""

from __future__ import annotations

import numpy as np
import pytest

from inhouse.recommend.registry import make

from . import checkerboard as cb


def test_recommend_is_a_faiss_search_that_matches_full_scores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = make("als", factors=2, regularization=0.01, iterations=30)
    model.fit(cb.events(), cb.catalog())
    history = ["a0", "a1"]
    full = model.score([history])[0]

    def no_full_scoring(histories: list[np.ndarray]) -> np.ndarray:
        raise AssertionError("recommend scored every item instead of searching the index")

    monkeypatch.setattr(model, "_score", no_full_scoring)
    ids, vals = model.recommend([history], k=4)
    assert set(ids[0]) == {"a2", "a3", "a4", "a5"}
    expected = np.sort(np.delete(full, [0, 1]))[::-1][:4]
    assert np.allclose(vals[0], expected, atol=1e-5)


def test_the_search_skips_seen_items_instead_of_asking_for_more() -> None:
    model = make("als", factors=2, regularization=0.01, iterations=30)
    model.fit(cb.events(), cb.catalog())
    searched: list[tuple[int, list[int]]] = []
    search = model.index.search

    def recording(
        queries: np.ndarray, k: int, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        searched.append((k, [] if exclude is None else exclude.tolist()))
        return search(queries, k, exclude)

    model.index.search = recording  # type: ignore[method-assign]
    history = [f"a{i}" for i in range(6)]  # group A ranks first for a group-A history
    ids, _ = model.recommend([history], k=2)
    assert len(ids[0]) == 2 and not set(ids[0]) & set(history)
    assert searched == [(2, [0, 1, 2, 3, 4, 5])]  # k results, the history skipped in FAISS


def test_fewer_items_left_than_k_pads_with_minus_infinity() -> None:
    model = make("als", factors=2, regularization=0.01, iterations=30)
    model.fit(cb.events(), cb.catalog())
    seen = [f"a{i}" for i in range(6)] + [f"b{i}" for i in range(4)]  # 10 of the 12 items
    ids, vals = model.recommend([seen], k=5)
    assert sorted(ids[0]) == ["b4", "b5"]  # only what is left, no padding id
    assert np.isfinite(vals[0][:2]).all() and np.isneginf(vals[0][2:]).all()
