"""The record beside every LoRA adapter, `inhouse-adapter.json`, and the check that an adapter
goes only onto the base model it was trained on (same weights sha256).

    >>> record = read_adapter(Path("./acme-lora"))
    >>> check_base(Path("./acme-lora"), record, resolve_base("SmolLM2-135M-Instruct"))

It lives beside the registry so that every layer that loads a generator (`inhouse.generate`,
`inhouse.tune`) can make the check; training and merging are in `inhouse.tune.adapters`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inhouse import __version__
from inhouse.errors import ModelError
from inhouse.models.registry import ensure_verified, read_registry
from inhouse.models.weights import Format, combined_sha256, inspect_path, sha256_files

RECORD = "inhouse-adapter.json"
RECORD_FORMAT = 1


class BaseRef(BaseModel):
    """The base model an adapter was trained on, pinned by its weights' sha256."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    name: str | None
    """Its registry name, None when it was given as a path that is not registered."""
    path: Path
    """The HF folder or .gguf file it was read from."""
    format: Format
    """`hf-folder` or `gguf` (a GGUF base is dequantised to float32 for training)."""
    sha256: str
    """sha256 of its weights, as the registry computes it (`RegistryEntry.weights_sha256`)."""

    def label(self) -> str:
        return self.name or str(self.path)


class AdapterRecord(BaseModel):
    """What `inhouse-adapter.json` says about the adapter beside it."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    format: int = RECORD_FORMAT
    """Version of this record's schema."""
    base: BaseRef
    """The base model; loading the adapter onto any other is refused."""
    settings: dict[str, Any]
    """The `LoraSettings` it was trained with."""
    data: dict[str, Any]
    """The tickets file, its sha256, and how many tickets trained, were held out, were skipped."""
    log: list[dict[str, float | None]] = Field(default_factory=list)
    """One row per epoch: train and held-out loss, tokens, seconds."""
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    """When it was written (UTC)."""
    inhouse: str = __version__
    """The inhouse version that wrote it."""


def folder_sha256(path: Path) -> tuple[Format, str]:
    """The format of the model at `path` and its weights' sha256, computed as the registry does
    (one file: its sha256; a folder: the sha256 of its sorted `path sha256` lines)."""
    fmt, weights = inspect_path(path)
    keys = [w.relative_to(path).as_posix() if fmt == "hf-folder" else w.name for w in weights]
    return fmt, combined_sha256(dict(zip(keys, sha256_files(weights), strict=True)))


def resolve_base(base: str | Path) -> BaseRef:
    """A base model given as a registry name or a path (HF folder or .gguf file). A registered
    model is checked against its recorded hashes (`ensure_verified`); a path is hashed."""
    path = Path(base).expanduser()
    if path.exists():
        path = path.resolve()
        fmt, sha = folder_sha256(path)
        name = next((e.name for e in read_registry().values() if e.path == path), None)
        ref = BaseRef(name=name, path=path, format=fmt, sha256=sha)
    else:
        entry = ensure_verified(str(base))
        ref = BaseRef(
            name=entry.name, path=entry.path, format=entry.format, sha256=entry.weights_sha256()
        )
    if ref.format == "safetensors":
        raise ModelError(
            f"{ref.path}: a single .safetensors file has no config.json or tokenizer; give the "
            "Hugging Face folder it came from as --base"
        )
    return ref


def read_adapter(folder: Path) -> AdapterRecord:
    """The record of the adapter in `folder`, or a ModelError saying what is missing."""
    file = Path(folder) / RECORD
    if not file.is_file():
        raise ModelError(
            f"{folder}: not an inhouse LoRA adapter (no {RECORD}); train one with "
            "`inhouse tune lora --base MODEL --data tickets.jsonl --out FOLDER`"
        )
    try:
        return AdapterRecord.model_validate_json(file.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as e:
        raise ModelError(
            f"{file}: unreadable adapter record ({e}); train the adapter again"
        ) from None


def check_base(folder: Path, record: AdapterRecord, ref: BaseRef) -> None:
    """Refuse to put the adapter in `folder` on a base whose weights are not its own."""
    if record.base.sha256 != ref.sha256:
        raise ModelError(
            f"{Path(folder) / RECORD}: this LoRA adapter was trained on {record.base.label()} "
            f"(weights sha256 {record.base.sha256[:12]}...), not on {ref.label()} (sha256 "
            f"{ref.sha256[:12]}...); load it on its own base, or train one for this base with "
            f"`inhouse tune lora --base {ref.label()}`"
        )
