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
