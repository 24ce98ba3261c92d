"""Saved artifacts (routers, indexes, suggesters, recommenders): one manifest, one writer, one
reader, and the record each registry keeps per system.

    >>> folder = save(root, Manifest(workload="recommend", system="cooc", kind="baseline"), write)
    >>> folder, manifest = read(root)          # root/current's version, or a version folder

An artifact is a versioned folder (`root/v0001`, `root/current`, see `files.write_version`): a
crash mid-save leaves the previous version live. `manifest.json` sits beside the artifact's
own files (weights, indexes, features.onnx).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inhouse import __version__, files
from inhouse.errors import InhouseError, ModelError

FORMAT = 2  # 0.1.0 wrote router.json (its format 1) and manifests without a format field
MANIFEST = "manifest.json"
LEGACY_ROUTER = "router.json"

# how to make each workload's artifact again, named in every "rebuild it" message
REBUILD = {
    "recommend": "inhouse recommend fit --catalog FILE --events FILE --system NAME --out DIR",
    "support-routing": "inhouse support fit-router --tickets FILE --system NAME --out DIR",
    "support-retrieval": "inhouse support index --articles FILE --system NAME --out DIR",
    "support-responses": (
        "Suggester(...).fit(tickets) then .save(DIR), from inhouse.support.answer.suggest"
    ),
}

NOUNS = {  # what each workload's artifact is called in messages
    "recommend": "recommender",
    "support-routing": "router",
    "support-retrieval": "index",
    "support-responses": "suggester",
}


class ModelRecord(BaseModel):
    """The model an artifact's vectors come from (`inhouse.models.embedder.Fingerprint`)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    name: str
    """Registry name of the model, e.g. all-MiniLM-L6-v2: what loading resolves it by."""
    sha256: str
    """sha256 of its weights; a model with other weights is refused at load."""
    dim: int
    """Dimension of its vectors."""


class Manifest(BaseModel):
    """What every saved artifact records about itself, in its `manifest.json`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    format: int = FORMAT
    """Version of this schema; folders of another format are refused with how to rebuild."""
    workload: str
    """recommend, support-routing, support-retrieval or support-responses (keys of REBUILD)."""
    system: str
    """The registry system that reads it back (`SYSTEMS[system].load`)."""
    kind: str
    """Bench kind: baseline, off-the-shelf or in-house."""
    base_model: ModelRecord | None = None
    """The embedder it was built with, None when it uses none."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """The parameters it was built with: enough to construct it again."""
    metrics: dict[str, Any] = Field(default_factory=dict)
    """Validation figures measured when it was built (calibration, validation metrics)."""
    state: dict[str, Any] = Field(default_factory=dict)
    """Small system-specific values saved with it (classes, threshold, data sha256, ...)."""
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    """When it was written (UTC, ISO 8601)."""
    inhouse: str = __version__
    """The inhouse version that wrote it."""

    def dumps(self) -> str:
        """The JSON text of `manifest.json` (values JSON cannot hold are written as text)."""
        return json.dumps(self.model_dump(), indent=2, default=str) + "\n"


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write `manifest.json` into `folder` (a version being built, or a part of one), atomically."""
    files.atomic_write_text(Path(folder) / MANIFEST, manifest.dumps())


def save(root: Path, manifest: Manifest, write: Callable[[Path], None]) -> Path:
    """Write `write(folder)` plus `manifest` as a new live version of `root`; returns its folder.

    A folder that holds something other than artifact versions is refused, not mixed into.
    """
    root = Path(root)
    visible = [p for p in root.iterdir() if not p.name.startswith(".")] if root.is_dir() else []
    if visible and files.current_version(root) is None:  # hidden: a crashed save's leftovers
        raise InhouseError(
            f"{root}: exists and is not an inhouse artifact folder (no {files.CURRENT} "
            "pointer); choose another --out, or delete the folder first"
        )

    def build(folder: Path) -> None:
        write(folder)
        write_manifest(folder, manifest)

    return files.write_version(root, build)


