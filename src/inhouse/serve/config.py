"""`serve.toml`: what the server loads and how it meters, as one typed model.

    >>> config = load_config(Path("serve.toml"))
    >>> config.recommenders["shop"]
    PosixPath('/srv/models/rec')

Relative paths are read from the folder of the config file. A bad file is a `ConfigError`
naming the file and the field.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from inhouse.bakeoff.prices import Tokenizer
from inhouse.errors import ConfigError
from inhouse.models.embedder import DEFAULT_EMBEDDER
from inhouse.serve.keys import secret_path

SUPPORT_MODEL = "inhouse-support"  # the chat model name of the grounded support assistant


class SupportConfig(BaseModel):
    """The support assistant behind `inhouse-support` and `/v1/support/*`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    router: str | None = None
    """Name (in `[routers]`) of the router that routes its messages; None: the only one, if any."""
    index: str | None = None
    """Name (in `[indexes]`) of the help-center index it answers from; None: the only one."""
    generator: str | None = None
    """Name (in `[generators]`, or `NAME:ADAPTER` of one's `adapters`) of the model that writes
    its answers from the cited passages; None: the answers are the passages themselves
    (extractive)."""


class GeneratorConfig(BaseModel):
    """A generator: a model of this machine run in the server (a registered GGUF on llama.cpp,
    a Hugging Face folder on transformers), or one behind an OpenAI-compatible URL (vLLM,
    SGLang, llama.cpp's server, Ollama). The server connects to these URLs and nothing else
    (see `serve.egress`)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    base_url: str | None = Field(default=None, pattern=r"^https?://[^/\s]+")
    """The backend's OpenAI API root, e.g. "http://gpu-box:8000/v1"; leave it out to run
    `model` in this process."""
    model: str
    """With `base_url`: the model name the backend serves, e.g. "Qwen/Qwen2.5-7B-Instruct".
    Without: a registered model (`inhouse models list`) or the path of a .gguf file or an HF
    model folder."""
    adapter: Path | None = None
    """A LoRA adapter for a model run in this process (`inhouse tune lora`), merged in."""
    adapters: dict[str, Path] = Field(default_factory=dict)
    """LoRA adapters served on this one base (transformers only), adapter name -> folder: a
    request for `NAME:ADAPTER` answers with that adapter, one for `NAME` with the base alone.
    Each is loaded when first asked for."""
    max_adapters: int = Field(default=4, gt=0)
    """Most of `adapters` loaded at once; the least recently used is unloaded to make room."""
    threads: int | None = Field(default=None, gt=0)
    """CPU threads of a llama.cpp model (None: the backend's choice)."""
    api_key_env: str | None = None
    """Environment variable holding the backend's API key; None: it needs none."""
    timeout_s: float = Field(default=30.0, gt=0)
    """Seconds one call to a backend may take before it is retried or fails."""
    retries: int = Field(default=2, ge=0)
    """Retries, with exponential backoff, on connection errors, 408, 429 and 5xx."""
    max_tokens: int = Field(default=512, gt=0)
    """Most tokens one answer may have."""

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> GeneratorConfig:
        if self.base_url is not None and (self.adapter is not None or self.threads is not None):
            raise ValueError(
                "adapter and threads are for a model run in this process; a backend at "
                "base_url applies its own"
            )
        if self.base_url is None and self.api_key_env is not None:
            raise ValueError("api_key_env is for a backend at base_url; this model runs here")
        if self.adapters and (self.base_url is not None or self.adapter is not None):
            raise ValueError(
                "adapters go on a base model run in this process, without `adapter` (merged "
                "in) or base_url; list every adapter in `adapters`"
            )
        bad = [name for name in self.adapters if not name or ":" in name]
        if bad:
            raise ValueError(f"adapter name {bad[0]!r}: names are non-empty and have no ':'")
        return self

    def resolve(self, at: Callable[[Path], Path]) -> GeneratorConfig:
        """This generator with its adapter folders read by `at` (relative to the config)."""
        return self.model_copy(
            update={
                "adapter": at(self.adapter) if self.adapter is not None else None,
                "adapters": {n: at(p) for n, p in self.adapters.items()},
            }
        )


class ServeConfig(BaseModel):
    """Everything `inhouse serve` reads from `serve.toml`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    recommenders: dict[str, Path] = Field(default_factory=dict)
    """Recommenders to serve at /v1/recommendations: model name -> saved folder."""
    routers: dict[str, Path] = Field(default_factory=dict)
    """Intent routers to serve at /v1/support/route: model name -> saved folder."""
    indexes: dict[str, Path] = Field(default_factory=dict)
    """Help-center indexes: model name -> saved folder (made by `inhouse support index`)."""
    embedders: list[str] = Field(default_factory=lambda: [DEFAULT_EMBEDDER])
    """Embedders to serve at /v1/embeddings, by model registry name (`inhouse models list`)."""
    generators: dict[str, GeneratorConfig] = Field(default_factory=dict)
    """Generator backends by name; the only hosts the server ever connects to."""
    support: SupportConfig = Field(default_factory=SupportConfig)
    """Which router, index and generator make the support assistant."""
    state: Path = Path("inhouse-state.sqlite3")
    """SQLite database of keys, rate-limit counters and usage; its secret sits beside it."""
    state_url: str | None = None
    """PostgreSQL database of the state instead of `state`, shared by several servers:
    `postgresql://user:password@host:5432/inhouse`. Give one of `state` and `state_url`."""
    state_secret: Path | None = None
    """File of the server secret the keys are hashed with (every server sharing a state needs
    the same one); None: `<state>.secret`, or `inhouse-state.secret` with `state_url`."""
    audit_log: Path = Path("inhouse-audit.jsonl")
    """Append-only, hash-chained JSONL audit log: one line per request."""
    log_bodies: bool = False
    """Write request and response bodies into the audit log, after PII redaction."""
    machine_usd_per_hour: float | None = Field(default=None, ge=0)
    """What the machine costs per hour; None: the bake-off price table's default machine."""
    machine_cpus: int | None = Field(default=None, gt=0)
    """CPUs that price buys (None: the table machine's vCPUs, else this machine's count). A
    request costs its CPU seconds at price / (3600 * cpus)."""
    tokenizer: Tokenizer = "o200k"
    """Tokenizer family that counts usage tokens, so usage compares to API prices per token."""
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    """Larger request bodies are refused with 413."""
    max_embedding_inputs: int = Field(default=2048, gt=0)
    """Most texts one embeddings request may carry (OpenAI's own limit is 2048)."""
    cors_origins: list[str] = Field(default_factory=list)
    """Browser origins allowed by CORS, e.g. ["https://app.example.com"]; empty: CORS off."""
    metrics_public: bool = False
    """Serve /metrics without a key; by default it needs a key with the admin scope."""
    batch_window_ms: float = Field(default=2.0, ge=0, le=1000)
    """Dynamic batching of embeddings, route and ask: requests arriving within this many ms
    share one model call; a lone request (nothing else in flight) does not wait, and none
    waits longer than this; 0 turns batching off."""
    max_batch: int = Field(default=32, gt=0)
    """Most requests in one batch; a full batch runs without waiting out the window."""
    audit_fsync_ms: float = Field(default=100.0, ge=0, le=60_000)
    """fsync the audit log at most this often (0: after every line). A line is written before
    its response ends either way, so a crash of the server loses none; this bounds what a
    power cut can lose, as the state database's WAL does."""
    access_log: bool = False
    """Also print uvicorn's access log line per request (the audit log records every request
    already; printing each costs the server time)."""

    @field_validator("state_url")
    @classmethod
    def _postgres_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "not a PostgreSQL URL; write it as postgresql://user:password@host:5432/database"
            )
        return url

    @model_validator(mode="after")
    def _one_state(self) -> Self:
        if self.state_url is not None and "state" in self.model_fields_set:
            raise ValueError(
                "Can't give both `state` (a SQLite file) and `state_url` (PostgreSQL). Choose one"
            )
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        seen: dict[str, str] = {SUPPORT_MODEL: "the support assistant"}
        tables = {
            "embedders": self.embedders,
            "recommenders": list(self.recommenders),
            "routers": list(self.routers),
            "indexes": list(self.indexes),
            "generators": list(self.generators),
        }
        for table, names in tables.items():
            for name in names:
                if name in seen:
                    raise ValueError(
                        f"model name {name!r} in {table} is taken by {seen[name]}; every served "
                        "model needs its own name (it is the `model` of requests)"
                    )
                seen[name] = table
        return self

    @model_validator(mode="after")
    def _support_names(self) -> Self:
        tables = {"router": "routers", "index": "indexes", "generator": "generators"}
        adapted = [f"{n}:{a}" for n, g in self.generators.items() for a in g.adapters]
        for field, table in tables.items():
            chosen, names = getattr(self.support, field), getattr(self, table)
            if field == "generator":
                names = [*names, *adapted]
            if chosen is not None and chosen not in names:
                raise ValueError(
                    f"support.{field} = {chosen!r} is not in [{table}] "
                    f"(known: {', '.join(names) or 'none'}); add it there or fix the name"
                )
        return self

    def support_parts(self) -> tuple[str | None, str | None]:
        """The router and index names of the support assistant (None where there is none)."""

        def pick(chosen: str | None, names: dict[str, Path]) -> str | None:
            return chosen if chosen is not None else (next(iter(names)) if names else None)

        return pick(self.support.router, self.routers), pick(self.support.index, self.indexes)

    def backend_urls(self) -> list[str]:
        """The URLs of every backend the server calls out to: the generators'."""
        return [g.base_url for g in self.generators.values() if g.base_url is not None]

    def usd_per_cpu_second(self) -> float:
        """The price of one CPU second on this machine."""
        price, cpus = self.machine_usd_per_hour, self.machine_cpus
        if price is None:
            from inhouse.bakeoff.prices import DEFAULT_MACHINE, load_prices

            machine = load_prices().machines[DEFAULT_MACHINE]
            price, cpus = machine.usd_per_hour, cpus or machine.vcpus
        return price / (3600 * (cpus or os.cpu_count() or 1))

    def default_secret(self) -> Path:
        """Where the server secret is when `state_secret` is not given."""
        return Path("inhouse-state.secret") if self.state_url else secret_path(self.state)

    def resolve(self, base: Path) -> ServeConfig:
        """This config with relative paths read from `base` (the config file's folder)."""

        def at(path: Path) -> Path:
            return path if path.is_absolute() else (base / path).resolve()

        return self.model_copy(
            update={
                "recommenders": {n: at(p) for n, p in self.recommenders.items()},
                "routers": {n: at(p) for n, p in self.routers.items()},
                "indexes": {n: at(p) for n, p in self.indexes.items()},
                "generators": {n: g.resolve(at) for n, g in self.generators.items()},
                "state": at(self.state),
                "state_secret": at(self.state_secret or self.default_secret()),
                "audit_log": at(self.audit_log),
            }
        )


def load_config(path: Path) -> ServeConfig:
    """Read and check `serve.toml`; errors name the file and the field."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such config file; write one (see docs/serve.md) or pass --config FILE"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read it ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    try:
        config = ServeConfig.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            known = ", ".join(ServeConfig.model_fields)
            msg = f"unknown field; the fields are: {known}"
        raise ConfigError(f"{path}: {field}: {msg}") from None
    return config.resolve(path.parent.resolve())
