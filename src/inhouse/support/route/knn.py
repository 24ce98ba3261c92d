"""`knn`: frozen sentence embeddings, a cosine k-nearest-neighbour vote over the tickets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from inhouse.models.embedder import Embedder
from inhouse.support.route.base import RouterKind, check_labels, check_texts
from inhouse.support.route.frozen import FrozenRouter


class KnnRouter(FrozenRouter):
    """The `k` most similar past tickets vote, weighted by similarity.

    The confidence is the similarity of the closest ticket of the winning intent, so a message
    unlike every ticket scores low and the threshold can call it out of scope.
    """

    name = "knn"
    kind: RouterKind = "baseline"

    def __init__(self, embedder: Embedder, k: int = 10, max_in_scope_drop: float = 0.01) -> None:
        self.embedder = embedder
        self.k = k
        self.max_in_scope_drop = max_in_scope_drop
        self.threshold = 0.0
        self.calibration: dict[str, float] = {}
        self.classes: list[str] = []
        self._set_vectors(np.zeros((0, embedder.dim), dtype=np.float32))
        self.labels = np.zeros(0, dtype=np.int64)

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> KnnRouter:
        texts = check_texts(texts)
        check_labels(texts, intents)
        self.classes = sorted(set(intents))
        index = {c: i for i, c in enumerate(self.classes)}
        self.labels = np.array([index[i] for i in intents], dtype=np.int64)
        self._set_vectors(self.features(texts))
        return self

    def _set_vectors(self, vectors: np.ndarray) -> None:
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self._bank = np.ascontiguousarray(self.vectors.T)  # (dim, n): faster for one message

    def raw(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Best intent and its confidence, before the out-of-scope threshold."""
        q = self.features(check_texts(texts))
        sims = q @ self._bank
        k = min(self.k, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1)
        votes = np.zeros((len(q), len(self.classes)), dtype=np.float32)
        closest = np.full((len(q), len(self.classes)), -1.0, dtype=np.float32)
        rows = np.arange(len(q))[:, None]
        np.add.at(votes, (rows, self.labels[top]), np.maximum(top_sims, 0.0))
        np.maximum.at(closest, (rows, self.labels[top]), top_sims)
        best = votes.argmax(axis=1)
        conf = closest[np.arange(len(q)), best]
        return [self.classes[i] for i in best], np.clip(conf, 0.0, 1.0)

    def parameters(self) -> dict[str, Any]:
        return {"k": self.k, "max_in_scope_drop": self.max_in_scope_drop}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"vectors": self.vectors, "labels": self.labels}

    def set_arrays(self, arrays: Mapping[str, np.ndarray], classes: list[str]) -> None:
        self._set_vectors(arrays["vectors"])
        self.labels = np.asarray(arrays["labels"], dtype=np.int64)
        self.classes = classes
