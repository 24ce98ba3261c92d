"""`serve.toml`: paths relative to the file, errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.errors import ConfigError
from inhouse.serve.config import load_config


def test_paths_are_read_from_the_config_folder_and_defaults_apply(tmp_path: Path) -> None:
    (tmp_path / "serve.toml").write_text('[recommenders]\nshop = "models/rec"\n')
    config = load_config(tmp_path / "serve.toml")
    assert config.recommenders["shop"] == tmp_path / "models" / "rec"
    assert config.state == tmp_path / "inhouse-state.sqlite3"
    assert config.embedders == ["all-MiniLM-L6-v2"] and config.cors_origins == []
    assert not config.log_bodies and not config.metrics_public
    assert config.usd_per_cpu_second() > 0  # the price table's default machine


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("max_body_bytes = -1", "max_body_bytes: Input should be greater than 0"),
        ("log_bodies = 'sometimes'", "log_bodies: Input should be a valid boolean"),
        ("workers = 4", "workers: unknown field; the fields are: recommenders"),
        ("tokenizer = 'gpt2'", "tokenizer: Input should be 'o200k'"),
        ("[support]\nindex = 'kb'", "support.index = 'kb' is not in [indexes]"),
        ("state = ", "not valid TOML"),
        ("[routers]\nshop = 'r'\n[indexes]\nshop = 'i'", "model name 'shop' in indexes is taken"),
        ("[indexes]\ninhouse-support = 'i'", "taken by the support assistant"),
        ("state = 's.db'\nstate_url = 'postgresql://db/x'", "Can't give both `state`"),
        (
            "state_url = 'mysql://db/x'",
            "state_url: not a PostgreSQL URL; write it as postgresql://",
        ),
    ],
)
def test_bad_config_names_file_and_field(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "serve.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value).startswith(f"{path}: ") and fragment in str(e.value)


def test_a_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file; write one"):
        load_config(tmp_path / "nope.toml")


def test_the_documented_example_loads_and_every_field_is_documented(tmp_path: Path) -> None:
    from inhouse.serve.config import ServeConfig

    doc = (Path(__file__).parents[2] / "docs" / "serve.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "serve.toml").write_text(example)
    config = load_config(tmp_path / "serve.toml")
    assert config.support_parts() == ("bank-router", "bank-help")
    assert config.recommenders["shop"] == tmp_path / "models" / "rec"
    for field in ServeConfig.model_fields:
        assert f"| `{field}` |" in doc, f"docs/serve.md does not document {field}"


def test_the_secret_sits_beside_sqlite_or_the_config_with_postgres(tmp_path: Path) -> None:
    (tmp_path / "serve.toml").write_text('state = "db/s.sqlite3"\n')
    assert load_config(tmp_path / "serve.toml").state_secret == tmp_path / "db/s.sqlite3.secret"
    (tmp_path / "serve.toml").write_text('state_url = "postgresql://app@db:5432/inhouse"\n')
    config = load_config(tmp_path / "serve.toml")
    assert config.state_url == "postgresql://app@db:5432/inhouse"
    assert config.state_secret == tmp_path / "inhouse-state.secret"
    (tmp_path / "serve.toml").write_text('state_url = "postgres://db/x"\nstate_secret = "k/s"\n')
    assert load_config(tmp_path / "serve.toml").state_secret == tmp_path / "k/s"
