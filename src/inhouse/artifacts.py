"""Recommender artifacts: versioned folders (`DIR/v0001`, `DIR/current`) with a manifest.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inhouse import files
from inhouse.errors import ModelError

MANIFEST = "manifest.json"


def write_version(root: Path, manifest: dict[str, Any], write: Callable[[Path], None]) -> Path:
    """Write a model with `write(folder)` plus its manifest into a new live version of `root`."""

    def build(folder: Path) -> None:
        write(folder)
        record = {**manifest, "version": None, "created": datetime.now(UTC).isoformat()}
        (folder / MANIFEST).write_text(json.dumps(record, indent=2, default=str) + "\n")

    return files.write_version(root, build)


def read_version(path: Path) -> tuple[Path, dict[str, Any]]:
    """The version folder and manifest for `path`: a model root (its current version) or a
    version folder itself."""
    path = Path(path)
    folder = path if (path / MANIFEST).is_file() else files.current_version(path)
    if folder is None:
        raise ModelError(
            f"{path}: no saved recommender here (no {files.CURRENT} pointer or {MANIFEST}); "
            "create one with `inhouse recommend fit ... --out DIR`"
        )
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ModelError(
            f"{folder / MANIFEST}: unreadable manifest ({e}); re-fit the model"
        ) from None
    manifest["version"] = folder.name
    return folder, manifest
