"""Off-the-shelf text recommender: items embedded from their catalog text, no tuning.

`mode="last"` scores items by cosine against the last history item; `mode="history"` against the
recency-weighted mean of the history. New catalog items (cold start) join with `add_items`.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inhouse.errors import InhouseError
from inhouse.models.embedder import Embedder, check_embedder, fingerprint
from inhouse.models.load import load_embedder, load_embedder_by_name
from inhouse.models.registry import read_registry
from inhouse.recommend.base import CATALOG_COLUMNS, Interactions, recency_weights
from inhouse.recommend.vectors import VectorRecommender

_EMBEDDERS: dict[str | None, Embedder] = {}
_CACHE: dict[tuple[str, str], np.ndarray] = {}  # (embedder name, sha of texts) -> vectors


def item_texts(catalog: pl.DataFrame) -> list[str]:
    """One text per catalog row: title, description, category and tags, joined."""
    parts = []
    for col in ("title", "description", "category"):
        if col in catalog.columns:
            parts.append(pl.col(col).cast(pl.String).fill_null(""))
    if "tags" in catalog.columns and catalog.schema["tags"] == pl.List(pl.String):
        parts.append(pl.col("tags").list.join(", ").fill_null(""))
    elif "tags" in catalog.columns:
        parts.append(pl.col("tags").cast(pl.String).fill_null(""))
    if not parts:
        return [str(i) for i in catalog["item_id"]]
    frame = catalog.select(pl.concat_str(parts, separator=". ").alias("text"))
    return [t.strip(". ") or "" for t in frame["text"].to_list()]


def _disk_cached(key: tuple[str, str], compute: Callable[[], np.ndarray]) -> np.ndarray:
    """Item vectors from `<cache_dir>/embeddings/` when present, else computed and stored."""
    from inhouse.files import atomic_write_bytes
    from inhouse.settings import get_settings

    path = get_settings().cache_dir / "embeddings" / f"{key[0]}-{key[1][:32]}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    vectors = compute()
    buf = io.BytesIO()
    np.save(buf, vectors, allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue())
    return vectors


class TextRecommender(VectorRecommender):
    """Items as text embeddings; a history as its last item or its recency-weighted mean."""

    name = "offshelf-text"
    kind = "off-the-shelf"
    param_grid = [
        {"mode": "last"},
        {"mode": "history", "history_decay": 0.5},
        {"mode": "history", "history_decay": 0.8},
    ]

    def __init__(
        self,
        mode: str = "last",
        history_decay: float = 0.5,
        embedder: str | None = None,
        max_history: int = 50,
        **params: Any,
    ) -> None:
        assert mode in ("last", "history"), f"mode must be 'last' or 'history', not {mode!r}"
        super().__init__(
            mode=mode,
            history_decay=history_decay,
            embedder=embedder,
            max_history=max_history,
            **params,
        )

    # ---- embedding
    def embedder(self) -> Embedder:
        """The embedder (loaded once per process): a folder path, a registered embedder's name
        (such as an ONNX export, `inhouse models export`), or None for the default.

        A loaded model refuses one other than it was built with (`base_model`)."""
        key = self.params.get("embedder")
        if key not in _EMBEDDERS:
            if key and not Path(key).is_dir() and key in read_registry():
                _EMBEDDERS[key] = load_embedder_by_name(key)
            else:
                _EMBEDDERS[key] = load_embedder(Path(key) if key else None)
        emb = _EMBEDDERS[key]
        if self.base_model is None:
            self.base_model = fingerprint(emb)
        else:
            check_embedder(self.base_model, emb, f"the {self.name} recommender")
        return emb

    def embed_items(self, catalog: pl.DataFrame) -> np.ndarray:
        """Vectors of the catalog rows' texts (cached per process by text content)."""
        texts = item_texts(catalog)
        emb = self.embedder()
        key = (emb.name, hashlib.sha256("\x00".join(texts).encode()).hexdigest())
        if key not in _CACHE:
            _CACHE[key] = _disk_cached(key, lambda: emb.embed(texts))
        return _CACHE[key]

    def _fit(self, data: Interactions) -> None:
        self.set_item_vectors(self.embed_items(data.catalog))

    def add_items(self, catalog_rows: pl.DataFrame) -> list[str]:
        """Add new catalog items (cold start: text, no events); returns the ids added."""
        return append_items(self, catalog_rows, self.embed_items)

    # ---- scoring
    def _weights(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.params["mode"] == "last":
            return history[-1:], np.ones(1, np.float32)
        return recency_weights(history, self.params["max_history"], self.params["history_decay"])

    def _query(self, histories: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(histories), self.item_vectors.shape[1]), np.float32)
        for r, hist in enumerate(histories):
            h, w = self._weights(hist)
            q = w @ self.item_vectors[h]
            out[r] = q / max(float(np.linalg.norm(q)), 1e-12)
        return out

    def explain_many(
        self, history: list[str], item_ids: list[str]
    ) -> list[list[tuple[str, float]]]:
        """Exact: each history item's weighted cosine with `item_id`, over the query norm."""

        def values(h: np.ndarray, w: np.ndarray, cols: list[int]) -> np.ndarray:
            norm = max(float(np.linalg.norm(w @ self.item_vectors[h])), 1e-12)
            cosines = self.item_vectors[h] @ self.item_vectors[cols].T
            return cosines * (w[:, None] / norm)

        return self._explain_by(history, item_ids, self._weights, values)


def append_items(
    model: VectorRecommender,
    catalog_rows: pl.DataFrame,
    embed: Callable[[pl.DataFrame], np.ndarray],
) -> list[str]:
    """Append the rows of `catalog_rows` that `model` does not know yet to its catalog, with
    `embed(rows)` as their item vectors; returns the ids added (cold start: text, no events)."""
    if "item_id" not in catalog_rows.columns:
        raise InhouseError("new catalog rows: no item_id column; give each new item its id")
    rows = catalog_rows.filter(~pl.col("item_id").cast(pl.String).is_in(model.items.ids))
    rows = rows.unique("item_id", keep="first", maintain_order=True)
    if rows.height == 0:
        return []
    missing = [c for c in CATALOG_COLUMNS if c not in rows.columns]
    rows = rows.with_columns(pl.lit(None).alias(c) for c in missing).select(model.catalog.columns)
    vecs = embed(rows)
    ids = rows["item_id"].cast(pl.String).to_list()
    model.items.add(ids)
    model.catalog = pl.concat([model.catalog, rows.cast(dict(model.catalog.schema))])  # type: ignore[arg-type]
    model.set_item_vectors(np.vstack([model.item_vectors, vecs]))
    return ids
