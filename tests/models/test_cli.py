"""`inhouse models ...` through the real entry point: output, exit codes, clean errors."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from ._util import cli_in_process, closed_port, run_cli, write_hf_folder


@pytest.fixture
def cli(monkeypatch, capsys):
    return partial(cli_in_process, monkeypatch, capsys)


def _clean_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert err.startswith("error: "), err
    assert "Traceback" not in err
    flat = " ".join(err.split())  # messages may wrap
    for fragment in fragments:
        assert fragment in flat, err


def _row(out: str, name: str) -> str:
    """The `models list` row of `name` (tab-separated: the output is not a terminal)."""
    return next(line for line in out.splitlines() if line.split("\t")[0] == name)


def test_list_shows_the_default_verified_and_the_catalogue(cli) -> None:
    code, out, err = cli("list", "--catalogue")
    assert code == 0, err
    row = _row(out, "all-MiniLM-L6-v2")
    assert "verified" in row and "hf-folder" in row and "embedding" in row
    assert "not verified" not in row
    assert "DeepSeek-R1-Distill-Qwen-7B" in out and "Apache-2.0" in out


def test_add_verify_tamper_remove(cli, tmp_path: Path) -> None:
    folder = write_hf_folder(tmp_path / "qwen-local", weights=b"w" * 100)
    code, out, err = cli("add", str(folder), "--name", "local")
    assert code == 0 and "added local (hf-folder, 1 weight file(s)" in out, err
    code, out, _ = cli("verify", "local")
    assert code == 0 and "ok local" in out
    (folder / "pytorch_model.bin").write_bytes(b"x" * 100)
    code, _, err = cli("verify")
    _clean_error(code, err, str(folder / "pytorch_model.bin"), "sha256 mismatch")
    assert "not verified" in _row(cli("list")[1], "local")
    code, out, _ = cli("remove", "local")
    assert code == 0 and "were not touched" in out
    assert (folder / "pytorch_model.bin").exists()


def test_bad_inputs_exit_2_with_a_clean_message(cli, tmp_path: Path) -> None:
    _clean_error(*cli("add", str(tmp_path / "missing"))[::2], "no such file or folder")
    junk = tmp_path / "model.gguf"
    junk.write_bytes(b"<!DOCTYPE html>")
    _clean_error(*cli("add", str(junk))[::2], "not a GGUF file")
    _clean_error(*cli("verify", "ghost")[::2], "no model called 'ghost'")
    _clean_error(*cli("remove", "all-MiniLM-L6-v2")[::2], "cannot be removed")


def test_pull_without_a_reachable_hub_fails_cleanly(registry: Path, tmp_path: Path) -> None:
    # a subprocess: huggingface_hub reads HF_ENDPOINT and HF_HUB_OFFLINE when first imported
    port = closed_port()
    env = {"HF_ENDPOINT": f"http://127.0.0.1:{port}", "HF_HUB_OFFLINE": "0"}
    r = run_cli("pull", "Qwen/Qwen3-0.6B", env=env)
    _clean_error(
        r.returncode,
        r.stderr,
        "cannot pull Qwen/Qwen3-0.6B",
        f"http://127.0.0.1:{port}",
        "inhouse models add PATH --name Qwen3-0.6B",
    )
    assert not (tmp_path / "cache" / "models" / "Qwen--Qwen3-0.6B").exists()  # nothing left
    assert not registry.exists() or "Qwen3-0.6B" not in registry.read_text()
    r = run_cli("pull", "Qwen/Qwen3-0.6B", env={**env, "HF_HUB_OFFLINE": "1"})
    _clean_error(r.returncode, r.stderr, "HF_HUB_OFFLINE is set", "inhouse models add PATH")


def test_pull_rejects_a_malformed_id(cli) -> None:
    _clean_error(*cli("pull", "not-an-id")[::2], "not a Hugging Face model id")
