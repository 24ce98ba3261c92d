"""EASE through the shared suite, plus its closed form against numpy on the checkerboard."""

import numpy as np
import pytest

from inhouse.errors import ConfigError
from inhouse.recommend.base import BaseRecommender, prepare
from inhouse.recommend.registry import make

from . import checkerboard as cb
from .mixin import RecommenderTests


class TestEase(RecommenderTests):
    system = "ease"
    params = {"lam": 1.0}

    # EASE learns negative weights: B items that users of b3 skip rank below the unrelated
    # group (score 0), so the positively linked B items lead and the rest are negative.
    def test_group_b_history_gets_group_b_items(self, model: BaseRecommender) -> None:
        ids, scores = model.recommend([["b3"]], k=5)
        positive = [i for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
        assert len(positive) >= 3 and set(positive) <= set(cb.B)
        row = model.score([["b3"]])[0]
        left_out = set(cb.B) - set(positive) - {"b3"}
        assert all(row[model.items.index[i]] < 0 for i in left_out)


def test_matrix_is_the_closed_form_solution() -> None:
    lam = 2.0
    model = make("ease", lam=lam, top_k=10_000)
    model.fit(cb.events(), cb.catalog())
    x = prepare(cb.events(), cb.catalog()).matrix().toarray()
    x[x > 0] = 1.0
    p = np.linalg.inv(x.T @ x + lam * np.eye(x.shape[1]))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    assert np.allclose(model.matrix.toarray(), b, atol=1e-4)  # type: ignore[attr-defined]


def test_top_k_keeps_the_largest_weights_per_item() -> None:
    full = make("ease", lam=1.0, top_k=10_000)
    full.fit(cb.events(), cb.catalog())
    pruned = make("ease", lam=1.0, top_k=2)
    pruned.fit(cb.events(), cb.catalog())
    dense = full.matrix.toarray()  # type: ignore[attr-defined]
    kept = pruned.matrix.toarray()  # type: ignore[attr-defined]
    assert ((kept != 0).sum(axis=1) <= 2).all()
    for row in range(dense.shape[0]):
        assert set(np.flatnonzero(kept[row])) <= set(np.argsort(-dense[row])[:2])


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ConfigError, match="lam=0"):
        make("ease", lam=0)


def test_a_history_decay_grid_solves_each_lam_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from inhouse.recommend import ease

    monkeypatch.setattr(ease, "_SOLVED", {})
    solved: list[int] = []
    solve = ease.Ease._solve

    def counted(self: ease.Ease, data: object) -> object:
        solved.append(1)
        return solve(self, data)  # type: ignore[arg-type]

    monkeypatch.setattr(ease.Ease, "_solve", counted)
    for decay in (0.6, 1.0):
        make("ease", lam=3.0, history_decay=decay).fit(cb.events(), cb.catalog())
    assert len(solved) == 1
    make("ease", lam=4.0).fit(cb.events(), cb.catalog())
    assert len(solved) == 2
