"""Atomic file writes: write to a temporary file beside the target, then rename.

A crash at any point leaves either the old file or the new one, never half of one. Versioned
folders (`write_version`) do the same for a whole folder of files. Temporaries are named
`.NAME.PID.RANDOM.tmp`; the next save into the folder removes those whose process is gone (a
`kill -9` mid-save). What is written gets the user's umask, like any file the user creates.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress


ORPHAN_AGE_S = 3600  # a temporary without a process id is an orphan once this old
_TEMPORARY = re.compile(r"^\..+\.tmp$")
_PID = re.compile(r"\.(\d+)\.[^.]+\.tmp$")


def umask() -> int:
    """The process's umask (read from /proc where it can be, else set and restored)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temporary_prefix(name: str) -> str:
    """`.NAME.PID.`: how a temporary for `name` begins (`remove_orphans` reads the PID)."""
    return f".{name}.{os.getpid()}."


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_orphans(folder: Path, name: str | None = None) -> list[Path]:
    """Remove the temporaries (`.NAME.PID.RANDOM.tmp`, files or folders) in `folder` that a
    killed save left: their process is gone, or, without a process id, they are older than
    `ORPHAN_AGE_S`. Another live process's temporaries are left alone. `name`: only those of
    that file (in a folder that is not ours alone). Returns what went."""
    removed = []
    for entry in Path(folder).iterdir() if Path(folder).is_dir() else []:
        if not _TEMPORARY.match(entry.name):
            continue
        if name is not None and not entry.name.startswith(f".{name}."):
            continue
        found = _PID.search(entry.name)
        try:
            if found is not None and _alive(int(found.group(1))):
                continue
            if found is None and time.time() - entry.lstat().st_mtime < ORPHAN_AGE_S:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except FileNotFoundError:
            continue  # removed meanwhile
        removed.append(entry)
    return removed


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, creating parent folders; the temporaries of earlier
    writes of `path` that were killed are removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path.name), suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~umask())  # mkstemp makes 0600
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


def version_numbers(root: Path) -> list[int]:
    """The numbers of the version folders `root/vNNNN`, ascending."""
    found = [p.name[1:] for p in Path(root).glob("v[0-9][0-9][0-9][0-9]*") if p.is_dir()]
    return sorted(int(n) for n in found if n.isdigit())


def write_version(root: Path, write: Callable[[Path], None]) -> Path:
    """Build a new version folder `root/vNNNN` with `write(folder)`, then make it current.

    The folder is built under a temporary name and renamed when complete, and `root/current` is
    replaced atomically last, so a crash at any point leaves the previous version live. The
    temporaries of earlier saves that were killed are removed first (`remove_orphans`).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    remove_orphans(root)
    name = f"v{max(version_numbers(root), default=0) + 1:04d}"
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=temporary_prefix(name), suffix=".tmp"))
    try:
        os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes 0700
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


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Build a folder under a temporary name beside `target`; it becomes `target` on success.

    An existing `target` is replaced only once the new folder is complete; on an error the
    temporary is removed and `target` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(target.parent, target.name)
    tmp = Path(
        tempfile.mkdtemp(dir=target.parent, prefix=temporary_prefix(target.name), suffix=".tmp")
    )
    try:
        os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes 0700
        yield tmp
        old = None
        if target.exists():
            old = Path(
                tempfile.mkdtemp(
                    dir=target.parent, prefix=temporary_prefix(target.name), suffix=".tmp"
                )
            )
            os.rename(target, old / target.name)
        os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
