"""`zero-shot-labels`: the pretrained embedder matched against intent names, no training data.

`card_arrival` reads as "card arrival"; a company may give a description per intent instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from inhouse.artifacts import Manifest
from inhouse.models.embedder import Embedder
from inhouse.models.encoder import Views
from inhouse.models.features import view_features
from inhouse.models.load import load_embedder_for
from inhouse.models.onnx import ONNX_FILE, export_onnx, load_views
from inhouse.support.route.base import (
    OUT_OF_SCOPE,
    RouterKind,
    Thresholded,
    check_texts,
    restore,
    save_router,
)


def intent_phrase(intent: str) -> str:
    """`card_arrival` -> "card arrival", `getRefund` -> "get refund"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", intent)
    return re.sub(r"[_\-.:/]+", " ", spaced).strip().lower()


class ZeroShotRouter(Thresholded):
    """Cosine similarity between a message and each intent's name (or description)."""

    name = "zero-shot-labels"
    kind: RouterKind = "off-the-shelf"
    stores_embedder = False
    serve_precision = "float32"  # one view runs well within the latency target; exact

    def __init__(
        self,
        embedder: Embedder,
        descriptions: Mapping[str, str] | None = None,
        max_in_scope_drop: float = 0.01,
    ) -> None:
        self.embedder = embedder
        self.descriptions = dict(descriptions or {})
        self.max_in_scope_drop = max_in_scope_drop
        self.threshold = 0.0
        self.calibration: dict[str, float] = {}
        self.classes: list[str] = []
        self.vectors = np.zeros((0, embedder.dim), dtype=np.float32)
        self.serving: Views | None = None  # set by `load`: the exported graph

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """The last layer's mean-pooled state: the sentence embedding."""
        if self.serving is not None:
            return self.serving(texts)[0]
        return view_features(self.embedder, texts, (-1,))

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> ZeroShotRouter:
        """Reads only the intent names: no ticket text is used."""
        self.classes = sorted({i for i in intents if i != OUT_OF_SCOPE})
        if not self.classes:
            from inhouse.errors import InhouseError

            raise InhouseError("no in-scope intents to match against; give intent names")
        phrases = [self.descriptions.get(c) or intent_phrase(c) for c in self.classes]
        self.vectors = self.features(phrases)
        return self

    def raw(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        sims = self.features(check_texts(texts)) @ self.vectors.T
        best = sims.argmax(axis=1)
        conf = np.clip(sims[np.arange(len(best)), best], 0.0, 1.0)
        return [self.classes[i] for i in best], conf

    def save(self, path: Path) -> Path:
        def write(folder: Path) -> None:
            np.savez(folder / "arrays.npz", vectors=self.vectors)
            export_onnx(folder / ONNX_FILE, [(self.embedder, (-1,))], self.serve_precision)

        parameters = {
            "descriptions": self.descriptions,
            "max_in_scope_drop": self.max_in_scope_drop,
        }
        return save_router(self, path, write, parameters, self.classes, self.embedder)

    @classmethod
    def load(cls, folder: Path, embedder: Embedder | None, manifest: Manifest) -> ZeroShotRouter:
        embedder = load_embedder_for(manifest.base_model, f"the router at {folder}", embedder)
        router = cls(embedder, **manifest.parameters)
        with np.load(folder / "arrays.npz") as arrays:
            router.vectors = np.asarray(arrays["vectors"], dtype=np.float32)
        router.serving = load_views(folder / ONNX_FILE, [(embedder, (-1,))])
        router.classes = list(manifest.state["classes"])
        restore(router, manifest)
        return router
