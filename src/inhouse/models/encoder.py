"""Serving-time router features: the router's encoder views as one graph, run by ONNX Runtime.

A router's save exports its views (the frozen encoder, and for `finetuned` the tuned one, whose
frozen lowest blocks are shared and run once) to `features.onnx` in its folder, in float32 or
with its matrix products quantised to int8; load serves from it. Without ONNX Runtime, or for a
router saved without the file, the same graph runs in torch (float32).
"""

from __future__ import annotations

import logging
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from inhouse.models.embedder import Embedder, embedder_fingerprint
from inhouse.models.layers import MAX_TOKENS, auto_model

log = logging.getLogger(__name__)

SERVE_FILE = "features.onnx"
OPSET = 17
# Dynamic int8 (per-channel weights) halves the CPU time of one message. Against float32 torch,
# on Banking77 test: finetuned 93.86 % vs 93.90 %, logistic 93.34 % vs 93.54 % (a bench run with
# every router in int8, 2026-11-25); CLINC150 finetuned out-of-scope recall 66.9 % vs 68.5 %
# (benchmarks/results/support-clinc150.json). So only `finetuned`, with two views, uses it.
PRECISIONS = ("float32", "int8")
MIN_COSINE = {"float32": 0.99999, "int8": 0.98}  # export vs torch, per sample message and view
BATCH_SIZE = 64


class Views(Protocol):
    """Texts to one feature matrix per view (float32, rows L2-normalised per layer)."""

    backend: str

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]: ...


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


class ViewStack(torch.nn.Module):
    """Mean-pooled, L2-normalised states of chosen layers for one or more views of a BERT-like
    encoder (`embeddings` + `encoder.layer`). View 0 runs whole; a later view starts from view
    0's state after the blocks it shares with it, so frozen blocks run once."""

    def __init__(self, views: Sequence[tuple[Any, Sequence[int]]]) -> None:
        super().__init__()
        base = views[0][0]
        self.embeddings = torch.nn.ModuleList([hf.embeddings for hf, _ in views])
        self.blocks = torch.nn.ModuleList(
            [torch.nn.ModuleList(list(hf.encoder.layer)) for hf, _ in views]
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
            for block in list(self.blocks[view])[len(states) - 1 :]:  # type: ignore[call-overload]
                states.append(_block(block, states[-1], bias))
            if view == 0:
                base_states = states
            outs.append(torch.cat([_pool(states[i], mask) for i in self.layers[view]], dim=-1))
        return tuple(outs)


def view_stack(views: Sequence[tuple[Embedder, Sequence[int]]]) -> tuple[ViewStack, Any] | None:
    """The graph of `views` (embedder, layers) and view 0's tokenizer; None unless every
    embedder is a BERT-like transformer."""
    models, tokenizer = [], None
    for embedder, layers in views:
        parts = auto_model(embedder)
        if parts is None or not hasattr(parts[0], "embeddings"):
            return None
        models.append((parts[0], layers))
        tokenizer = tokenizer or parts[1]
    return ViewStack(models), tokenizer


def _batches(texts: Sequence[str], tokenizer: Any, tensors: str, size: int = BATCH_SIZE) -> Any:
    order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths: less padding
    for start in range(0, len(texts), size):
        rows = order[start : start + size]
        batch = tokenizer(
            [texts[i] for i in rows],
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors=tensors,
        )
        yield rows, batch["input_ids"], batch["attention_mask"]


def _gather(texts: Sequence[str], parts: Any, run: Any) -> list[np.ndarray]:
    out: list[np.ndarray] | None = None
    for rows, ids, mask in parts:
        views = run(ids, mask)
        if out is None:
            out = [np.empty((len(texts), v.shape[1]), dtype=np.float32) for v in views]
        for full, v in zip(out, views, strict=True):
            full[rows] = v
    assert out is not None, "no texts to embed"
    return out


class TorchViews:
    """The graph run eagerly by torch (the fallback)."""

    backend = "torch"

    def __init__(self, stack: ViewStack, tokenizer: Any) -> None:
        self.stack, self.tokenizer = stack, tokenizer

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]:
        def run(ids: torch.Tensor, mask: torch.Tensor) -> list[np.ndarray]:
            with torch.inference_mode():
                return [v.numpy() for v in self.stack(ids, mask)]

        return _gather(texts, _batches(texts, self.tokenizer, "pt"), run)


