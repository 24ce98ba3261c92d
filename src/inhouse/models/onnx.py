"""The encoder graph exported to ONNX, in float32 or with its matrix products quantised to int8
(dynamic, per-channel weights), checked against torch and served by ONNX Runtime.

A router's save exports its views (the frozen encoder, and for `finetuned` the tuned one, whose
frozen lowest blocks are shared and run once) to `features.onnx` in its folder; load serves from
it. Without ONNX Runtime, or without the file, the same graph runs in torch (float32).
"""

from __future__ import annotations

import logging
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from inhouse.models.embedder import Embedder, weights_sha256
from inhouse.models.encoder import (
    MAX_TOKENS,
    TorchViews,
    Views,
    auto_model,
    encoder_graph,
    run_batched,
)

log = logging.getLogger(__name__)

ONNX_FILE = "features.onnx"  # the export's name in a folder saved beside it (a router's)
OPSET = 17
# Dynamic int8 (per-channel weights) halves the CPU time of one message. Against float32 torch,
# on Banking77 test: finetuned 93.86 % vs 93.90 %, logistic 93.34 % vs 93.54 % (a bench run with
# every router in int8, 2026-11-25); CLINC150 finetuned out-of-scope recall 66.9 % vs 68.5 %
# (benchmarks/results/support-clinc150.json). So only `finetuned`, with two views, uses it.
PRECISIONS = ("float32", "int8")
MIN_COSINE = {"float32": 0.99999, "int8": 0.98}  # export vs torch, per sample text and view


