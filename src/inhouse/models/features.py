"""Fit-time features of one view: the encoder graph's states of chosen layers, memoised for the
bench, so routers fitted on one embedder and the same texts share one pass."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from inhouse.models.embedder import Embedder, fingerprint
from inhouse.models.encoder import ALL_LAYERS, TorchViews, encoder_graph

CACHE_MIN = 256  # batches at least this big are memoised (bench: systems share one pass)
CACHE_SIZE = 6
_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()


def view_features(
    embedder: Embedder, texts: Sequence[str], layers: Sequence[int] = ALL_LAYERS
) -> np.ndarray:
    """The graph's states of `layers` for `texts`, each L2-normalised, concatenated (float32).

    `layers=(-1,)` is the sentence embedding of a mean-pooling model such as MiniLM. Every
    layer of at least `CACHE_MIN` texts is memoised, so routers fitted on one embedder share one
    pass. Embedders that are not transformers fall back to `embed()` (one block).
    """
    texts = list(texts)
    built = encoder_graph([(embedder, ALL_LAYERS if len(texts) >= CACHE_MIN else layers)])
    if built is None:
        return embedder.embed(texts)
    graph, tokenizer = built
    if not texts:
        return np.zeros((0, len(layers or graph.layers[0]) * embedder.dim), dtype=np.float32)
    label = f"embedding with {embedder.name}"
    if len(texts) < CACHE_MIN:
        return TorchViews(graph, tokenizer, label=label)(texts)[0]
    digest = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()
    key = (fingerprint(embedder).sha256, digest)
    if key not in _cache:
        states = TorchViews(graph, tokenizer, label=label)(texts)[0]
        _cache[key] = states.reshape(len(texts), len(graph.layers[0]), -1)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    _cache.move_to_end(key)
    chosen = _cache[key][:, list(layers)] if layers else _cache[key]
    return np.ascontiguousarray(chosen.reshape(len(texts), -1), dtype=np.float32)
