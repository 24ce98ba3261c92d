"""`logistic`: frozen embeddings of several layers + a multinomial logistic-regression head."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inhouse.models.embedder import Embedder
from inhouse.support.features import layer_features
from inhouse.support.router import (
    RouterKind,
    apply_threshold,
    check_embedder,
    check_labels,
    check_texts,
    choose_threshold,
    embedder_record,
    write_meta,
    write_router_dir,
)


class LinearHead:
    """Multinomial logistic regression on fixed features, stored as plain arrays (no pickle)."""

    def __init__(self, c: float = 1.0, max_iter: int = 300) -> None:
        self.c = c
        self.max_iter = max_iter
        self.classes: list[str] = []
        self.coef = np.zeros((0, 0), dtype=np.float32)
        self.intercept = np.zeros(0, dtype=np.float32)

    def fit(self, x: np.ndarray, y: Sequence[str]) -> LinearHead:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=self.c, max_iter=self.max_iter)
        model.fit(x, np.asarray(y, dtype=object))
        self.classes = [str(c) for c in model.classes_]
        coef, intercept = model.coef_, model.intercept_
        if len(self.classes) == 2:  # sklearn keeps one row for two classes
            coef, intercept = (
                np.vstack([-coef, coef]) / 2,
                np.concatenate([-intercept, intercept]) / 2,
            )
        self.coef = coef.astype(np.float32)
        self.intercept = intercept.astype(np.float32)
        return self

    def proba(self, x: np.ndarray) -> np.ndarray:
        logits = x @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float32)

    def arrays(self, prefix: str = "head") -> dict[str, np.ndarray]:
        return {f"{prefix}_coef": self.coef, f"{prefix}_intercept": self.intercept}

    @classmethod
    def from_arrays(
        cls, arrays: Any, classes: list[str], c: float, prefix: str = "head"
    ) -> LinearHead:
        head = cls(c=c)
        head.classes = list(classes)
        head.coef = np.asarray(arrays[f"{prefix}_coef"], dtype=np.float32)
        head.intercept = np.asarray(arrays[f"{prefix}_intercept"], dtype=np.float32)
        return head


class LogisticRouter:
    """Frozen embedder; mean-pooled states of `layers` (empty = all) feed a linear head."""

    name = "logistic"
    kind: RouterKind = "in-house"
    stores_embedder = False

    def __init__(
        self,
        embedder: Embedder,
        layers: Sequence[int] = (),
        c: float = 1.0,
        max_in_scope_drop: float = 0.01,
    ) -> None:
        self.embedder = embedder
        self.layers = tuple(layers)
        self.head = LinearHead(c=c)
        self.max_in_scope_drop = max_in_scope_drop
        self.threshold = 0.0
        self.calibration: dict[str, float] = {}

    def features(self, texts: Sequence[str]) -> np.ndarray:
        return layer_features(self.embedder, texts, layers=self.layers)

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> LogisticRouter:
        """Fit the head on `texts` (an `oos` intent, if present, is learnt as a class)."""
        texts = check_texts(texts)
        check_labels(texts, intents)
        self.head.fit(self.features(texts), intents)
        return self

    def raw(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Best intent and its probability, before the out-of-scope threshold."""
        p = self.head.proba(self.features(check_texts(texts)))
        best = p.argmax(axis=1)
        return [self.head.classes[i] for i in best], p[np.arange(len(best)), best]

    def calibrate(self, val_texts: Sequence[str], val_intents: Sequence[str]) -> dict[str, float]:
        best, conf = self.raw(val_texts)
        self.calibration = choose_threshold(best, conf, val_intents, self.max_in_scope_drop)
        self.threshold = self.calibration["threshold"]
        return self.calibration

    def predict(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        return apply_threshold(*self.raw(texts), self.threshold)

    def save(self, path: Path) -> None:
        def write(folder: Path) -> None:
            np.savez(folder / "arrays.npz", **self.head.arrays())  # type: ignore[arg-type]
            write_meta(folder, self._meta())

        write_router_dir(path, write)

    def _meta(self) -> dict[str, Any]:
        return {
            "system": self.name,
            "kind": self.kind,
            "embedder": embedder_record(self.embedder),
            "config": {
                "layers": list(self.layers),
                "c": self.head.c,
                "max_in_scope_drop": self.max_in_scope_drop,
            },
            "classes": self.head.classes,
            "threshold": self.threshold,
            "calibration": self.calibration,
        }

    @classmethod
    def load(cls, path: Path, embedder: Embedder, meta: dict[str, Any]) -> LogisticRouter:
        check_embedder(meta["embedder"], embedder, path)
        router = cls(embedder, **meta["config"])
        with np.load(Path(path) / "arrays.npz") as arrays:
            router.head = LinearHead.from_arrays(arrays, meta["classes"], c=meta["config"]["c"])
        router.threshold = float(meta["threshold"])
        router.calibration = dict(meta["calibration"])
        return router
