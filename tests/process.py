"""`inhouse` run as a real process, as a user runs it: for tests of what reaches the terminal."""

from __future__ import annotations

import os
import subprocess
import sys


def run_inhouse(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m inhouse ARGS...` with this environment plus `env`; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "inhouse", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
