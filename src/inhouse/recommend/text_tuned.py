"""Contrastively fine-tuned text encoder: the text of a user's recent items is the query, the next
item's text the positive, other items in the batch the negatives (`inhouse.tune.contrastive`).

After the short tuning, items are re-embedded with the tuned encoder; a history is scored by the
cosine of its query text (its newest `query_items` items) against every item, served by FAISS.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import polars as pl

from inhouse.models.embedder import (
    MemoEmbedder,
    SentenceTransformerEmbedder,
    default_embedder_path,
    fingerprint,
)
from inhouse.models.quiet import quiet_transformers
from inhouse.models.registry import ensure_verified, read_registry
from inhouse.recommend.base import Interactions
from inhouse.recommend.text import append_items, item_texts
from inhouse.recommend.vectors import VectorRecommender
from inhouse.tune.contrastive import contrastive_tune

ENCODER_DIR = "encoder"
QUERY_CACHE = 10_000  # multi-item query texts remembered (least recently used forgotten first)


def training_pairs(
    seqs: list[np.ndarray], query_items: int, n_pairs: int, seed: int
) -> list[tuple[tuple[int, ...], int]]:
    """(newest `query_items` items before t, item at t) for every step, a seeded sample of
    `n_pairs` of them; steps whose next item repeats the previous one are skipped."""
    pairs = [
        (tuple(int(i) for i in s[max(0, t - query_items) : t][::-1]), int(s[t]))
        for s in seqs
        for t in range(1, len(s))
        if s[t] != s[t - 1]
    ]
    rng = np.random.default_rng(seed)
    if len(pairs) > n_pairs:
        keep = rng.choice(len(pairs), n_pairs, replace=False)
        return [pairs[i] for i in keep]
    rng.shuffle(pairs)
    return pairs


class TextTuned(VectorRecommender):
    """A sentence-transformers encoder tuned on (recent items' text -> next item's text)."""

    name = "text-tuned"
    kind = "in-house"
    param_grid: ClassVar[list[dict[str, Any]]] = [{}]

    def __init__(
        self,
        embedder: str | None = None,
        query_items: int = 1,
        n_pairs: int = 1024,
        epochs: int = 1,
        batch_size: int = 32,
        lr: float = 3e-5,
        max_seq_length: int = 32,
        seed: int = 0,
        **params: Any,
    ) -> None:
        super().__init__(
            embedder=embedder,
            query_items=query_items,
            n_pairs=n_pairs,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            max_seq_length=max_seq_length,
            seed=seed,
            **params,
        )
        self.encoder: SentenceTransformerEmbedder | None = None
        self.texts: list[str] = []
        self.train_log: list[dict[str, float]] = []
        self._queries: MemoEmbedder | None = None  # the tuned encoder, its queries remembered

    def _load_encoder(self, path: Path | None) -> SentenceTransformerEmbedder:
        """The encoder to tune (`embedder`: a folder, a registered embedder's name, or None for
        the default; a registered one's weights are checked first) or, with `path`, a tuned
        one saved there."""
        p = self.params
        folder = path or default_embedder_path()
        if path is None and p["embedder"]:
            named = not Path(p["embedder"]).is_dir() and p["embedder"] in read_registry()
            folder = ensure_verified(p["embedder"]).path if named else Path(p["embedder"])
        return SentenceTransformerEmbedder(
            folder, name=f"{self.name}", max_seq_length=int(p["max_seq_length"])
        )

    def query_text(self, history: np.ndarray) -> str:
        """The query for a history: its newest `query_items` item texts, newest first."""
        recent = history[-int(self.params["query_items"]) :][::-1]
        return " | ".join(self.texts[int(i)] for i in recent)

    def _fit(self, data: Interactions) -> None:
        import torch

        p = self.params
        torch.manual_seed(int(p["seed"]))
        self.texts = item_texts(data.catalog)
        self.encoder = self._load_encoder(None)
        self.base_model = fingerprint(self.encoder)  # before tuning: the weights it started from
        pairs = training_pairs(
            data.sequences(), int(p["query_items"]), int(p["n_pairs"]), int(p["seed"])
        )
        texts = [(self.query_text(np.array(q)), self.texts[t]) for q, t in pairs]
        self.train_log = contrastive_tune(
            self.encoder.model,
            texts,
            epochs=int(p["epochs"]),
            batch_size=int(p["batch_size"]),
            lr=float(p["lr"]),
            description="tuning text encoder",
        )
        self._queries = MemoEmbedder(self.encoder, max_texts=QUERY_CACHE)
        self.set_item_vectors(self.encoder.embed(self.texts))

    def add_items(self, catalog_rows: pl.DataFrame) -> list[str]:
        """Add new catalog items (cold start: text, no events), embedded by the tuned encoder."""
        assert self.encoder is not None, "text-tuned: encoder not loaded; fit or load first"
        encoder = self.encoder

        def embed(rows: pl.DataFrame) -> np.ndarray:
            texts = item_texts(rows)
            vecs = encoder.embed(texts)
            self.texts += texts
            return vecs

        return append_items(self, catalog_rows, embed)

    def _query(self, histories: list[np.ndarray]) -> np.ndarray:
        if int(self.params["query_items"]) == 1:  # the query is the newest item's own text
            return self.item_vectors[[int(h[-1]) for h in histories]]
        assert self._queries is not None, "text-tuned: encoder not loaded; fit or load first"
        return self._queries.embed([self.query_text(h) for h in histories])

    def _save_extra(self, folder: Path) -> None:
        assert self.encoder is not None, "text-tuned: nothing to save; fit first"
        with quiet_transformers():
            self.encoder.model.save(str(folder / ENCODER_DIR))
        (folder / "texts.txt").write_text("\n".join(t.replace("\n", " ") for t in self.texts))

    def _set_state(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        super()._set_state(arrays, folder)
        self.texts = (folder / "texts.txt").read_text().split("\n")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.encoder = self._load_encoder(folder / ENCODER_DIR)
        self._queries = MemoEmbedder(self.encoder, max_texts=QUERY_CACHE)
