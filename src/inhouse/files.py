"""Atomic file writes: write to a temporary file beside the target, then rename.

A crash at any point leaves either the old file or the new one, never half of one. Versioned
folders (`write_version`) do the same for a whole folder of files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, creating parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 `text` to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


# ---------------------------------------------------------------- versioned folders

CURRENT = "current"  # file naming the live version folder, replaced atomically
SAVE_SLEEP_ENV = "INHOUSE_TEST_SLEEP_IN_SAVE"  # tests: seconds to sleep mid-save, to crash it


def current_version(root: Path) -> Path | None:
    """The live version folder under `root` (`root/current` names it), or None if none yet."""
    pointer = Path(root) / CURRENT
    if not pointer.is_file():
        return None
    folder = Path(root) / pointer.read_text(encoding="utf-8").strip()
    return folder if folder.is_dir() else None


def write_version(root: Path, write: Callable[[Path], None]) -> Path:
    """Build a new version folder `root/vNNNN` with `write(folder)`, then make it current.

    The folder is built under a temporary name and renamed when complete, and `root/current` is
    replaced atomically last, so a crash at any point leaves the previous version live.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[1:]) for p in root.glob("v[0-9][0-9][0-9][0-9]*") if p.name[1:].isdigit()]
    name = f"v{max(numbers, default=0) + 1:04d}"
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}.", suffix=".tmp"))
    try:
        write(tmp)
        if os.environ.get(SAVE_SLEEP_ENV):
            time.sleep(float(os.environ[SAVE_SLEEP_ENV]))
        for f in tmp.rglob("*"):
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        os.rename(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_text(root / CURRENT, name + "\n")
    return root / name


def byte_progress(description: str = "{task.description}", stderr: bool = False) -> Progress:
    """A transient Rich progress bar counting bytes (size, speed, time left), for downloads and
    hashing of large files."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn(description),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=Console(stderr=stderr), transient=True)
