"""Load a generator by model registry name or path, choosing the backend from the format.

A GGUF file runs on llama.cpp; a Hugging Face folder runs on transformers. A registered model's
weights are checked against their sha256 before they are loaded.

    >>> qwen = load_generator("qwen2.5-coder-0.5b-instruct")        # a registered GGUF
    >>> tiny = load_generator("./tiny-qwen", device="cpu")           # an HF folder on disk
    >>> acme = load_generator("./tiny-qwen:./acme-lora")             # BASE:ADAPTER, merged

`BASE:ADAPTER` names a base (a registered name or a path) and a LoRA adapter folder trained on
it; a name or path that itself contains ':' is taken whole. To serve many adapters on one
base, chosen per request, see `inhouse.generate.adapters` (the server's `[generators.NAME]
adapters`).
"""

from __future__ import annotations

from pathlib import Path

from inhouse.errors import ModelError
from inhouse.generate.base import Generator


def split_model(spec: str | Path) -> tuple[str | Path, Path | None]:
    """`BASE:ADAPTER` as (base, adapter folder); anything else as (spec, None). The whole
    string wins when it is a registered name or an existing path; otherwise it is split at the
    first ':' whose left part is one."""
    from inhouse.models.registry import read_registry

    if isinstance(spec, Path):
        return spec, None
    names = read_registry()

    def known(text: str) -> bool:
        return text in names or Path(text).expanduser().exists()

    if known(spec) or ":" not in spec:
        return spec, None
    for i, char in enumerate(spec):
        if char == ":" and known(spec[:i]):
            return spec[:i], Path(spec[i + 1 :]).expanduser()
    return spec, None


def load_generator(
    name_or_path: str | Path,
    *,
    adapter: Path | None = None,
    max_tokens: int = 512,
    device: str = "auto",
    n_threads: int | None = None,
    n_ctx: int = 4096,
) -> Generator:
    """The generator for a registered model name, or for a GGUF file or HF folder on disk.

    `adapter`: a LoRA adapter (an `inhouse tune lora` folder for transformers, checked to be
    trained on this base; a GGUF LoRA for llama.cpp), or give `BASE:ADAPTER` (`split_model`).
    `device` applies to transformers, `n_threads` and `n_ctx` to llama.cpp."""
    from inhouse.models.registry import ensure_verified, read_registry
    from inhouse.models.weights import inspect_path

    name_or_path, named = split_model(name_or_path)
    if named is not None:
        if adapter is not None:
            raise ModelError(
                f"{name_or_path}:{named}: an adapter is named twice (BASE:ADAPTER and "
                f"`adapter` {adapter}); give one"
            )
        adapter = named
    key, sha256 = str(name_or_path), None
    if isinstance(name_or_path, str) and key in read_registry():
        entry = ensure_verified(key)
        if entry.task == "embedding":
            raise ModelError(
                f"{key!r} is an embedding model and cannot chat; pick a chat model from "
                "`inhouse models list`"
            )
        name, path, fmt, sha256 = entry.name, entry.path, entry.format, entry.weights_sha256()
    else:
        path = Path(name_or_path).expanduser()
        if not path.exists():
            raise ModelError(
                f"{key}: no registered model of that name and no such file or folder. "
                "See `inhouse models list`, or give the path of a .gguf file or model folder."
            )
        fmt, _ = inspect_path(path)
        name = path.stem if path.is_file() else path.name
    if fmt == "gguf":
        from inhouse.generate.llama import LlamaCppGenerator

        return LlamaCppGenerator(
            name, path, n_threads=n_threads, n_ctx=n_ctx, lora_path=adapter, max_tokens=max_tokens
        )
    if fmt == "hf-folder":
        from inhouse.generate.hf import TransformersGenerator

        return TransformersGenerator(
            name, path, device=device, adapter=adapter, max_tokens=max_tokens, base_sha256=sha256
        )
    raise ModelError(
        f"{path}: a lone .safetensors file has no config or tokenizer to chat with; register "
        "the model's whole folder (config.json, tokenizer and weights), or a .gguf file"
    )
