"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, then pg_ctl.

    >>> with server(binaries()) as url:          # about 2 s; fsync off, nothing kept
    ...     psycopg.connect(url)

It listens on 127.0.0.1 at a free port and on a unix socket in its own folder, trusts local
connections, and is stopped and deleted at the end. As root (initdb refuses to run as root) it
runs as the `postgres` user, else `nobody`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEBIAN = Path("/usr/lib/postgresql")  # Debian's postgresql package: /usr/lib/postgresql/15/bin


def binaries() -> Path | None:
    """The folder of initdb, pg_ctl and postgres: on PATH, else Debian's newest; None if none."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = [p.parent for p in DEBIAN.glob("*/bin/initdb") if p.parent.parent.name.isdigit()]
    return max(versions, key=lambda p: int(p.parent.name)) if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_server_user(folder: Path) -> list[str]:
    """The command prefix that runs the server's programs as an unprivileged user, if needed."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        os.chown(folder, user.pw_uid, user.pw_gid)
        return ["runuser", "-u", name, "--"]
    raise RuntimeError("running as root with neither a `postgres` nor a `nobody` user")


@contextmanager
def server(bindir: Path) -> Iterator[str]:
    """Start a fresh PostgreSQL from `bindir`; yield its URL (user postgres, db postgres)."""
    folder = Path(tempfile.mkdtemp(prefix="inhouse-pg-"))
    data, log, port = folder / "data", folder / "log", _free_port()
    user = _as_server_user(folder)

    def run(*args: str | Path) -> None:
        done = subprocess.run([*user, *map(str, args)], capture_output=True, text=True)
        if done.returncode != 0:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}{tail}")

    options = (
        f"-F -k {folder} -p {port} -c listen_addresses=127.0.0.1 "
        "-c full_page_writes=off -c synchronous_commit=off"
    )
    try:
        run(bindir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-sync", "--no-instructions")  # fmt: skip
        run(bindir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "30", "-o", options, "start")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
