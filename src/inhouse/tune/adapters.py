"""Load, merge and export LoRA adapters: a base model (registry name, HF folder or GGUF file)
with an adapter on top, only the base it was trained on (`inhouse.models.adapters.check_base`);
a merged standalone Hugging Face model; a GGUF file of it for llama.cpp.

    >>> model, tokenizer = load_adapter("SmolLM2-135M-Instruct", Path("./acme-lora"))
    >>> folder, entry = merge_adapter(Path("./acme-lora"), Path("./acme-merged"))

Each adapter folder holds peft's `adapter_config.json` and `adapter_model.safetensors` beside
`inhouse-adapter.json` (`AdapterRecord`): its base (name, path, weights sha256), settings, data
and losses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from inhouse.errors import ModelError
from inhouse.files import atomic_dir, atomic_write_text, remove_orphans, temporary_prefix
from inhouse.models.adapters import (
    RECORD,
    AdapterRecord,
    BaseRef,
    check_base,
    read_adapter,
    resolve_base,
)
from inhouse.models.registry import RegistryEntry, add_model, read_registry

__all__ = [
    "RECORD",
    "AdapterRecord",
    "BaseRef",
    "check_base",
    "export_gguf",
    "load_adapter",
    "load_base",
    "merge_adapter",
    "read_adapter",
    "resolve_base",
]
MERGED_RECORD = "inhouse-merged.json"
CONVERTER_ENV = "INHOUSE_LLAMA_CPP_CONVERTER"  # path of llama.cpp's convert_hf_to_gguf.py


def load_base(ref: BaseRef) -> tuple[Any, Any]:
    """The causal LM (float32, eval mode) and tokenizer of `ref`; a GGUF file is dequantised by
    transformers, which needs the `gguf` package."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from inhouse.models.quiet import quiet_transformers

    folder, extra = ref.path, {}
    if ref.format == "gguf":
        try:
            import gguf  # noqa: F401
        except ImportError:
            raise ModelError(
                f"{ref.path}: training on a GGUF base dequantises it with transformers, which "
                "needs the `gguf` package: `pip install gguf` (or give an HF folder as --base)"
            ) from None
        folder, extra = ref.path.parent, {"gguf_file": ref.path.name}
    try:
        with quiet_transformers():
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **extra)
            tokenizer = AutoTokenizer.from_pretrained(folder, **extra)
    except (ValueError, OSError, KeyError) as e:
        raise ModelError(
            f"{ref.path}: transformers cannot load it as a causal language model "
            f"({str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__})"
        ) from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer


def load_adapter(base: str | Path, folder: Path) -> tuple[Any, Any]:
    """`base` (registry name or path) with the LoRA adapter in `folder` on top, in eval mode,
    and its tokenizer. A base other than the one the adapter was trained on is a ModelError."""
    from peft import PeftModel

    record = read_adapter(folder)
    ref = resolve_base(base)
    check_base(folder, record, ref)
    model, tokenizer = load_base(ref)
    tuned = PeftModel.from_pretrained(model, str(folder))
    tuned.eval()
    return tuned, tokenizer


def merge_adapter(
    folder: Path, out: Path, name: str | None = None, register: bool = True
) -> tuple[Path, RegistryEntry | None]:
    """Merge the adapter in `folder` into its base's weights (peft's `merge_and_unload`) and
    write a standalone Hugging Face model to `out` (atomically), registered as `name` (default:
    the folder's name) unless `register` is False."""
    record = read_adapter(folder)
    out = Path(out).expanduser().resolve()
    if register and (name or out.name) in read_registry():
        raise ModelError(
            f"the name {name or out.name!r} is already registered; choose another with --name, "
            "or `inhouse models remove NAME` first"
        )
    known = record.base.name is not None and record.base.name in read_registry()
    base: str | Path = record.base.name if known and record.base.name else record.base.path
    model, tokenizer = load_adapter(base, folder)
    merged = model.merge_and_unload()
    with atomic_dir(out) as tmp:
        merged.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        meta = {"adapter": str(Path(folder).resolve()), "record": record.model_dump(mode="json")}
        atomic_write_text(tmp / MERGED_RECORD, json.dumps(meta, indent=2) + "\n")
    entry = add_model(out, name) if register else None
    return out, entry


def export_gguf(folder: Path, out: Path, converter: Path, outtype: str = "f16") -> Path:
    """Convert the Hugging Face model in `folder` to the GGUF file `out` (atomically) with
    llama.cpp's `convert_hf_to_gguf.py` at `converter`, run by this Python. The script is not
    on PyPI as a module; docs/tune.md says where to get it (the llama-cpp-python sdist)."""
    converter = Path(converter).expanduser()
    if not converter.is_file():
        raise ModelError(
            f"{converter}: no such file; point --converter (or {CONVERTER_ENV}) to llama.cpp's "
            "convert_hf_to_gguf.py, found under vendor/llama.cpp/ in the llama-cpp-python "
            "source distribution (docs/tune.md)"
        )
    out = Path(out).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(out.parent, out.name)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=temporary_prefix(out.name), suffix=".tmp")
    os.close(fd)
    try:
        command = [sys.executable, str(converter), str(folder), "--outfile", tmp]
        done = subprocess.run(
            [*command, "--outtype", outtype], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
            raise ModelError(
                f"{converter}: converting {folder} to GGUF failed (exit {done.returncode}): "
                f"{lines[-1]}"
            )
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out
