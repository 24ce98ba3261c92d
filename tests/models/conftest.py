"""Every test here gets its own registry and cache under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "registry" / "models.json"
    monkeypatch.setenv("INHOUSE_REGISTRY", str(path))
    monkeypatch.setenv("INHOUSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("INHOUSE_CONFIG", str(tmp_path / "no-inhouse.toml"))
    return path