class OnnxViews:
    """The graph run by ONNX Runtime on one thread, one message per run, as a router is served
    (one single-threaded worker per core, see `bench_routing.measure_latency`). In batches,
    int8's activation scales would depend on the other messages of the batch."""

    backend = "onnxruntime"

    def __init__(self, path: Path, tokenizer: Any) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]:
        def run(ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
            feeds = {"input_ids": ids.astype(np.int64), "attention_mask": mask.astype(np.int64)}
            return list(self.session.run(None, feeds))

        return _gather(texts, _batches(texts, self.tokenizer, "np", size=1), run)


def _has_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


SAMPLE = ["where is my card", "I was charged twice for the same thing at a shop, please help"]
_exports: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
EXPORTS_KEPT = 2  # routers on the same embedder (a bake-off, the tests) export once per process


def export_views(
    folder: Path, views: Sequence[tuple[Embedder, Sequence[int]]], precision: str = "float32"
) -> bool:
    """Write `folder/features.onnx` for `views`, checked against torch on sample messages.

    `precision`: one of `PRECISIONS`. Returns False (and writes nothing)
    when the embedders are not transformers, ONNX Runtime is missing, or the export does not
    match torch; the router is then served by torch.
    """
    assert precision in PRECISIONS, f"precision {precision!r} is not one of {PRECISIONS}"
    built = view_stack(views)
    if built is None or not _has_onnxruntime():
        return False
    stack, tokenizer = built
    path = Path(folder) / SERVE_FILE
    key = (precision, *((embedder_fingerprint(e), tuple(layers)) for e, layers in views))
    if key in _exports:
        path.write_bytes(_exports[key])
        _exports.move_to_end(key)
        return True
    batch = tokenizer(SAMPLE, padding=True, return_tensors="pt")
    args = (batch["input_ids"], batch["attention_mask"])
    names = [f"view{i}" for i in range(len(stack.starts))]
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    plain = path.with_suffix(".float32.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            stack,
            args,
            str(plain),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=names,
            dynamic_axes=axes | {n: {0: "batch"} for n in names},
            opset_version=OPSET,
        )
    if precision == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(plain), str(path), weight_type=QuantType.QInt8, per_channel=True)
        plain.unlink()
    else:
        plain.replace(path)
    want = TorchViews(stack, tokenizer)(SAMPLE)
    got = OnnxViews(path, tokenizer)(SAMPLE)
    pairs = zip(want, got, stack.layers, strict=True)
    cosine = min(float((a * b).sum(1).min() / len(layers)) for a, b, layers in pairs)
    if cosine < MIN_COSINE[precision]:
        log.warning("ONNX export differs from torch (cosine %.4f); serving with torch", cosine)
        path.unlink()
        return False
    _exports[key] = path.read_bytes()
    while len(_exports) > EXPORTS_KEPT:
        _exports.popitem(last=False)
    return True


def serve_views(folder: Path, views: Sequence[tuple[Embedder, Sequence[int]]]) -> Views | None:
    """What a loaded router computes its features with: ONNX Runtime when the folder has the
    export and it is installed, else torch; None when the embedders are not transformers."""
    built = view_stack(views)
    if built is None:
        return None
    stack, tokenizer = built
    path = Path(folder) / SERVE_FILE
    if path.exists() and _has_onnxruntime():
        return OnnxViews(path, tokenizer)
    if path.exists():
        log.info("%s: onnxruntime is not installed; serving with torch", path)
    return TorchViews(stack, tokenizer)
