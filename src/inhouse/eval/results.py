"""The bench result contract of design.md: pydantic models, a writer and a reader.

Other tools read these files, so the shape is stable. Metrics are fractions in [0, 1] or `null`.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from inhouse import __version__
from inhouse.errors import InhouseError
from inhouse.files import atomic_write_text

Kind = Literal["baseline", "off-the-shelf", "in-house", "api-estimate"]


class Latency(BaseModel):
    """Per-request latency in milliseconds."""

    p50: float
    p95: float
    p99: float


class SystemResult(BaseModel):
    """One row of a bake-off: a system and what was measured for it."""

    model_config = ConfigDict(extra="allow")

    name: str
    kind: Kind
    metrics: dict[str, float | None]
    fit_seconds: float | None = None
    latency_ms: Latency | None = None
    cost_usd_per_1k: float | None = None
    ci95: dict[str, tuple[float, float]] | None = None
    """95 % percentile-bootstrap interval (low, high) of the test metrics that are means over
    examples (`inhouse.eval.bootstrap`); None where per-example results were not kept."""
    test_examples: int | None = None
    """How many test examples the metrics (and `ci95`) are means over."""

    @field_validator("metrics")
    @classmethod
    def _fractions(cls, metrics: dict[str, float | None]) -> dict[str, float | None]:
        for name, value in metrics.items():
            if value is not None and not is_measure(name) and not 0.0 <= value <= 1.0:
                raise ValueError(f"metric {name}={value} is not a fraction in [0, 1]")
        return metrics


# metrics named with a unit (or a count, or a ratio of speeds) are measures, not fractions
UNIT_SUFFIXES = ("_ms", "_s", "_per_s", "_gib", "_mib", "_usd")
MEASURES = ("errors", "speedup", "tokens_in", "tokens_out", "cost_usd_per_1k", "cpu_s_per_answer")


def is_measure(metric: str) -> bool:
    """Whether `metric` is a measure with a unit (`p99_ms`, `req_per_s`, `errors`) rather than a
    fraction in [0, 1] (`accuracy`, `recall@10`, `rss_growth`)."""
    return metric in MEASURES or metric.endswith(UNIT_SUFFIXES)


class Machine(BaseModel):
    """Where the numbers were measured."""

    cpus: int
    python: str
    inhouse: str

    @classmethod
    def here(cls) -> Machine:
        return cls(cpus=os.cpu_count() or 1, python=platform.python_version(), inhouse=__version__)


class BenchResult(BaseModel):
    """One workload on one dataset, every system as a row."""

    model_config = ConfigDict(extra="allow")

    workload: str
    dataset: str
    protocol: str
    primary_metric: str
    machine: Machine = Field(default_factory=Machine.here)
    systems: list[SystemResult]

    def best(self, kind: Kind) -> SystemResult | None:
        """The system of this kind with the highest primary metric, if any was measured."""
        rows = [s for s in self.systems if s.kind == kind and s.metrics.get(self.primary_metric)]
        return max(rows, key=lambda s: s.metrics[self.primary_metric] or 0.0, default=None)


def write_results(results: BenchResult | list[BenchResult], path: Path) -> None:
    """Write one result (an object) or several (a list) as JSON, atomically."""
    payload: Any = (
        [r.model_dump(mode="json") for r in results]
        if isinstance(results, list)
        else results.model_dump(mode="json")
    )
    atomic_write_text(Path(path), json.dumps(payload, indent=2) + "\n")


def add_results(result: BenchResult, path: Path) -> None:
    """Write `result`'s rows into the result at `path` (a new file if there is none): they
    replace rows of the same name, the others stay. A file of another workload or dataset is
    refused, not overwritten."""
    path = Path(path)
    if path.exists():
        found = read_results(path)
        old = found[0]
        if len(found) != 1 or (old.workload, old.dataset) != (result.workload, result.dataset):
            raise InhouseError(
                f"{path}: holds {', '.join(f'{r.workload} on {r.dataset}' for r in found)}, not "
                f"{result.workload} on {result.dataset}; add to a file of the same bench, or "
                "give another output file"
            )
        names = {s.name for s in result.systems}
        kept = [s for s in old.systems if s.name not in names]
        result = old.model_copy(update={"systems": kept + result.systems})
    write_results(result, path)


def tag_rows(result: BenchResult, tag: str) -> BenchResult:
    """`result` with `tag` (an encoder's, `@mpnet`) added to the name of every row that
    records an `encoder`, so rows of two encoders can sit side by side in one file."""
    rows = [
        s.model_copy(update={"name": s.name + tag}) if getattr(s, "encoder", None) else s
        for s in result.systems
    ]
    return result.model_copy(update={"systems": rows})


def read_results(path: Path) -> list[BenchResult]:
    """Read a file written by `write_results`; a single object comes back as a one-item list."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        items = payload if isinstance(payload, list) else [payload]
        return [BenchResult.model_validate(item) for item in items]
    except FileNotFoundError:
        raise InhouseError(f"{path}: no such file; run `inhouse bench` first") from None
    except (json.JSONDecodeError, ValidationError) as e:
        raise InhouseError(f"{path}: not a bench result file: {e}") from None
