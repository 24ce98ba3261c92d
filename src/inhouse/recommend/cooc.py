"""Item co-occurrence (item-kNN over neighbouring items in users' sequences, with recency decay).

C[i, j] sums `decay ** (gap - 1)` over every time j follows i within `window` steps in a user's
sequence (and `backward` times that when j precedes i). A history scores items by the rows of its
items, the most recent weighted most (`history_decay ** age`). Sparse matrices throughout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from inhouse.recommend.base import BaseRecommender, Interactions, contributions


class Cooc(BaseRecommender):
    """Sequential item co-occurrence with recency decay."""

    name = "cooc"
    kind = "baseline"
    param_grid = [
        {"window": w, "decay": d, "backward": b, "history_decay": h, "alpha": a}
        for w in (3, 5)
        for d in (0.5, 0.8)
        for b in (0.5, 1.0)
        for h in (0.3, 0.6)
        for a in (0.0, 0.25)
    ]

    def __init__(
        self,
        window: int = 3,
        decay: float = 0.7,
        backward: float = 1.0,
        history_decay: float = 0.5,
        alpha: float = 0.0,
        max_history: int = 50,
    ) -> None:
        super().__init__(
            window=window,
            decay=decay,
            backward=backward,
            history_decay=history_decay,
            alpha=alpha,
            max_history=max_history,
        )
        self.matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def _fit(self, data: Interactions) -> None:
        p = self.params
        seqs = data.sequences()
        n = len(data.items)
        flat = np.concatenate(seqs) if seqs else np.zeros(0, np.int64)
        user = np.repeat(np.arange(len(seqs)), [len(s) for s in seqs])
        rows: list[np.ndarray] = [flat[:0]]
        cols: list[np.ndarray] = [flat[:0]]
        vals: list[np.ndarray] = [np.zeros(0, np.float32)]
        for gap in range(1, int(p["window"]) + 1):
            same = user[gap:] == user[:-gap]
            a, b = flat[:-gap][same], flat[gap:][same]
            w = float(p["decay"]) ** (gap - 1)
            rows += [a, b]
            cols += [b, a]
            vals += [np.full(len(a), w, np.float32), np.full(len(a), w * p["backward"], np.float32)]
        m = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n, n),
            dtype=np.float32,
        )
        m.setdiag(0)
        m.eliminate_zeros()
        # damp popular targets: divide column j by popularity_j ** alpha
        pop = np.maximum(self.popularity, 1.0) ** -float(p["alpha"])
        self.matrix = (m @ sp.diags(pop.astype(np.float32))).tocsr().astype(np.float32)

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

    def explain(self, history: list[str], item_id: str) -> list[tuple[str, float]]:
        """Exact: contribution of each history item = its recency weight x C[item, target]."""
        return self.explain_many(history, [item_id])[0]

    def explain_many(
        self, history: list[str], item_ids: list[str]
    ) -> list[list[tuple[str, float]]]:
        known, _ = self.items.encode(history)
        cols = [self.items.index.get(i, -1) for i in item_ids]
        ok = [c for c in cols if 0 <= c < self.matrix.shape[1]]  # cold-start items: no counts
        if not len(known) or not ok:
            return [[] for _ in item_ids]
        h, w = self._weights(known)
        values = self.matrix[h][:, ok].toarray() * w[:, None]  # C[history item, target]
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
