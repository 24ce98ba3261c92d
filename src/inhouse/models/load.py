"""Load a model by name or path: the embedded default, a registered embedder, or a folder.

>>> emb = load_embedder()                      # all-MiniLM-L6-v2, sha256 checked
>>> emb = load_embedder_by_name("bge-small-en-v1.5")   # after `inhouse models add`
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from inhouse.artifacts import ModelRecord
from inhouse.errors import ModelError
from inhouse.models.embedder import (
    DEFAULT_EMBEDDER,
    Embedder,
    Fingerprint,
    SentenceTransformerEmbedder,
    check_embedder,
)
from inhouse.models.registry import ensure_verified, read_registry

if TYPE_CHECKING:
    from inhouse.models.onnx_embedder import OnnxEmbedder

EMBEDDER_FORMATS = ("hf-folder", "onnx-folder")  # what `load_embedder_by_name` loads


def load_embedder(path: Path | None = None, name: str | None = None) -> SentenceTransformerEmbedder:
    """Load an embedder from a folder, or the embedded default when `path` is None.

    The default's model.safetensors is checked against its pinned sha256 before first use
    (hashed once, then cached in the registry by file size and mtime); a mismatch is a
    ModelError naming the file and both hashes.
    """
    if path is None:
        entry = ensure_verified(DEFAULT_EMBEDDER)
        return SentenceTransformerEmbedder(
            entry.path, name=DEFAULT_EMBEDDER, weights_sha256=entry.weights_sha256()
        )
    fix = "give a sentence-transformers model folder (e.g. one made by `inhouse models pull`)"
    if not Path(path).is_dir():
        raise ModelError(f"{path}: no such folder; {fix}")
    try:
        return SentenceTransformerEmbedder(path, name=name)
    except (OSError, ValueError) as e:  # transformers' errors for a folder that is not a model
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ModelError(f"{path}: not a model folder ({reason}); {fix}") from None


def load_embedder_by_name(name: str) -> SentenceTransformerEmbedder | OnnxEmbedder:
    """Load a registered embedding model by its registry name, checking its weights first: a
    sentence-transformers folder, or an ONNX export of one (`inhouse models export`).

    >>> emb = load_embedder_by_name("bge-small-en-v1.5")   # after `inhouse models add`
    >>> emb = load_embedder_by_name("all-MiniLM-L6-v2-onnx-int8")   # an OnnxEmbedder
    """
    models = read_registry()
    embedders = sorted(
        n for n, e in models.items() if e.task == "embedding" and e.format in EMBEDDER_FORMATS
    )
    if name not in embedders:
        why = "is not registered"
        if name in models:
            why = "is not a sentence-transformers embedder"
        raise ModelError(
            f"{name!r} {why}. Registered embedders: {', '.join(embedders) or 'none'}. "
            "Register one with `inhouse models add PATH --name NAME`."
        )
    entry = ensure_verified(name)
    if entry.format == "onnx-folder":
        from inhouse.models.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(entry.path, name=name, weights_sha256=entry.weights_sha256())
    return SentenceTransformerEmbedder(entry.path, name=name, weights_sha256=entry.weights_sha256())


def load_named_embedder(name: str) -> Embedder:
    """The embedded default (`all-MiniLM-L6-v2`) or a registered embedder by name, its weights
    checked: what every `--embedder NAME` option loads.

    >>> emb = load_named_embedder("all-mpnet-base-v2")  # after `inhouse models install`
    """
    return load_embedder() if name == DEFAULT_EMBEDDER else load_embedder_by_name(name)


def load_embedder_for(
    built: ModelRecord | None, what: str, embedder: Embedder | None = None
) -> Embedder:
    """The embedder to use `what` with: `embedder`, refused unless it is the one `what` was built
    with (`check_embedder`), or else that one, loaded by its registry name and checked.

    >>> emb = load_embedder_for(manifest.base_model, what=f"the index at {folder}")
    """
    assert built is not None, f"{what}: no base model in its manifest"
    if embedder is None:
        try:
            embedder = load_named_embedder(built.name)
        except ModelError as e:
            raise ModelError(
                f"{what} was built with embedder {built.name}, which cannot be loaded: {e} "
                "Or pass the embedder it was built with."
            ) from None
    check_embedder(built, embedder, what)
    return embedder


class LazyEmbedder:
    """A registered sentence-transformers embedder whose weights were checked but not yet loaded:
    a router served by its ONNX graph needs only the tokenizer, and a fresh process then skips
    loading the model (about 9 s of a 12 s `support route` call on 2 cores). The model loads on
    first use of `model` or `embed`."""

    def __init__(self, path: Path, record: ModelRecord) -> None:
        self.path, self.name, self.dim = Path(path), record.name, record.dim
        self._record = Fingerprint.model_validate(record.model_dump())
        self._loaded: SentenceTransformerEmbedder | None = None

    def loaded(self) -> SentenceTransformerEmbedder:
        if self._loaded is None:
            self._loaded = SentenceTransformerEmbedder(
                self.path, name=self.name, weights_sha256=self._record.sha256
            )
        return self._loaded

    @property
    def model(self) -> Any:
        return self.loaded().model

    def fingerprint(self) -> Fingerprint:
        return self._record if self._loaded is None else self._loaded.fingerprint()

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self.loaded().embed(texts, batch_size)

    def tokenizer(self) -> Any:
        """The model's tokenizer, read from its folder without loading the weights."""
        if self._loaded is not None:
            return self._loaded.model.tokenizer
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)


def lazy_embedder_for(built: ModelRecord, what: str) -> Embedder:
    """The registered embedder `what` was built with, its weights checked against `built` (by
    sha256, through the registry's cache) but not loaded: see `LazyEmbedder`."""
    try:
        entry = ensure_verified(built.name)
    except ModelError as e:
        raise ModelError(
            f"{what} was built with embedder {built.name}, which cannot be loaded: {e}"
        ) from None
    if entry.format != "hf-folder" or entry.task != "embedding":
        return load_embedder_for(built, what)
    lazy = LazyEmbedder(entry.path, built)
    Fingerprint.model_validate(built.model_dump()).require_same(
        Fingerprint(name=entry.name, sha256=entry.weights_sha256(), dim=built.dim), what
    )
    return lazy
