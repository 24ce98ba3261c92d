"""Tiny fixtures of the bench tests: a hashing embedder and a small intent dataset."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import polars as pl
import pytest

from inhouse.datasets.types import IntentData


class HashEmbedder:
    """Bag-of-words hashed into 64 dims, L2-normalised: deterministic and instant."""

    name = "hash-64"
    dim = 64

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


INTENTS = ["card_arrival", "lost_card", "refund", "top_up"]
WORDS = {
    "card_arrival": "when will my new card arrive",
    "lost_card": "i lost my card help",
    "refund": "i want a refund for this payment",
    "top_up": "how do i top up my account",
}


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def intent_data() -> IntentData:
    rows = [
        (f"t{i}-{n}", f"{WORDS[intent]} please {n}", intent)
        for i, intent in enumerate(INTENTS)
        for n in range(6)
    ]
    train = pl.DataFrame(rows, schema=["ticket_id", "text", "intent"], orient="row")
    test = pl.DataFrame(
        [(f"q{i}", f"{WORDS[intent]} now", intent) for i, intent in enumerate(INTENTS)],
        schema=["ticket_id", "text", "intent"],
        orient="row",
    )
    return IntentData(
        name="tiny", train=train, valid=test.head(0), test=test, intents=INTENTS, protocol="p"
    )
