"""Load a model by name or path: the embedded default, a registered embedder, or a folder.

>>> emb = load_embedder()                      # all-MiniLM-L6-v2, sha256 checked
>>> emb = load_embedder_by_name("bge-small-en-v1.5")   # after `inhouse models add`
"""

from __future__ import annotations

from pathlib import Path

from inhouse.artifacts import ModelRecord
from inhouse.errors import ModelError
from inhouse.models.embedder import (
    DEFAULT_EMBEDDER,
    Embedder,
    SentenceTransformerEmbedder,
    check_embedder,
)
from inhouse.models.registry import ensure_verified, read_registry


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


def load_embedder_by_name(name: str) -> SentenceTransformerEmbedder:
    """Load a registered embedding model by its registry name, checking its weights first.

    >>> emb = load_embedder_by_name("bge-small-en-v1.5")   # after `inhouse models add`
    """
    models = read_registry()
    embedders = sorted(
        n for n, e in models.items() if e.task == "embedding" and e.format == "hf-folder"
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
    return SentenceTransformerEmbedder(entry.path, name=name, weights_sha256=entry.weights_sha256())


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
            embedder = (
                load_embedder()
                if built.name == DEFAULT_EMBEDDER
                else load_embedder_by_name(built.name)
            )
        except ModelError as e:
            raise ModelError(
                f"{what} was built with embedder {built.name}, which cannot be loaded: {e} "
                "Or pass the embedder it was built with."
            ) from None
    check_embedder(built, embedder, what)
    return embedder
