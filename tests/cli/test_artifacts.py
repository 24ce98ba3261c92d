"""`inhouse artifacts list|prune|rollback DIR` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inhouse import artifacts
from inhouse.artifacts import Manifest
from inhouse.cli import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_rollback_prune(tmp_path: Path, capsys) -> None:
    root = tmp_path / "rec"
    for system in ("cooc", "ease", "als"):
        manifest = Manifest(workload="recommend", system=system, kind="baseline")
        artifacts.save(root, manifest, lambda f: (f / "w.bin").write_bytes(b"w"))
    code, out, _ = _run(capsys, "artifacts", "list", str(root))
    header, *rows = out.splitlines()  # not a terminal: TSV
    assert code == 0 and header.split("\t") == ["version", "created", "system", "size", "current"]
    assert [r.split("\t")[2] for r in rows] == ["cooc", "ease", "als"]
    assert rows[2].endswith("\tyes")
    code, out, _ = _run(capsys, "artifacts", "rollback", str(root), "--to", "v0001")
    assert code == 0 and "current is now v0001 (was v0003)" in out
    code, out, _ = _run(capsys, "artifacts", "prune", str(root), "--keep", "1")
    assert code == 0 and "deleted v0002" in out
    code, out, _ = _run(capsys, "artifacts", "list", str(root), "--json")
    listed = json.loads(out)
    assert [(v["name"], v["system"], v["current"]) for v in listed] == [
        ("v0001", "cooc", True),
        ("v0003", "als", False),
    ]
    code, _, err = _run(capsys, "artifacts", "list", str(tmp_path))
    assert code == 2 and "not an artifact folder" in err
