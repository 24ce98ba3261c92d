"""`inhouse models export`: an embedder's encoder as an ONNX graph, registered as a variant.

>>> entry = export_embedder("all-MiniLM-L6-v2", "int8")   # registers all-MiniLM-L6-v2-onnx-int8
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from inhouse.errors import ModelError
from inhouse.models.embedder import DEFAULT_EMBEDDER
from inhouse.models.onnx_embedder import CHECK_TEXTS
from inhouse.models.registry import NAME_PATTERN, RegistryEntry, add_model, read_registry
from inhouse.models.weights import ONNX_CONFIG, ONNX_MODEL


def export_embedder(
    name: str, precision: str = "int8", out_name: str | None = None, folder: Path | None = None
) -> RegistryEntry:
    """Export the registered embedder `name` to ONNX (`precision`: float32 or int8), check it
    against torch on `CHECK_TEXTS`, write it atomically as a model folder (default
    `<cache_dir>/models/OUT_NAME`) and register it as `out_name` (default
    `NAME-onnx-PRECISION`), with its own sha256 and its base model's."""
    if precision not in ("float32", "int8"):  # onnx.PRECISIONS, known without importing torch
        raise ModelError(f"precision {precision!r}: choose float32 or int8 (--precision).")
    out_name = out_name or f"{name}-onnx-{precision}"
    if not re.match(NAME_PATTERN, out_name):
        raise ModelError(
            f"invalid model name {out_name!r}: use letters, digits, `.`, `_` and `-`, starting "
            "with a letter or digit. Choose one with --out-name."
        )
    models = read_registry()
    if out_name in models:
        raise ModelError(
            f"the name {out_name!r} is already registered. Choose another with --out-name, or "
            f"remove the old entry with `inhouse models remove {out_name}`."
        )
    if name not in models:
        raise ModelError(
            f"{name!r} is not registered. Registered: {', '.join(sorted(models)) or 'none'}. "
            "Register one with `inhouse models add PATH --name NAME`."
        )
    from inhouse.files import atomic_dir
    from inhouse.models.embedder import SentenceTransformerEmbedder, fingerprint
    from inhouse.models.encoder import sentence_graph
    from inhouse.models.load import load_embedder, load_embedder_by_name
    from inhouse.models.onnx import MIN_COSINE, export_onnx
    from inhouse.models.pull import models_dir

    base = load_embedder() if name == DEFAULT_EMBEDDER else load_embedder_by_name(name)
    if not isinstance(base, SentenceTransformerEmbedder) or sentence_graph(base) is None:
        raise ModelError(
            f"{name!r} cannot be exported: only a BERT-like encoder with mean pooling (such as "
            f"{DEFAULT_EMBEDDER}) runs as one ONNX graph. Use it through torch instead."
        )
    target = Path(folder) if folder is not None else models_dir() / out_name
    with atomic_dir(target) as tmp:
        if not export_onnx(tmp / ONNX_MODEL, [(base, (-1,))], precision, CHECK_TEXTS):
            raise ModelError(
                f"{name!r}: the {precision} ONNX export differs from torch (cosine below "
                f"{MIN_COSINE[precision]} on a sample text) or onnxruntime is not installed; "
                "try --precision float32, or use the torch embedder."
            )
        base.model.tokenizer.save_pretrained(str(tmp))
        cut = base.model.max_seq_length or base.model.tokenizer.model_max_length
        config = {
            "base_model": fingerprint(base).model_dump(),
            "precision": precision,
            "dim": base.dim,
            "max_seq_length": int(cut),
            "pooling": "mean, L2-normalised (as the base model's sentence-transformers modules)",
        }
        (tmp / ONNX_CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return add_model(target, name=out_name, source="exported")
