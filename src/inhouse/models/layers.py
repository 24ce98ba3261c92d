"""Router features: multi-layer mean-pooled embeddings.

One forward pass with `output_hidden_states` gives the mean-pooled states of several layers;
concatenated, they feed a linear head better than the last layer alone.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from inhouse.models.embedder import PROGRESS_MIN, Embedder, embedder_fingerprint

ALL_LAYERS: tuple[int, ...] = ()  # empty = every hidden state (embeddings + each block)
MAX_TOKENS = 128  # messages are read up to this many tokens


def auto_model(embedder: Embedder) -> tuple[Any, Any] | None:
    """The Hugging Face model and tokenizer behind a sentence-transformers embedder, if any."""
    model = getattr(embedder, "model", None)
    if model is None:
        return None
    try:
        first = model[0]
        return first.auto_model, model.tokenizer
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


CACHE_MIN = 256  # batches at least this big are memoised (bench: systems share one pass)
CACHE_SIZE = 6
_cache: OrderedDict[tuple[str, int, str], np.ndarray] = OrderedDict()


def layer_features(
    embedder: Embedder,
    texts: Sequence[str],
    layers: Sequence[int] = ALL_LAYERS,
    batch_size: int = 64,
    max_length: int = MAX_TOKENS,
) -> np.ndarray:
    """Mean-pooled hidden states of `layers`, each L2-normalised, concatenated (float32).

    `layers=(-1,)` equals the sentence embedding of a mean-pooling model such as MiniLM.
    Embedders that are not transformers fall back to `embed()` (one block).
    """
    texts = list(texts)
    if auto_model(embedder) is None:
        return embedder.embed(texts, batch_size=batch_size)
    if len(texts) < CACHE_MIN:
        states = _all_layers(embedder, texts, batch_size, max_length)
    else:
        digest = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()
        key = (embedder_fingerprint(embedder), max_length, digest)
        if key not in _cache:
            _cache[key] = _all_layers(embedder, texts, batch_size, max_length)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        _cache.move_to_end(key)
        states = _cache[key]
    chosen = states[:, list(layers)] if layers else states
    return np.ascontiguousarray(chosen.reshape(len(texts), -1), dtype=np.float32)


def _all_layers(
    embedder: Embedder, texts: list[str], batch_size: int, max_length: int
) -> np.ndarray:
    """(n, layers, dim): every hidden state mean-pooled and L2-normalised, with a progress bar."""
    from rich.progress import Progress

    parts = auto_model(embedder)
    assert parts is not None, "only transformer embedders have hidden states"
    hf, tokenizer = parts
    hf.eval()
    out = []
    order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths: less padding
    with Progress(transient=True, disable=len(texts) < PROGRESS_MIN) as bar:
        task = bar.add_task(f"embedding with {embedder.name}", total=len(texts))
        for start in range(0, len(texts), batch_size):
            chunk = [texts[i] for i in order[start : start + batch_size]]
            out.append(_pool(hf, tokenizer, chunk, max_length))
            bar.advance(task, len(out[-1]))
    if not out:
        return np.zeros((0, 1, embedder.dim), dtype=np.float32)
    states = np.empty((len(texts), *out[0].shape[1:]), dtype=np.float32)
    states[order] = np.concatenate(out)
    return states


def _pool(hf: Any, tokenizer: Any, texts: list[str], max_length: int) -> np.ndarray:
    """One forward pass with `output_hidden_states`; mean-pool each layer over real tokens."""
    import torch

    batch = tokenizer(
        texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )
    with torch.inference_mode():
        states = hf(**batch, output_hidden_states=True).hidden_states
    mask = batch["attention_mask"].unsqueeze(-1).to(states[0].dtype)
    pooled = [(h * mask).sum(1) / mask.sum(1).clamp(min=1.0) for h in states]
    stacked = torch.nn.functional.normalize(torch.stack(pooled, dim=1), dim=-1)
    return np.asarray(stacked.float().numpy(), dtype=np.float32)
