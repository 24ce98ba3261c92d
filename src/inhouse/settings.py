"""One typed settings model: flags, `INHOUSE_*` variables and an optional `inhouse.toml`.

Precedence, highest first: explicit values (CLI flags), environment variables, `inhouse.toml`
in the working directory (or the file named by `INHOUSE_CONFIG`), then defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from inhouse.errors import ConfigError

CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "inhouse"


def _config_file() -> Path:
    return Path(os.environ.get("INHOUSE_CONFIG", "inhouse.toml"))


def project_dir() -> Path:
    """The project: the folder of its settings file (`INHOUSE_CONFIG`, else `inhouse.toml` in
    the working directory), whether or not that file exists."""
    return _config_file().resolve().parent


def _project_registry() -> Path:
    return project_dir() / ".inhouse" / "models.json"


class Settings(BaseSettings):
    """Where inhouse keeps and finds things."""

    model_config = SettingsConfigDict(env_prefix="INHOUSE_", extra="forbid")

    data_dir: Path | None = Field(
        default=None,
        description="Benchmark datasets folder. Unset: download into `<cache_dir>/datasets`.",
    )
    cache_dir: Path = Field(
        default=CACHE_HOME, description="Downloads, embeddings caches and pulled models."
    )
    registry: Path = Field(
        default_factory=_project_registry,
        description=(
            "The model registry: which model weights this project uses, with sha256. Default: "
            "`.inhouse/models.json` beside the project's `inhouse.toml` (the working directory)."
        ),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="WARNING", description="Logging level for the `inhouse` logger."
    )
    pii_patterns: dict[str, str] = Field(
        default_factory=dict,
        description="Extra PII patterns to redact: label -> regular expression.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)


def get_settings(**overrides: Any) -> Settings:
    """Settings with CLI overrides applied; `None` overrides are ignored.

    A bad value in `inhouse.toml` or an `INHOUSE_*` variable is a `ConfigError` naming it.
    """
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(
            f"{_config_file()}: not valid TOML ({e}); fix it, or set INHOUSE_CONFIG to another file"
        ) from None
    except SettingsError as e:  # an INHOUSE_* variable that does not parse, e.g. bad JSON
        raise ConfigError(
            f"invalid settings ({e}); a dict-valued INHOUSE_* variable takes JSON, e.g. "
            """INHOUSE_PII_PATTERNS='{"MEMBER": "M-[0-9]{6}"}'"""
        ) from None
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise ConfigError(
            f"invalid settings ({problems}). Check the flags, the INHOUSE_* variables and "
            f"{_config_file()}; valid keys: {', '.join(Settings.model_fields)}"
        ) from None
