"""In-house collaborative filtering: implicit-feedback ALS (iALS, the `implicit` library).

A history is folded in as a new user (one least-squares solve against the item factors), so any
session can be scored; top-k comes from the FAISS index over the item factors. Explanations are
exact: each history item's share of a score comes from the same linear system (Hu, Koren and
Volinsky 2008, section 5, as `implicit`'s `explain`), one Cholesky factor per request.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from inhouse.recommend.base import Interactions
from inhouse.recommend.vectors import VectorRecommender


class ALS(VectorRecommender):
    """iALS with confidence 1 + alpha * count (bm25 weighting off, kept simple)."""

    name = "als"
    kind = "in-house"
    cheap_explanations = True  # exact shares from one Cholesky factor, no re-solves
    param_grid = [
        {"factors": f, "regularization": r, "alpha": a}
        for f in (64, 128)
        for r in (0.01, 0.1)
        for a in (1.0, 10.0)
    ]

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 1.0,
        iterations: int = 15,
        seed: int = 0,
        **params: Any,
    ) -> None:
        super().__init__(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            seed=seed,
            **params,
        )
        self._model: Any = None

    def _new_model(self) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares

        p = self.params
        with warnings.catch_warnings():  # implicit warns about OpenBLAS threads; we limit them
            warnings.simplefilter("ignore", RuntimeWarning)
            return AlternatingLeastSquares(
                factors=int(p["factors"]),
                regularization=float(p["regularization"]),
                alpha=float(p["alpha"]),
                iterations=int(p["iterations"]),
                random_state=int(p["seed"]),
                num_threads=2,
            )

    def _fit(self, data: Interactions) -> None:
        from threadpoolctl import threadpool_limits

        user_items = data.matrix()
        user_items.data[:] = 1.0  # implicit: presence, not repeat counts
        with threadpool_limits(1, "blas"):
            self._model = self._new_model()
            self._model.fit(user_items, show_progress=False)
        self.set_item_vectors(np.asarray(self._model.item_factors, np.float32))
        self._model.num_threads = (
            1  # serving folds in a few users: threads cost more than they save
        )

    def _solver(self) -> Any:
        """The `implicit` model that folds histories in (rebuilt around loaded item factors)."""
        if self._model is None:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(1, "blas"):
                self._model = self._new_model()
            self._model.item_factors = self.item_vectors
            self._model.num_threads = 1
        return self._model

    def _query(self, histories: list[np.ndarray]) -> np.ndarray:
        model = self._solver()
        n = model.item_factors.shape[0]
        rows = np.repeat(np.arange(len(histories)), [len(h) for h in histories])
        cols = np.concatenate(histories)
        user_items = sp.csr_matrix(
            (np.ones(len(cols), np.float32), (rows, cols)), shape=(len(histories), n)
        )
        user_items.data[:] = 1.0
        users = np.arange(len(histories))
        return np.asarray(model.recalculate_user(users, user_items), np.float32)

    def explain_many(
        self, history: list[str], item_ids: list[str]
    ) -> list[list[tuple[str, float]]]:
        """Each distinct history item j's exact share of item i's score, c * (A^-1 y_i) . y_j.

        The folded-in user is x = A^-1 sum_j c y_j with A = YtY + reg I + (c - 1) sum_j y_j y_j^T
        and confidence c = alpha (presence), so score_i = y_i . x splits into one term per
        history item; the shares add up to the score `recommend` ranked by."""
        import scipy.linalg

        model = self._solver()
        c, reg = float(self.params["alpha"]), float(self.params["regularization"])

        def shares(h: np.ndarray, _w: np.ndarray, cols: list[int]) -> np.ndarray:
            history_factors = self.item_vectors[h].astype(np.float64)
            targets = self.item_vectors[cols].astype(np.float64)
            a = model.YtY + reg * np.eye(targets.shape[1])
            a += (c - 1.0) * history_factors.T @ history_factors
            weighted = scipy.linalg.cho_solve(scipy.linalg.cho_factor(a), targets.T)  # A^-1 y_i
            return np.asarray(c * history_factors @ weighted)

        return self._explain_by(
            history, item_ids, lambda known: (np.unique(known), np.ones(0)), shares
        )

    def _set_state(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        super()._set_state(arrays, folder)
        self._model = None
