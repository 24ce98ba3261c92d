"""Item-to-item systems: a history scores items through the rows of a sparse item x item matrix
(its items weighted by recency), so scores and explanations are exact sums. `cooc` and `ease`
differ only in how they build the matrix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from inhouse.recommend.base import BaseRecommender, recency_weights


class ItemGraph(BaseRecommender):
    """Score = sum over the newest `max_history` items of `history_decay ** age` x M[item, :]."""

    cheap_explanations = True

    matrix: sp.csr_matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def _weights(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Most recent `max_history` items and their recency weights (newest = 1)."""
        return recency_weights(history, self.params["max_history"], self.params["history_decay"])

    def _rows(self, history: np.ndarray) -> np.ndarray:
        """The dense rows M[item, :] of `history`'s items, (len(history), n_items): read
        straight from the CSR arrays, without scipy's per-call overhead."""
        m, n_items = self.matrix, len(self.items)
        out = np.zeros((len(history), n_items), np.float32)
        for row, item in enumerate(history.tolist()):
            if item < m.shape[0]:  # items added after fit have no row
                lo, hi = m.indptr[item], m.indptr[item + 1]
                out[row, m.indices[lo:hi]] = m.data[lo:hi]
        return out

    def _score(self, histories: list[np.ndarray]) -> np.ndarray:
        out = np.empty((len(histories), len(self.items)), np.float32)
        for row, history in enumerate(histories):
            h, w = self._weights(history)
            out[row] = w @ self._rows(h)
        return out

    def explain_many(
        self, history: list[str], item_ids: list[str]
    ) -> list[list[tuple[str, float]]]:
        """Exact: contribution of each history item = its recency weight x M[item, target]."""

        def values(h: np.ndarray, w: np.ndarray, cols: list[int]) -> np.ndarray:
            return self._rows(h)[:, cols] * w[:, None]  # M[history item, target]

        return self._explain_by(history, item_ids, self._weights, values)

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
