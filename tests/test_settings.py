"""Settings come from flags, then INHOUSE_* variables, then inhouse.toml, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.errors import ConfigError
from inhouse.settings import get_settings


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INHOUSE_DATA_DIR", raising=False)
    (tmp_path / "inhouse.toml").write_text('data_dir = "/from/toml"\nlog_level = "INFO"\n')
    assert get_settings().data_dir == Path("/from/toml")
    assert get_settings().log_level == "INFO"
    monkeypatch.setenv("INHOUSE_DATA_DIR", "/from/env")
    assert get_settings().data_dir == Path("/from/env")
    assert get_settings(data_dir=Path("/from/flag")).data_dir == Path("/from/flag")
    assert get_settings(data_dir=None).data_dir == Path("/from/env")


def test_unknown_key_in_toml_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inhouse.toml").write_text('data_dri = "/typo"\n')
    with pytest.raises(ConfigError, match="data_dri.*valid keys: data_dir"):
        get_settings()


def test_pii_patterns_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INHOUSE_PII_PATTERNS", '{"member_id": "M-\\\\d{6}"}')
    assert get_settings().pii_patterns == {"member_id": r"M-\d{6}"}
