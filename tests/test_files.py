"""Atomic writes and versioned folders: the user's umask, and no leftovers from killed saves."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inhouse import files


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _dead_pid() -> int:
    """The id of a process that has exited."""
    code = "import os; print(os.getpid())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_and_versions_get_the_users_umask(tmp_path: Path, umask_022) -> None:
    files.atomic_write_text(tmp_path / "report.html", "<p>hi</p>")
    assert _mode(tmp_path / "report.html") == 0o644  # not mkstemp's 0600
    folder = files.write_version(tmp_path / "a", lambda f: (f / "w.bin").write_bytes(b"w"))
    assert _mode(folder) == 0o755  # not mkdtemp's 0700
    assert _mode(folder / "w.bin") == 0o644 and _mode(tmp_path / "a" / "current") == 0o644
    os.umask(0o077)
    files.atomic_write_text(tmp_path / "private.txt", "x")
    assert _mode(tmp_path / "private.txt") == 0o600  # a stricter umask is kept too
    assert files.umask() == 0o077


def test_orphans_of_dead_processes_go_and_live_ones_stay(tmp_path: Path) -> None:
    pid = _dead_pid()  # a process that has exited
    (tmp_path / f".v0002.{pid}.k2j3h4.tmp").mkdir()
    (tmp_path / f".current.{pid}.abc.tmp").write_text("v0002")
    mine = tmp_path / f".v0003.{os.getpid()}.zz.tmp"  # a save under way in this process
    mine.mkdir()
    legacy_new = tmp_path / ".v0004.abcd.tmp"  # no process id, recent: may be under way
    legacy_new.mkdir()
    legacy_old = tmp_path / ".v0001.efgh.tmp"
    legacy_old.mkdir()
    old = time.time() - files.ORPHAN_AGE_S - 10
    os.utime(legacy_old, (old, old))
    (tmp_path / "v0001").mkdir()
    (tmp_path / ".hidden-notes").write_text("not a temporary")
    removed = files.remove_orphans(tmp_path)
    assert sorted(p.name for p in removed) == sorted(
        [f".v0002.{pid}.k2j3h4.tmp", f".current.{pid}.abc.tmp", ".v0001.efgh.tmp"]
    )
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([mine.name, legacy_new.name, "v0001", ".hidden-notes"])


def test_a_write_removes_only_its_own_files_orphans(tmp_path: Path) -> None:
    dead = _dead_pid()
    mine = tmp_path / f".report.html.{dead}.abc.tmp"  # a killed write of report.html
    mine.write_text("half")
    other = tmp_path / f".notes.txt.{dead}.abc.tmp"  # not this file's: left alone
    other.write_text("x")
    files.atomic_write_text(tmp_path / "report.html", "<p>whole</p>")
    assert not mine.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([other.name, "report.html"])
