"""The dated price table (API tokens and machine hours) and user overrides of it.

>>> table = load_prices()                       # the table shipped in the package
>>> table.models["gpt-4o"].input                # USD per 1M input tokens
2.5
>>> table = load_prices(Path("my-prices.toml"))  # entries there replace or extend ours
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inhouse.errors import ConfigError

Tokenizer = Literal["o200k", "cl100k", "qwen", "deepseek", "approx-o200k"]
DEFAULT_MACHINE = "c7i-large"
PACKAGED = "prices.toml"


class ModelPrice(BaseModel):
    """One API model's list price, USD per 1M tokens, and where it was read."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(description="Display name, e.g. 'GPT-4o'.")
    provider: str = Field(description="Who sells it.")
    input: float = Field(ge=0, description="USD per 1M input tokens.")
    output: float = Field(ge=0, description="USD per 1M output tokens.")
    cached_input: float | None = Field(
        default=None, ge=0, description="USD per 1M cached input tokens, where published."
    )
    tokenizer: Tokenizer = Field(description="How prompts are counted for this model.")
    source: str = Field(min_length=1, description="Where the price was read.")
    date: str = Field(min_length=4, description="When it was read (as precise as the source).")
    estimate: bool = Field(default=True, description="Price the API approach with it by default.")

    @property
    def exact_tokens(self) -> bool:
        """False where no offline tokenizer exists and o200k counts stand in."""
        return self.tokenizer != "approx-o200k"


class MachinePrice(BaseModel):
    """One machine's hourly price and where it was read."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(description="Display name with its shape, e.g. 'AWS c7i.large (2 vCPU)'.")
    usd_per_hour: float = Field(gt=0, description="On-demand USD per hour.")
    spot_usd_per_hour: float | None = Field(default=None, gt=0, description="Spot USD per hour.")
    vcpus: int | None = Field(default=None, gt=0, description="vCPUs the hourly price buys.")
    gpus: int | None = Field(default=None, gt=0, description="GPUs the hourly price buys.")
    source: str = Field(min_length=1, description="Where the price was read.")
    date: str = Field(min_length=4, description="When it was read.")

    def usd_per_core_second(self) -> float:
        """On-demand price of one vCPU for one second."""
        assert self.vcpus, f"{self.label}: no vcpus, so no per-core price"
        return self.usd_per_hour / 3600.0 / self.vcpus


class PriceTable(BaseModel):
    """Every API model and machine price, plus the files they came from."""

    models: dict[str, ModelPrice]
    machines: dict[str, MachinePrice]
    files: list[str] = Field(default_factory=list, description="Packaged table, then overrides.")

    def estimated(self) -> dict[str, ModelPrice]:
        """The models the API approach is priced with by default."""
        return {k: m for k, m in self.models.items() if m.estimate}


def _line_of(text: str, section: str, key: str, field: str | None = None) -> int | None:
    """The line of `[section.key]` (or of `field = ` inside it) in a TOML text, if found."""
    lines = text.splitlines()
    header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\.\s*\"?{re.escape(key)}\"?\s*\]")
    for i, line in enumerate(lines):
        if header.match(line):
            if field is None:
                return i + 1
            for j in range(i + 1, len(lines)):
                if lines[j].lstrip().startswith("["):
                    break
                if re.match(rf"^\s*{re.escape(field)}\s*=", lines[j]):
                    return j + 1
            return i + 1
    return None


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise ConfigError(f"{where}: not valid TOML ({e}); fix the syntax") from None


def _merge(
    base: dict[str, dict[str, Any]], path: Path, text: str, data: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Apply one file's entries over `base`, validating every entry it touches."""
    unknown = set(data) - {"models", "machines"}
    if unknown:
        name = sorted(unknown)[0]
        line = next((i + 1 for i, s in enumerate(text.splitlines()) if name in s), None)
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(
            f"{where}: unknown section [{name}]; a price file has only [models.ID] and "
            "[machines.ID] tables"
        )
    out = {section: dict(entries) for section, entries in base.items()}
    for section, schema in (("models", ModelPrice), ("machines", MachinePrice)):
        for key, entry in data.get(section, {}).items():
            if not isinstance(entry, dict):
                line = _line_of(text, section, key)
                where = f"{path}:{line}" if line else str(path)
                raise ConfigError(f"{where}: {section}.{key} must be a table [{section}.{key}]")
            merged = {**out[section].get(key, {}), **entry}
            try:
                schema.model_validate(merged)
            except ValidationError as e:
                err = e.errors()[0]
                field = str(err["loc"][0]) if err["loc"] else None
                line = _line_of(text, section, key, field)
                where = f"{path}:{line}" if line else str(path)
                what = f"{section}.{key}.{field}" if field else f"{section}.{key}"
                hint = (
                    "a new entry needs label, provider, input, output, tokenizer, source, date"
                    if section == "models"
                    else "a new entry needs label, usd_per_hour, source, date"
                )
                raise ConfigError(f"{where}: {what}: {err['msg']}; {hint}") from None
            out[section][key] = merged
    return out


def load_prices(override: Path | None = None) -> PriceTable:
    """The packaged price table, with the entries of `override` (same TOML shape) applied.

    An override entry may change single fields of a packaged entry (e.g. only `input`) or add
    a new model or machine with every required field. Errors name `file:line` and the fix.
    """
    packaged = resources.files("inhouse.bakeoff").joinpath(PACKAGED)
    text = packaged.read_text(encoding="utf-8")
    base = _merge(
        {"models": {}, "machines": {}}, Path(str(packaged)), text, _parse(Path(PACKAGED), text)
    )
    files = [f"inhouse/bench/{PACKAGED}"]
    if override is not None:
        path = Path(override)
        try:
            otext = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such price file; check the --prices path") from None
        base = _merge(base, path, otext, _parse(path, otext))
        files.append(str(path))
    return PriceTable(
        models={k: ModelPrice.model_validate(v) for k, v in base["models"].items()},
        machines={k: MachinePrice.model_validate(v) for k, v in base["machines"].items()},
        files=files,
    )
