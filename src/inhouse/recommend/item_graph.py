"""Item-to-item systems: a history scores items through the rows of a sparse item x item matrix
(its items weighted by recency), so scores and explanations are exact sums. `cooc` and `ease`
differ only in how they build the matrix.

Serving never builds a dense catalog row: a history's scores are the sparse sum of its items'
rows (`_gather`), every other item scoring 0, so `candidates` and `recommend` cost what those
rows hold, not the catalog's size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from inhouse.recommend.base import BaseRecommender, best_of, fill_ranked, recency_weights


class ItemGraph(BaseRecommender):
    """Score = sum over the newest `max_history` items of `history_decay ** age` x M[item, :]."""

    cheap_explanations = True

    matrix: sp.csr_matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def _weights(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Most recent `max_history` items and their recency weights (newest = 1)."""
        return recency_weights(history, self.params["max_history"], self.params["history_decay"])

    def _gather(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A non-empty history's non-zero scores as (sorted item indices, float32 scores): the
        recency-weighted sum of its items' rows, read straight from the CSR arrays. The last
        history's answer is kept: a blend asks for its top, its items' scores and its moments."""
        key = (id(self.matrix), np.asarray(history, np.int64).tobytes())
        memo = self._cache.get("gather")  # one read: another thread may replace it meanwhile
        if memo is not None and memo[0] == key:
            found: tuple[np.ndarray, np.ndarray] = memo[1]
            return found
        found = self._gather_rows(history)
        self._cache["gather"] = (key, found)
        return found

    def _gather_rows(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = self._weights(history)
        positions, owner = self._positions(h)
        if not len(positions):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        cols = self.matrix.indices[positions]
        vals = self.matrix.data[positions].astype(np.float64) * w[owner]
        unique, inverse = np.unique(cols, return_inverse=True)
        summed = np.bincount(inverse, weights=vals, minlength=len(unique))
        return unique.astype(np.int64), summed.astype(np.float32)

    def _score(self, histories: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(histories), len(self.items)), np.float32)
        for row, history in enumerate(histories):
            cols, vals = self._gather(history)
            out[row, cols] = vals
        return out

    def _score_items(self, histories: list[np.ndarray], items: np.ndarray) -> np.ndarray:
        out = np.zeros(items.shape, np.float32)
        for row, (history, wanted) in enumerate(zip(histories, items, strict=True)):
            cols, vals = self._gather(history)
            if len(cols):
                pos = np.minimum(np.searchsorted(cols, wanted), len(cols) - 1)
                hit = cols[pos] == wanted
                out[row, hit] = vals[pos[hit]]
        return out

    def _moments(self, histories: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Exact catalog mean and std from the non-zero scores alone (the rest are 0)."""
        n = len(self.items)
        mean, std = np.zeros(len(histories)), np.zeros(len(histories))
        for row, history in enumerate(histories):
            vals = self._gather(history)[1].astype(np.float64)
            mean[row] = vals.sum() / n
            std[row] = np.sqrt(max(float((vals**2).sum()) / n - mean[row] ** 2, 0.0))
        return mean, std

    def _top(
        self,
        histories: list[np.ndarray],
        k: int,
        exclude_seen: bool,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The positive scores of the gathered rows first; then items scoring 0 (most popular
        first, as dense scoring's ties at 0 would be broken arbitrarily); then negative ones."""
        out_i = np.zeros((len(histories), k), np.int64)
        out_v = np.full((len(histories), k), -np.inf, np.float32)
        for row, history in enumerate(histories):
            seen = np.unique(history) if exclude_seen else history[:0]
            if not len(history):
                ids, vals = self._popular_top(k, seen, allowed)
            else:
                cols, scores = self._gather(history)
                keep = ~np.isin(cols, seen, assume_unique=True)
                if allowed is not None:
                    keep &= allowed[cols]
                c, v = cols[keep], scores[keep]
                positive = v > 0
                ids, vals = best_of(c[positive], v[positive], k)
                if len(ids) < k:
                    zero = fill_ranked(
                        self._popularity_order(), np.union1d(cols, seen), allowed, k - len(ids)
                    )
                    rest_i, rest_v = best_of(c[~positive], v[~positive], k - len(ids) - len(zero))
                    ids = np.concatenate([ids, zero, rest_i])
                    vals = np.concatenate([vals, np.zeros(len(zero), np.float32), rest_v])
            out_i[row, : len(ids)], out_v[row, : len(vals)] = ids, vals
        return out_i, out_v

    def _positions(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The CSR positions of `rows`' entries, concatenated, and each entry's row number in
        `rows` (rows past the matrix, items added after fit, have none)."""
        m = self.matrix
        rows = np.where(rows < m.shape[0], rows, -1)
        lo = np.where(rows >= 0, m.indptr[np.maximum(rows, 0)], 0)
        hi = np.where(rows >= 0, m.indptr[np.maximum(rows, 0) + 1], 0)
        lengths = hi - lo
        owner = np.repeat(np.arange(len(rows)), lengths)
        offsets = np.repeat(lo - np.cumsum(lengths) + lengths, lengths)
        return offsets + np.arange(int(lengths.sum())), owner

    def _columns(self, history: np.ndarray, cols: list[int]) -> np.ndarray:
        """M[history item, target] for each history item and target, (len(history), len(cols)),
        read from the history items' rows (no dense catalog row)."""
        m = self.matrix
        targets = np.asarray(cols, np.int64)
        order = np.argsort(targets, kind="stable")
        sorted_targets = targets[order]
        out = np.zeros((len(history), len(cols)), np.float32)
        positions, owner = self._positions(history)
        idx = m.indices[positions]
        at = np.minimum(np.searchsorted(sorted_targets, idx), len(cols) - 1)
        hit = sorted_targets[at] == idx
        out[owner[hit], order[at[hit]]] = m.data[positions[hit]]
        return out

    def explain_many(
        self, history: list[str], item_ids: list[str]
    ) -> list[list[tuple[str, float]]]:
        """Exact: contribution of each history item = its recency weight x M[item, target]."""

        def values(h: np.ndarray, w: np.ndarray, cols: list[int]) -> np.ndarray:
            return self._columns(h, cols) * w[:, None]  # M[history item, target]

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
