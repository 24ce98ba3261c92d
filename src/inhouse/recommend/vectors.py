"""Vector systems: items and histories as vectors, served by an inner-product `VectorIndex`.

A subclass sets `self.item_vectors` in `_fit` and implements `_query(histories)`; scoring is a
dot product and `recommend` for a user is one FAISS search, not a loop over items.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from inhouse.models.index import VectorIndex
from inhouse.recommend.base import BaseRecommender


class VectorRecommender(BaseRecommender):
    """Score = query(history) . item_vector; top-k through a `VectorIndex` (exact by default)."""

    cheap_explanations = True
    index_kind = "flat"  # a `VectorIndex` kind; "hnsw" or "ivfpq" for large catalogs
    index_params: dict[str, Any] = {}  # noqa: RUF012 (read-only; a subclass replaces it)

    item_vectors: np.ndarray = np.zeros((0, 0), np.float32)
    _index: VectorIndex | None = None

    def _query(self, histories: list[np.ndarray]) -> np.ndarray:
        """(len(histories), dim) float32 query vectors for non-empty encoded histories."""
        raise NotImplementedError

    def set_item_vectors(self, vectors: np.ndarray) -> None:
        """Replace the item vectors (rows in catalog order) and rebuild the FAISS index."""
        self.item_vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._index = None

    @property
    def index(self) -> VectorIndex:
        """The item vectors' index, built on first use (item vectors need not be normalised)."""
        if self._index is None:
            self._index = VectorIndex.build(
                self.item_vectors, self.index_kind, normalised=False, **self.index_params
            )
        return self._index

    def _score(self, histories: list[np.ndarray]) -> np.ndarray:
        scores: np.ndarray = self._query(histories) @ self.item_vectors.T
        return scores.astype(np.float32, copy=False)

    def _top(
        self,
        histories: list[np.ndarray],
        k: int,
        exclude_seen: bool,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.items)
        if any(not len(h) for h in histories) or k >= n or allowed is not None:
            # a filtered request scores the catalog densely: one matrix-vector product
            return super()._top(histories, k, exclude_seen, allowed)
        queries = np.ascontiguousarray(self._query(histories), dtype=np.float32)
        if exclude_seen:  # the search skips each history's items: k results, however long it is
            rows = [
                self.index.search(q[None], k, exclude=np.unique(h))
                for q, h in zip(queries, histories, strict=True)
            ]
            vals, idx = np.concatenate([v for v, _ in rows]), np.concatenate([i for _, i in rows])
        else:
            vals, idx = self.index.search(queries, k)  # one thread for a request
        # FAISS marks "nothing found" with id -1 (and a finite score): pad with -inf instead
        found = idx >= 0
        out_i = np.where(found, idx, 0).astype(np.int64)
        out_v = np.where(found, vals, -np.inf).astype(np.float32)
        return out_i, out_v

    def explain_many(
        self, history: list[str], item_ids: list[str]
    ) -> list[list[tuple[str, float]]]:
        """Leave-one-out over recent history items, scoring only the asked items (dot products)."""
        if type(self).explain is not BaseRecommender.explain:
            return [self.explain(history, i) for i in item_ids]
        encoded, _ = self.items.encode(history)
        recent = list(dict.fromkeys(reversed(encoded.tolist())))[: self.explain_recent]
        if not recent:
            return [[] for _ in item_ids]
        variants = [encoded] + [encoded[encoded != drop] for drop in recent]
        keep = [i for i, v in enumerate(variants) if len(v)]  # dropping the only item: score 0
        cols = [self.items.index[i] for i in item_ids]
        scores = np.zeros((len(variants), len(cols)), np.float32)
        scores[keep] = self._query([variants[i] for i in keep]) @ self.item_vectors[cols].T
        out = []
        for c in range(len(cols)):
            contrib = [
                (self.items.ids[h], float(scores[0, c] - scores[i + 1, c]))
                for i, h in enumerate(recent)
            ]
            out.append(sorted(contrib, key=lambda t: -t[1]))
        return out

    def _state(self) -> dict[str, np.ndarray]:
        return {"item_vectors": self.item_vectors}

    def _set_state(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        self.set_item_vectors(arrays["item_vectors"])
