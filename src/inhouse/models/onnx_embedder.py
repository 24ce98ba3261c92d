"""Embedders exported to ONNX: `inhouse models export NAME` writes a registered variant (the
ONNX graph of the encoder with its mean pooling and normalisation, float32 or dynamic int8,
beside the tokenizer files and a config naming the base model), and `OnnxEmbedder` serves it
through ONNX Runtime behind the same `Embedder` interface.

>>> entry = export_embedder("all-MiniLM-L6-v2", "int8")   # registers all-MiniLM-L6-v2-onnx-int8
>>> emb = load_embedder_by_name(entry.name)                # an OnnxEmbedder
>>> emb.embed(["card not arrived"]).shape
(1, 384)

Batch size and threads were chosen by measurement (benchmarks/embed_speed.py, results in
benchmarks/results/embed-speed.json). An int8 graph quantises its activations with one scale
per tensor, computed over the whole batch, padding included: a text's vector then depends
slightly on the other texts of its batch (measured there as `batch_cosine`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inhouse.errors import ModelError
from inhouse.models.embedder import Fingerprint
from inhouse.models.weights import ONNX_CONFIG, ONNX_MODEL

THREADS = 1  # ONNX Runtime intra-op threads (see the module docstring)
BATCH_SIZE = 8  # texts per ONNX run, length-sorted (see the module docstring)
# The export is checked against torch on these (short queries and a long item text)
CHECK_TEXTS = [
    "where is my card",
    "I was charged twice for the same thing at a shop, please help",
    "How do I reset my password?",
    "Can I top up my account with a cheque?",
    "Nitrile examination gloves, powder-free, 100 per box. Lab supplies. Textured fingertips "
    "for a secure grip on wet and dry instruments; ambidextrous, beaded cuff, latex-free.",
]


class OnnxEmbedder:
    """A folder written by `export_embedder`, served by ONNX Runtime on `threads` threads in
    length-sorted batches. Its fingerprint is its own (the ONNX file's sha256), never its base
    model's: int8 vectors differ slightly from the base's, so artifacts built with one refuse
    the other."""

    backend = "onnxruntime"

    def __init__(
        self,
        path: Path,
        name: str | None = None,
        weights_sha256: str | None = None,
        threads: int = THREADS,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        from transformers import AutoTokenizer

        from inhouse.models.onnx import OnnxViews

        self.path = Path(path)
        self.name = name or self.path.name
        self.config = read_onnx_config(self.path)
        self.dim = int(self.config["dim"])
        self.precision = str(self.config["precision"])
        self.max_length = int(self.config["max_seq_length"])
        self.base_model = Fingerprint.model_validate(self.config["base_model"])
        self.batch_size = batch_size
        self.tokenizer: Any = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
        self.views = OnnxViews(self.path / ONNX_MODEL, self.tokenizer, self.max_length, 1, threads)
        self._sha256 = weights_sha256

    def fingerprint(self) -> Fingerprint:
        if self._sha256 is None:
            from inhouse.models.weights import sha256_file

            self._sha256 = sha256_file(self.path / ONNX_MODEL)
        return Fingerprint(name=self.name, sha256=self._sha256, dim=self.dim)

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """L2-normalised float32 vectors of `texts`, `batch_size` texts per ONNX run (default
        `self.batch_size`)."""
        from inhouse.models.encoder import run_batched

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session = self.views.session

        def run(ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
            feeds = {"input_ids": ids.astype(np.int64), "attention_mask": mask.astype(np.int64)}
            return list(session.run(None, feeds))

        size = batch_size or self.batch_size
        label = f"embedding with {self.name}"
        return run_batched(texts, self.tokenizer, run, "np", size, self.max_length, label)[0]


def read_onnx_config(folder: Path) -> dict[str, Any]:
    """The config of an exported embedder folder; a ModelError when it is not one."""
    path = Path(folder) / ONNX_CONFIG
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        for key in ("dim", "precision", "max_seq_length", "base_model"):
            config[key]  # noqa: B018
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ModelError(
            f"{path}: not an ONNX embedder config ({type(e).__name__}: {e}); export it again "
            "with `inhouse models export NAME`."
        ) from None
    return dict(config)