def read(path: Path, workload: str) -> tuple[Path, Manifest]:
    """The version folder and manifest of the `workload` artifact at `path`: its root (the live
    version) or a version folder (or a part of one) itself. Other formats are refused."""
    path = Path(path)
    rebuild = f"rebuild it with `{REBUILD[workload]}`"
    folder = path if (path / MANIFEST).is_file() else files.current_version(path)
    if folder is None:
        if (path / LEGACY_ROUTER).is_file():
            raise ModelError(
                f"{path / LEGACY_ROUTER}: a router saved by inhouse 0.1.0 (router.json format "
                f"1), which this version cannot read; {rebuild}"
            )
        noun = NOUNS[workload]
        raise ModelError(
            f"{path}: no saved {noun} here (not a {noun} folder: no {files.CURRENT} pointer or "
            f"{MANIFEST}); create one with `{REBUILD[workload]}`"
        )
    file = folder / MANIFEST
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        where = f"{file}:{e.lineno}" if isinstance(e, json.JSONDecodeError) else str(file)
        raise ModelError(f"{where}: unreadable manifest ({e}); {rebuild}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else None
        why = (
            f"manifest format {found}, but this version of inhouse reads format {FORMAT}"
            if found is not None
            else f"written by inhouse 0.1.0 (no manifest format; this version reads {FORMAT})"
        )
        raise ModelError(f"{file}: {why}; {rebuild}")
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as e:
        raise ModelError(
            f"{file}: not a valid manifest ({e.errors()[0]['msg']}); {rebuild}"
        ) from None
    if manifest.workload != workload:
        raise ModelError(
            f"{file}: holds a {manifest.workload} artifact ({manifest.system}), not a {workload} "
            f"one; give a folder made by `{REBUILD[workload]}`"
        )
    return folder, manifest


@dataclass(frozen=True)
class Version:
    """One saved version of an artifact folder, as `inhouse artifacts list` shows it."""

    name: str
    """Its folder name, `vNNNN`."""
    created: str | None
    """When it was written (its manifest's `created`), None when the manifest is unreadable."""
    workload: str | None
    system: str | None
    size_bytes: int
    """Bytes of every file in it."""
    current: bool
    """It is the live version (`root/current` names it)."""


def _root(root: Path) -> Path:
    root = Path(root)
    if files.current_version(root) is None:
        raise InhouseError(
            f"{root}: not an artifact folder (no {files.CURRENT} pointer to a version); give a "
            "folder written by fit, fit-router or index"
        )
    return root


def versions(root: Path) -> list[Version]:
    """Every version folder under `root`, oldest first."""
    root = _root(root)
    live = files.current_version(root)
    out = []
    for n in files.version_numbers(root):
        folder = root / f"v{n:04d}"
        try:
            meta = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            meta = {}
        meta = meta if isinstance(meta, dict) else {}
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        out.append(
            Version(
                folder.name,
                meta.get("created"),
                meta.get("workload"),
                meta.get("system"),
                size,
                live is not None and folder.name == live.name,
            )
        )
    return out


def prune(root: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` versions, never the current one; returns the names
    deleted. Each is renamed to a temporary first, so a crash never leaves half a version."""
    if keep < 1:
        raise InhouseError(f"--keep {keep}: keep at least 1 version")
    found = versions(root)
    kept = {v.name for v in found[-keep:]} | {v.name for v in found if v.current}
    gone = []
    for v in found:
        if v.name in kept:
            continue
        doomed = Path(
            tempfile.mkdtemp(dir=root, prefix=files.temporary_prefix(v.name), suffix=".tmp")
        )
        os.replace(Path(root) / v.name, doomed / v.name)
        shutil.rmtree(doomed)
        gone.append(v.name)
    return gone


def rollback(root: Path, to: str | None = None) -> tuple[str, str]:
    """Make `to` (default: the version before the current one) the live version, by replacing
    `root/current` atomically; returns (was, now)."""
    found = versions(root)
    (live,) = [v.name for v in found if v.current]
    names = [v.name for v in found]
    if to is None:
        older = names[: names.index(live)]
        if not older:
            raise InhouseError(
                f"{root}: {live} is the oldest version; there is none to roll back to"
            )
        to = older[-1]
    elif to not in names:
        raise InhouseError(f"{root}: no version {to!r}; choose one of {', '.join(names)}")
    if not (Path(root) / to / MANIFEST).is_file():
        raise InhouseError(f"{Path(root) / to}: has no {MANIFEST}; it cannot be served")
    files.atomic_write_text(Path(root) / files.CURRENT, to + "\n")
    return live, to


T = TypeVar("T")


@dataclass(frozen=True)
class System(Generic[T]):
    """One registry entry: a system as a data record. Adding a system is adding a record."""

    name: str
    """What users type (`--system NAME`) and the manifest's `system`."""
    kind: str
    """Bench kind: baseline, off-the-shelf or in-house."""
    description: str
    """One line for listings and `--help`."""
    build: Callable[..., T]
    """A fresh, unfitted system: `build(**parameters)` (each registry documents its arguments)."""
    load: Callable[..., T]
    """Read a saved one back: `load(folder, ..., manifest)` (each registry documents its own)."""
    defaults: dict[str, Any] = field(default_factory=dict)
    """Parameters `build` is given unless the caller overrides them (see `make`)."""

    def make(self, *args: Any, **parameters: Any) -> T:
        """`build(*args, **defaults)`, with `parameters` overriding the defaults."""
        return self.build(*args, **{**self.defaults, **parameters})


def by_name(*records: System[T]) -> dict[str, System[T]]:
    """A registry's `SYSTEMS`: name -> record, in the order given."""
    assert len({r.name for r in records}) == len(records), "two records share a name"
    return {r.name: r for r in records}


def record_for(systems: dict[str, System[T]], folder: Path, manifest: Manifest) -> System[T]:
    """The record that reads the artifact in `folder` back (its manifest's `system`)."""
    if manifest.system not in systems:
        raise ModelError(
            f"{folder / MANIFEST}: unknown {manifest.workload} system {manifest.system!r} "
            f"(known: {', '.join(systems)}); rebuild it with `{REBUILD[manifest.workload]}`"
        )
    return systems[manifest.system]


def unknown_system(what: str, name: str, systems: dict[str, Any]) -> str:
    """`unknown router system 'x'; choose one of a, b`: the one message for a name not known."""
    return f"unknown {what} {name!r}; choose one of {', '.join(systems)}"
