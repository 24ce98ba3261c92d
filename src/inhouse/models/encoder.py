"""One encoder graph: mean-pooled, L2-normalised states of chosen layers of a BERT-like encoder.

It gives routers their features (fitted and served, see `models.features` and `models.onnx`)
and sentence-transformers embedders their sentence embeddings (the last layer).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np
import torch

ALL_LAYERS: tuple[int, ...] = ()  # empty = every hidden state (embeddings + each block)
MAX_TOKENS = 128  # router messages are read up to this many tokens
BATCH_SIZE = 64
PROGRESS_MIN = 2048  # show a progress bar when embedding at least this many texts
# An embedder here is any object whose `model` is a sentence-transformers model (the `Embedder`
# of `models.embedder`, which imports this module).


class Views(Protocol):
    """Texts to one feature matrix per view (float32, rows L2-normalised per layer)."""

    backend: str

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]: ...


def auto_model(embedder: Any) -> tuple[Any, Any] | None:
    """The Hugging Face model and tokenizer behind a sentence-transformers embedder, if any."""
    model = getattr(embedder, "model", None)
    if model is None:
        return None
    try:
        return model[0].auto_model, model.tokenizer
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


def _block(block: Any, hidden: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    out = block(hidden, bias)
    return out[0] if isinstance(out, tuple) else out  # transformers 4 returns a tuple


def _pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    return torch.nn.functional.normalize(pooled, dim=-1)


def shared_blocks(base: Any, other: Any) -> int:
    """How many lowest blocks `other` shares with `base` (same weights, embeddings included);
    -1 when even the embeddings differ."""

    def shape(model: Any) -> dict[str, Any]:
        return {k: v for k, v in model.config.to_dict().items() if k != "_name_or_path"}

    if type(base) is not type(other) or shape(base) != shape(other):
        return -1

    def same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
        pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
        return pa.keys() == pb.keys() and all(torch.equal(pa[k], pb[k]) for k in pa)

    if not same(base.embeddings, other.embeddings):
        return -1
    count = 0
    for a, b in zip(base.encoder.layer, other.encoder.layer, strict=True):
        if not same(a, b):
            break
        count += 1
    return count


class EncoderGraph(torch.nn.Module):
    """Mean-pooled, L2-normalised states of chosen layers for one or more views of a BERT-like
    encoder (`embeddings` + `encoder.layer`). View 0 runs whole; a later view starts from view
    0's state after the blocks it shares with it, so frozen blocks run once.

    An MPNet encoder also adds a relative position bias to every block's attention scores
    (`encoder.compute_position_bias`); it goes in with the padding mask, which each block adds
    to the same scores."""

    def __init__(self, views: Sequence[tuple[Any, Sequence[int]]]) -> None:
        super().__init__()
        base = views[0][0]
        self.embeddings = torch.nn.ModuleList([hf.embeddings for hf, _ in views])
        self.blocks = torch.nn.ModuleList(
            [torch.nn.ModuleList(list(hf.encoder.layer)) for hf, _ in views]
        )
        self.encoders = [hf.encoder for hf, _ in views]  # not submodules: their blocks are above
        self.position_bias = torch.nn.ModuleList(
            [getattr(hf.encoder, "relative_attention_bias", torch.nn.Identity()) for hf, _ in views]
        )
        self.starts = [-1] + [shared_blocks(base, hf) for hf, _ in views[1:]]
        depth = len(base.encoder.layer) + 1
        self.layers = [list(range(depth)) if not ls else list(ls) for _, ls in views]
        self.eval()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[Any, ...]:
        mask = attention_mask.unsqueeze(-1).to(torch.float32)
        bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(
            torch.float32
        ).min
        outs = []
        base_states: list[torch.Tensor] = []
        for view, start in enumerate(self.starts):
            if start < 0:
                states = [self.embeddings[view](input_ids=input_ids)]
            else:
                states = list(base_states[: start + 1])
            scores_bias = bias
            if not isinstance(self.position_bias[view], torch.nn.Identity):  # MPNet
                scores_bias = bias + self.encoders[view].compute_position_bias(states[0])
            for block in list(self.blocks[view])[len(states) - 1 :]:  # type: ignore[call-overload]
                states.append(_block(block, states[-1], scores_bias))
            if view == 0:
                base_states = states
            outs.append(torch.cat([_pool(states[i], mask) for i in self.layers[view]], dim=-1))
        return tuple(outs)


def encoder_graph(views: Sequence[tuple[Any, Sequence[int]]]) -> tuple[EncoderGraph, Any] | None:
    """The graph of `views` (embedder, layers) and view 0's tokenizer; None unless every
    embedder is a BERT-like transformer."""
    models, tokenizer = [], None
    for embedder, layers in views:
        parts = auto_model(embedder)
        if parts is None or not hasattr(parts[0], "embeddings"):
            return None
        models.append((parts[0], layers))
        tokenizer = tokenizer or parts[1]
    return EncoderGraph(models), tokenizer


def sentence_graph(embedder: Any) -> tuple[EncoderGraph, Any] | None:
    """The graph (last layer) and tokenizer of a sentence-transformers embedder whose sentence
    embedding is the mean of its last layer's states: a BERT-like encoder, then mean pooling,
    then at most a `Normalize`, with no prompt. None for any other model. Built once per model.
    """
    model = getattr(embedder, "model", None)
    if model is None:
        return None
    if model not in _sentence_graphs:
        _sentence_graphs[model] = _sentence_graph(embedder, model)
    return _sentence_graphs[model]


_sentence_graphs: weakref.WeakKeyDictionary[Any, tuple[EncoderGraph, Any] | None] = (
    weakref.WeakKeyDictionary()
)


def _sentence_graph(embedder: Any, model: Any) -> tuple[EncoderGraph, Any] | None:
    try:
        modules = list(model)
    except TypeError:
        return None
    names = [type(m).__name__ for m in modules]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return None
    text = (getattr(modules[0], "modality_config", None) or {}).get("text", {})
    if (
        getattr(modules[1], "pooling_mode", None) != "mean"
        or text.get("method_output_name", "last_hidden_state") != "last_hidden_state"
        or getattr(model, "default_prompt_name", None) is not None
        or getattr(model, "truncate_dim", None) is not None
    ):
        return None
    built = encoder_graph([(embedder, (-1,))])
    if built is None or next(built[0].parameters()).dtype != torch.float32:
        return None
    return built


def run_batched(
    texts: Sequence[str],
    tokenizer: Any,
    run: Callable[[Any, Any], Sequence[np.ndarray]],
    tensors: str = "pt",
    batch_size: int = BATCH_SIZE,
    max_length: int | None = MAX_TOKENS,
    label: str = "embedding",
) -> list[np.ndarray]:
    """Tokenise `texts` in batches of similar length (cut at `max_length` tokens), call
    `run(input_ids, attention_mask)` on each (one array per view) and put the rows back in the
    order of `texts`; a progress bar shows from `PROGRESS_MIN` texts."""
    order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths: less padding
    out: list[np.ndarray] | None = None
    for start in _progress(range(0, len(texts), batch_size), len(texts), batch_size, label):
        rows = order[start : start + batch_size]
        batch = tokenizer(
            [texts[i] for i in rows],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors=tensors,
        )
        views = run(batch["input_ids"], batch["attention_mask"])
        if out is None:
            out = [np.empty((len(texts), v.shape[1]), dtype=np.float32) for v in views]
        for full, v in zip(out, views, strict=True):
            full[rows] = v
    assert out is not None, "no texts to embed"
    return out


def _progress(starts: range, total: int, step: int, label: str) -> Iterator[int]:
    if total < PROGRESS_MIN:
        yield from starts
        return
    from inhouse.progress import progress

    with progress() as bar:
        task = bar.add_task(label, total=total)
        for start in starts:
            yield start
            bar.advance(task, min(step, total - start))


class TorchViews:
    """The graph run eagerly by torch, in length-sorted batches (a progress bar for many)."""

    backend = "torch"

    def __init__(
        self,
        graph: EncoderGraph,
        tokenizer: Any,
        max_length: int | None = MAX_TOKENS,
        batch_size: int = BATCH_SIZE,
        label: str = "embedding",
    ) -> None:
        self.graph, self.tokenizer = graph, tokenizer
        self.max_length, self.batch_size, self.label = max_length, batch_size, label

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]:
        self.graph.eval()  # no dropout, even if the model was put back into training

        def run(ids: torch.Tensor, mask: torch.Tensor) -> list[np.ndarray]:
            with torch.inference_mode():
                return [v.numpy() for v in self.graph(ids, mask)]

        return run_batched(
            texts, self.tokenizer, run, "pt", self.batch_size, self.max_length, self.label
        )
