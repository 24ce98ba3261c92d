"""Item co-occurrence (item-kNN over neighbouring items in users' sequences, with recency decay).

C[i, j] sums `decay ** (gap - 1)` over every time j follows i within `window` steps in a user's
sequence (and `backward` times that when j precedes i). A history scores items by the rows of its
items, the most recent weighted most (`history_decay ** age`). Sparse matrices throughout.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from inhouse.recommend.base import Interactions
from inhouse.recommend.item_graph import ItemGraph


class Cooc(ItemGraph):
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
