"""EASE (Steck, WWW 2019): a linear item-to-item model learned in closed form, in-house.

B = argmin ||X - XB||² + lam ||B||² with diag(B) = 0, where X is the user x item matrix:
P = (XᵀX + lam I)⁻¹ and B = -P / diag(P). Each row of B keeps its `top_k` largest weights
(sparse, so serving is a sparse row sum like `cooc`; on amazon-scientific validation the pruned
matrix scores as well as the dense one). Written by hand: it is one matrix inverse, and no
well-kept library packages it apart from whole frameworks (RecBole).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from inhouse.errors import ConfigError
from inhouse.recommend.base import Interactions
from inhouse.recommend.item_graph import ItemGraph

MAX_ITEMS = 30_000  # the inverse is dense: 30k items take 3.6 GB in float32
ROW_BLOCK = 1024
# (data sha256, lam, top_k) -> pruned matrix: a validation grid over `history_decay` (a serving
# weight) re-uses one inverse per `lam`. Pruned matrices are small (n_items x top_k).
_SOLVED: dict[tuple[str, float, int], sp.csr_matrix] = {}
_SOLVED_MAX = 8


class Ease(ItemGraph):
    """Closed-form linear autoencoder over which items users share, pruned to `top_k` per item."""

    name = "ease"
    kind = "in-house"
    param_grid = [
        {"lam": lam, "history_decay": h} for lam in (20.0, 50.0, 200.0) for h in (0.6, 1.0)
    ]

    def __init__(
        self,
        lam: float = 50.0,
        top_k: int = 100,
        history_decay: float = 1.0,
        max_history: int = 50,
        **params: Any,
    ) -> None:
        if lam <= 0 or top_k < 1:
            raise ConfigError(f"ease: lam={lam}, top_k={top_k}; use lam > 0 and top_k >= 1")
        super().__init__(
            lam=lam, top_k=top_k, history_decay=history_decay, max_history=max_history, **params
        )

    def _fit(self, data: Interactions) -> None:
        n = len(data.items)
        if n > MAX_ITEMS:
            raise ConfigError(
                f"ease: {n} items; its dense inverse fits up to {MAX_ITEMS}. Use cooc or als"
            )
        key = (data.sha256, float(self.params["lam"]), int(self.params["top_k"]))
        if key not in _SOLVED:
            if len(_SOLVED) >= _SOLVED_MAX:
                del _SOLVED[next(iter(_SOLVED))]
            _SOLVED[key] = self._solve(data)
        self.matrix = _SOLVED[key]

    def _solve(self, data: Interactions) -> sp.csr_matrix:
        """The pruned closed-form EASE matrix for `data`."""
        n = len(data.items)
        x = data.matrix()
        x.data[:] = 1.0  # presence, not repeat counts
        gram = (x.T @ x).toarray().astype(np.float32)
        gram[np.diag_indices(n)] += np.float32(self.params["lam"])
        b = np.linalg.inv(gram)
        del gram
        b /= -np.diag(b).copy()[None, :]  # in place: B = -P / diag(P)
        np.fill_diagonal(b, 0.0)
        k = min(int(self.params["top_k"]), n)
        # row blocks: a full argpartition would hold an n x n index matrix (0.8 GB at 10k items)
        top = np.concatenate(
            [
                np.argpartition(-b[i : i + ROW_BLOCK], k - 1, axis=1)[:, :k]
                for i in range(0, n, ROW_BLOCK)
            ]
        )
        rows = np.repeat(np.arange(n), k)
        vals = b[rows, top.ravel()]
        m = sp.csr_matrix((vals, (rows, top.ravel())), shape=(n, n), dtype=np.float32)
        m.eliminate_zeros()
        return m
