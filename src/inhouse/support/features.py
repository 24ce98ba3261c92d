"""Router features: multi-layer mean-pooled embeddings, and the fingerprint of an embedder.

One forward pass with `output_hidden_states` gives the mean-pooled states of several layers;
concatenated, they feed a linear head better than the last layer alone.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from inhouse.models.embedder import Embedder

ALL_LAYERS: tuple[int, ...] = ()  # empty = every hidden state (embeddings + each block)


def _auto_model(embedder: Embedder) -> tuple[Any, Any] | None:
    """The Hugging Face model and tokenizer behind a sentence-transformers embedder, if any."""
    model = getattr(embedder, "model", None)
    if model is None:
        return None
    try:
        first = model[0]
        return first.auto_model, model.tokenizer
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


def layer_features(
    embedder: Embedder,
    texts: Sequence[str],
    layers: Sequence[int] = ALL_LAYERS,
    batch_size: int = 64,
    max_length: int = 128,
) -> np.ndarray:
    """Mean-pooled hidden states of `layers`, each L2-normalised, concatenated (float32).

    Embedders that are not transformers fall back to `embed()` (one block).
    """
    texts = list(texts)
    parts = _auto_model(embedder)
    if parts is None:
        return embedder.embed(texts, batch_size=batch_size)
    import torch

    hf, tokenizer = parts
    hf.eval()
    out = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(
            texts[start : start + batch_size],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            states = hf(**batch, output_hidden_states=True).hidden_states
        mask = batch["attention_mask"].unsqueeze(-1).to(states[0].dtype)
        chosen = [states[i] for i in layers] if layers else list(states)
        pooled = [(h * mask).sum(1) / mask.sum(1).clamp(min=1.0) for h in chosen]
        pooled = [torch.nn.functional.normalize(p, dim=-1) for p in pooled]
        out.append(torch.cat(pooled, dim=-1).float().numpy())
    if not out:
        return np.zeros((0, 0), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)


def embedder_fingerprint(embedder: Embedder) -> str:
    """sha256 (first 16 hex digits) of the embedder's weights, or of its name when it has none."""
    cached = getattr(embedder, "_inhouse_fingerprint", None)
    if isinstance(cached, str):
        return cached
    digest = hashlib.sha256()
    model = getattr(embedder, "model", None)
    state = getattr(model, "state_dict", None)
    if callable(state):
        for key, tensor in sorted(state().items()):
            digest.update(key.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    else:
        digest.update(f"{type(embedder).__qualname__}:{embedder.name}:{embedder.dim}".encode())
    value = digest.hexdigest()[:16]
    with contextlib.suppress(AttributeError):
        embedder._inhouse_fingerprint = value  # type: ignore[attr-defined]
    return value
