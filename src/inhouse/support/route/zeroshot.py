"""`zero-shot-labels`: the pretrained embedder matched against intent names, no training data.

`card_arrival` reads as "card arrival"; a company may give a description per intent instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from inhouse.errors import InhouseError
from inhouse.models.embedder import Embedder
from inhouse.support.route.base import OUT_OF_SCOPE, RouterKind, check_texts
from inhouse.support.route.frozen import FrozenRouter


def intent_phrase(intent: str) -> str:
    """`card_arrival` -> "card arrival", `getRefund` -> "get refund"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", intent)
    return re.sub(r"[_\-.:/]+", " ", spaced).strip().lower()


class ZeroShotRouter(FrozenRouter):
    """Cosine similarity between a message and each intent's name (or description)."""

    name = "zero-shot-labels"
    kind: RouterKind = "off-the-shelf"

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

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> ZeroShotRouter:
        """Reads only the intent names: no ticket text is used."""
        self.classes = sorted({i for i in intents if i != OUT_OF_SCOPE})
        if not self.classes:
            raise InhouseError("no in-scope intents to match against; give intent names")
        phrases = [self.descriptions.get(c) or intent_phrase(c) for c in self.classes]
        self.vectors = self.features(phrases)
        return self

    def raw(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        sims = self.features(check_texts(texts)) @ self.vectors.T
        best = sims.argmax(axis=1)
        conf = np.clip(sims[np.arange(len(best)), best], 0.0, 1.0)
        return [self.classes[i] for i in best], conf

    def parameters(self) -> dict[str, Any]:
        return {"descriptions": self.descriptions, "max_in_scope_drop": self.max_in_scope_drop}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"vectors": self.vectors}

    def set_arrays(self, arrays: Mapping[str, np.ndarray], classes: list[str]) -> None:
        self.vectors = np.asarray(arrays["vectors"], dtype=np.float32)
        self.classes = classes
