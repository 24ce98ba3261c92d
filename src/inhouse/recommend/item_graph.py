"""Item-to-item systems: a history scores items through the rows of a sparse item x item matrix
(its items weighted by recency), so scores and explanations are exact sums. `cooc` and `ease`
differ only in how they build the matrix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from inhouse.recommend.base import BaseRecommender, contributions


class ItemGraph(BaseRecommender):
    """Score = sum over the newest `max_history` items of `history_decay ** age` x M[item, :]."""

    matrix: sp.csr_matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def _weights(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Most recent `max_history` items and their recency weights (newest = 1)."""
        h = history[-int(self.params["max_history"]) :]
        age = np.arange(len(h) - 1, -1, -1)
        return h, (float(self.params["history_decay"]) ** age).astype(np.float32)

    def _score(self, histories: list[np.ndarray]) -> np.ndarray:
        n_items = len(self.items)
        parts = [self._weights(h) for h in histories]
        rows = np.repeat(np.arange(len(parts)), [len(h) for h, _ in parts])
        cols = np.concatenate([h for h, _ in parts])
        vals = np.concatenate([w for _, w in parts])
        q = sp.csr_matrix((vals, (rows, cols)), shape=(len(parts), self.matrix.shape[0]))
        scores = (q @ self.matrix).toarray()
        if scores.shape[1] < n_items:  # cold-start items added after fit have no co-occurrence
            scores = np.pad(scores, ((0, 0), (0, n_items - scores.shape[1])))
        return scores.astype(np.float32)

    def explain_many(
        self, history: list[str], item_ids: list[str]
    ) -> list[list[tuple[str, float]]]:
        """Exact: contribution of each history item = its recency weight x M[item, target]."""
        known, _ = self.items.encode(history)
        cols = [self.items.index.get(i, -1) for i in item_ids]
        ok = [c for c in cols if 0 <= c < self.matrix.shape[1]]  # cold-start items: no counts
        if not len(known) or not ok:
            return [[] for _ in item_ids]
        h, w = self._weights(known)
        values = self.matrix[h][:, ok].toarray() * w[:, None]  # M[history item, target]
        found = dict(zip(ok, contributions(self.items, h, values), strict=True))
        return [found.get(c, []) for c in cols]

    def _state(self) -> dict[str, np.ndarray]:
        m = self.matrix.tocsr()
        return {
            "data": m.data,
            "indices": m.indices,
            "indptr": m.indptr,
            "shape": np.array(m.shape),
        }

    def _set_state(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        shape = tuple(int(x) for x in arrays["shape"])
        self.matrix = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape
        )
