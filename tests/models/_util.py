"""Helpers shared by the models tests: tiny model folders and a CLI runner."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Runs only the `models` group of the CLI, through the real entry point and its error handling,
# so these tests do not depend on other groups being importable.
CLI = (
    "import sys; from inhouse.cli import groups; "
    "groups.GROUPS = {k: v for k, v in groups.GROUPS.items() if k == 'models'}; "
    "from inhouse.cli import main; main(sys.argv[1:])"
)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`inhouse models ARGS...` in a subprocess (inherits the isolated registry env)."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", CLI, "models", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=REPO,
        timeout=120,
    )


def closed_port() -> int:
    """A local TCP port with nothing listening on it (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_hf_folder(folder: Path, weights: bytes = b"\x01" * 64, arch: str = "Qwen2ForCausalLM"):
    """A tiny HF-style folder: config.json plus one weight file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"architectures": [arch]}))
    (folder / "pytorch_model.bin").write_bytes(weights)
    return folder


def cli_in_process(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """`inhouse models ARGS...` in this process via `inhouse.cli.main`: (exit code, out, err)."""
    import typer

    import inhouse.cli as cli
    from inhouse.cli import groups

    monkeypatch.setattr(cli, "app", typer.Typer(name="inhouse", pretty_exceptions_enable=False))
    monkeypatch.setattr(groups, "GROUPS", {"models": groups.GROUPS["models"]})
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()
    try:
        cli.main(["models", *args])
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
