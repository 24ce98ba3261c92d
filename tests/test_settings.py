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


def test_the_registry_is_per_project_by_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("INHOUSE_REGISTRY", raising=False)
    monkeypatch.delenv("INHOUSE_CONFIG", raising=False)
    for project in ("shop", "bank"):
        (tmp_path / project).mkdir()
        monkeypatch.chdir(tmp_path / project)
        assert get_settings().registry == tmp_path / project / ".inhouse" / "models.json"
    # a settings file named elsewhere makes its folder the project
    monkeypatch.setenv("INHOUSE_CONFIG", str(tmp_path / "shop" / "inhouse.toml"))
    assert get_settings().registry == tmp_path / "shop" / ".inhouse" / "models.json"
    (tmp_path / "shop" / "inhouse.toml").write_text('registry = "/shared/models.json"\n')
    assert get_settings().registry == Path("/shared/models.json")
