"""The audit log: append-only JSONL, one line per request, each line chained to the one before.

    >>> log = AuditLog(Path("audit.jsonl"))
    >>> log.append({"endpoint": "/v1/embeddings", "status": 200})
    >>> verify(Path("audit.jsonl")).ok
    True

Every line holds `prev`, the sha256 of the line before it (its bytes without the newline; 64
zeros for the first line), and `hash`, the sha256 of its own other fields (canonical JSON). An
edited line fails its own `hash`; one edited with its hash recomputed, removed, inserted or
moved fails the next line's `prev`. `verify` names the first line that fails.

Appends from several worker processes are serialised by an exclusive `flock` on the file and
written with O_APPEND: a line is in the file before the request's response ends, so it
survives a crash of the process (`kill -9`). Against a power cut the file is fsynced at most
every `fsync_ms` (0: after every line, which costs about half a millisecond a request), the
same promise as the state database's WAL with `synchronous=NORMAL`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inhouse.errors import InhouseError

GENESIS = "0" * 64
TAIL_CHUNK = 65_536


def line_hash(line: bytes) -> str:
    """sha256 of one line's bytes, without its newline."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def _own_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _last_line(fd: int, size: int) -> bytes:
    """The last complete line of the file open at `fd` (b'' for an empty file)."""
    end, buf = size, b""
    while end > 0:
        start = max(0, end - TAIL_CHUNK)
        buf = os.pread(fd, end - start, start) + buf
        cut = buf.rstrip(b"\n").rfind(b"\n")
        if cut >= 0:
            return buf[cut + 1 :]
        end = start
    return buf


class AuditLog:
    """Appends hash-chained JSON lines to one file, safely across threads and processes."""

    def __init__(self, path: Path, fsync_ms: float = 0.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fsync_s = fsync_ms / 1000
        self._lock = threading.Lock()
        self._known: tuple[int, int, str] | None = None  # (inode, size, hash of last line)
        self._synced = 0.0  # time.monotonic() of the last fsync
        self._timer: threading.Timer | None = None  # a pending fsync of lines written since

    def append(self, record: dict[str, Any]) -> str:
        """Write `record` as the next line (its `prev` set here); returns that line's hash."""
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                st = os.fstat(fd)
                if self._known is not None and self._known[:2] == (st.st_ino, st.st_size):
                    prev = self._known[2]  # nobody else wrote since our last line
                else:
                    rfd = os.open(self.path, os.O_RDONLY)
                    try:
                        last = _last_line(rfd, st.st_size)
                    finally:
                        os.close(rfd)
                    prev = line_hash(last) if last.strip() else GENESIS
                body = {**record, "prev": prev}
                line = json.dumps(
                    {**body, "hash": _own_hash(body)}, ensure_ascii=False, separators=(",", ":")
                ).encode("utf-8")
                os.write(fd, line + b"\n")
                now = time.monotonic()
                if now - self._synced >= self.fsync_s:
                    os.fsync(fd)
                    self._synced = now
                elif self._timer is None:
                    self._timer = threading.Timer(self.fsync_s, self.sync)
                    self._timer.daemon = True
                    self._timer.start()
                digest = line_hash(line)
                self._known = (st.st_ino, st.st_size + len(line) + 1, digest)
                return digest
            finally:
                os.close(fd)  # closing releases the lock

    def sync(self) -> None:
        """fsync the lines written since the last fsync (the timer's call, and at shutdown)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self.path.exists():
                return
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self._synced = time.monotonic()


@dataclass(frozen=True)
class Verdict:
    """What `verify` found."""

    lines: int
    broken_line: int | None  # 1-based number of the first line whose chain does not hold
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_line is None


def verify(path: Path) -> Verdict:
    """Check every line's `prev` against the line before it; name the first that fails."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InhouseError(f"{path}: cannot read the audit log ({e.strerror})") from None
    prev, lines = GENESIS, data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:  # a last line with no newline: cut off mid-write, or edited
        return Verdict(len(lines), len(lines), "the last line is incomplete (no newline)")
    for n, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except ValueError:
            return Verdict(len(lines), n, "not a JSON line")
        if not isinstance(record, dict) or record.get("hash") != _own_hash(
            {k: v for k, v in record.items() if k != "hash"}
        ):
            return Verdict(len(lines), n, "its hash does not match its contents: it was edited")
        if record.get("prev") != prev:
            before = f"line {n - 1}" if n > 1 else "nothing"
            why = f"it does not follow {before}: a line was edited, removed, inserted or moved"
            return Verdict(len(lines), n, why)
        prev = line_hash(line)
    return Verdict(len(lines), None)