class OnnxViews:
    """The graph run by ONNX Runtime on `threads` threads (one for a router, served by one
    single-threaded worker per core, see `bench_routing.measure_latency`).

    `batch_size` texts go through one run. A float32 graph can take many (a batch pads the
    shorter texts, which the attention mask hides: the answers equal one-at-a-time answers
    within float tolerance); an int8 graph takes one, since its activation scales would
    depend on the other texts of the batch."""

    backend = "onnxruntime"

    def __init__(
        self,
        path: Path,
        tokenizer: Any,
        max_length: int | None = MAX_TOKENS,
        batch_size: int = 1,
        threads: int = 1,
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer, self.max_length, self.batch_size = tokenizer, max_length, batch_size

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]:
        def run(ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
            feeds = {"input_ids": ids.astype(np.int64), "attention_mask": mask.astype(np.int64)}
            return list(self.session.run(None, feeds))

        return run_batched(
            texts, self.tokenizer, run, "np", self.batch_size, self.max_length, "onnxruntime"
        )


def can_serve_onnx(path: Path) -> bool:
    """Whether the exported graph `path` exists and ONNX Runtime is installed to run it."""
    return Path(path).exists() and _has_onnxruntime()


def _has_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


SAMPLE = ["where is my card", "I was charged twice for the same thing at a shop, please help"]
_exports: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
EXPORTS_KEPT = 2  # routers on the same embedder (a bake-off, the tests) export once per process


def export_onnx(
    path: Path,
    views: Sequence[tuple[Embedder, Sequence[int]]],
    precision: str = "float32",
    check: Sequence[str] = SAMPLE,
) -> bool:
    """Write the graph of `views` (embedder, layers) to the ONNX file `path`, checked against
    torch on the texts `check` (cosine at least `MIN_COSINE[precision]` for each).

    `precision`: one of `PRECISIONS`. Returns False (and writes nothing) when the embedders are
    not transformers, ONNX Runtime is missing, or the export does not match torch; the graph
    is then served by torch (see `load_views`).

    >>> export_onnx(folder / ONNX_FILE, [(embedder, (-1,))], "int8")   # sentence embeddings
    """
    assert precision in PRECISIONS, f"precision {precision!r} is not one of {PRECISIONS}"
    built = encoder_graph(views)
    if built is None or not _has_onnxruntime():
        return False
    graph, tokenizer = built
    path = Path(path)
    # by the weights in memory: a router saved, loaded (then calibrated) and saved again, as
    # `fit-router` does, exports once
    weights = [weights_sha256(auto_model(e)[0]) for e, _ in views]  # type: ignore[index]
    key = (precision, *zip(weights, (tuple(layers) for _, layers in views), strict=True))
    if key in _exports:
        path.write_bytes(_exports[key])
        _exports.move_to_end(key)
        return True
    plain = path.with_suffix(".float32.onnx")
    float32_key = ("float32", *key[1:])
    if float32_key in _exports:  # int8 quantises the float32 graph exported before
        plain.write_bytes(_exports[float32_key])
    else:
        _export_float32(graph, tokenizer, plain)
    want = TorchViews(graph, tokenizer)(check)

    def agreement() -> float:
        got = OnnxViews(path, tokenizer)(check)
        pairs = zip(want, got, graph.layers, strict=True)
        return min(float((a * b).sum(1).min() / len(layers)) for a, b, layers in pairs)

    if precision == "int8":
        _quantise(plain, path)
        cosine = agreement()
        if cosine < MIN_COSINE[precision]:
            # all-mpnet-base-v2: 0.87 with every matrix product in int8, 0.988 with the
            # feed-forward down-projections (whose inputs carry large outliers) kept float32
            log.info("int8 export: cosine %.4f; keeping the FFN down-projections float32", cosine)
            _quantise(plain, path, exclude=_ffn_down(plain))
            cosine = agreement()
        plain.unlink()
    else:
        plain.replace(path)
        cosine = agreement()
    if cosine < MIN_COSINE[precision]:
        log.warning("ONNX export differs from torch (cosine %.4f); serving with torch", cosine)
        path.unlink()
        return False
    _exports[key] = path.read_bytes()
    while len(_exports) > EXPORTS_KEPT:
        _exports.popitem(last=False)
    return True


def _quantise(plain: Path, path: Path, exclude: Sequence[str] = ()) -> None:
    """Dynamic int8 (per-channel weights) of every matrix product but the nodes `exclude`."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from inhouse.models.quiet import dropping_log

    # its "consider pre-processing" advice is for vision models' static quantisation
    with dropping_log("", "pre-processing before quantization"):
        quantize_dynamic(
            str(plain),
            str(path),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=list(exclude),
        )


def _ffn_down(plain: Path) -> list[str]:
    """The exported graph's feed-forward down-projections: each block's `output/dense` product
    (not an attention output projection, BERT's `attention/output/dense`)."""
    import onnx

    nodes = onnx.load(str(plain), load_external_data=False).graph.node
    return [
        n.name
        for n in nodes
        if n.op_type == "MatMul"
        and n.name.endswith("/output/dense/MatMul")
        and "/attention/" not in n.name  # BERT's attention output is attention/output/dense
    ]


def _export_float32(graph: Any, tokenizer: Any, plain: Path) -> None:
    batch = tokenizer(SAMPLE, padding=True, return_tensors="pt")
    args = (batch["input_ids"], batch["attention_mask"])
    names = [f"view{i}" for i in range(len(graph.starts))]
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            graph,
            args,
            str(plain),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=names,
            dynamic_axes=axes | {n: {0: "batch"} for n in names},
            opset_version=OPSET,
        )


def load_views(
    path: Path,
    views: Sequence[tuple[Embedder, Sequence[int]]],
    max_length: int = MAX_TOKENS,
    batch_size: int = 1,
) -> Views | None:
    """The graph of `views` as served: ONNX Runtime when the file `path` (written by
    `export_onnx`) exists and it is installed, else torch; None when the embedders are not
    transformers. `batch_size`: texts per ONNX run (1 for an int8 graph, see `OnnxViews`)."""
    built = encoder_graph(views)
    if built is None:
        return None
    graph, tokenizer = built
    path = Path(path)
    if can_serve_onnx(path):
        return OnnxViews(path, tokenizer, max_length, batch_size)
    if path.exists():
        log.info("%s: onnxruntime is not installed; serving with torch", path)
    return TorchViews(graph, tokenizer, max_length)
