"""`inhouse bench support|recommend --dataset NAME --out FILE.json`: the bench result contract,
every system as a row (in-house, off-the-shelf, baselines, API estimates), costs filled in.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from inhouse.cli.names import datasets, listing
from inhouse.eval.results import BenchResult

app = typer.Typer(no_args_is_help=True)
console = Console()

DATASET = typer.Option(..., "--dataset", help="Public dataset: {datasets}.")
OUT = typer.Option(..., "--out", help="Where to write the bench JSON.")
PRICES = typer.Option(None, "--prices", help="TOML file overriding entries of the price table.")
SYSTEMS = typer.Option(None, "--systems", help="Comma-separated systems to run (default: all).")
MODELS = typer.Option(None, "--api-models", help="Comma-separated price-table keys to price.")
VOLUME = typer.Option(1_000_000, "--volume", help="Requests one training run is amortised over.")
DATA_DIR = typer.Option(None, "--data-dir", help="Datasets folder (else INHOUSE_DATA_DIR).")


def options(
    prices: Path | None, systems: str | None, models: str | None, volume: int
):  # -> Bakeoff (imported lazily so `inhouse --help` stays fast)
    """The bake-off terms from the shared flags."""
    from inhouse.bakeoff.cost import CostBasis
    from inhouse.bakeoff.prices import load_prices
    from inhouse.bakeoff.workloads import Bakeoff
    from inhouse.errors import ConfigError

    if volume < 1:
        raise ConfigError(f"--volume {volume}: give the number of requests, at least 1")
    table = load_prices(prices)
    keys = [k.strip() for k in models.split(",")] if models else None
    unknown = [k for k in keys or [] if k not in table.models]
    if unknown:
        raise ConfigError(
            f"--api-models: unknown {', '.join(unknown)}; use keys of the price table: "
            f"{', '.join(table.models)}"
        )
    return Bakeoff(
        prices=table,
        basis=CostBasis(volume=volume),
        systems=[s.strip() for s in systems.split(",")] if systems else None,
        api_models=keys,
    )


def summary(result: BenchResult) -> Table:
    """A Rich table of one result: accuracy, $ per 1k and p50 latency per row."""
    pm = result.primary_metric
    table = Table(title=f"{result.workload} · {result.dataset}")
    for col in ("system", "kind", pm, "$ per 1k", "p50 ms"):
        table.add_column(col, justify="left" if col in ("system", "kind") else "right")
    rows = sorted(
        result.systems, key=lambda s: (s.kind == "api-estimate", -(s.metrics.get(pm) or 0))
    )
    for s in rows:
        value = s.metrics.get(pm)
        table.add_row(
            s.name,
            s.kind,
            "—" if value is None else f"{value:.3f}",
            "—" if s.cost_usd_per_1k is None else f"{s.cost_usd_per_1k:.3g}",
            "—" if s.latency_ms is None else f"{s.latency_ms.p50:.2f}",
        )
    return table


def with_run_options(command: Callable[..., None]) -> Callable[..., None]:
    """A typer command `command(..., run, data_dir)` that gains the shared flags --prices,
    --systems, --api-models, --volume and --data-dir; `run` is the bake-off terms built from
    them (see `options`). The flags are declared here once, for every command that runs one."""
    shared = {
        "prices": (Path | None, PRICES),
        "systems": (str | None, SYSTEMS),
        "api_models": (str | None, MODELS),
        "volume": (int, VOLUME),
        "data_dir": (Path | None, DATA_DIR),
    }
    own = [
        p for p in inspect.signature(command).parameters.values() if p.name not in ("run", *shared)
    ]
    keyword = inspect.Parameter.KEYWORD_ONLY
    added = [inspect.Parameter(n, keyword, default=d, annotation=t) for n, (t, d) in shared.items()]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        flags = [kwargs.pop(n) for n in ("prices", "systems", "api_models", "volume")]
        command(**kwargs, run=options(*flags))

    hints = typing.get_type_hints(command)
    wrapper.__annotations__ = {p.name: hints[p.name] for p in own} | {
        n: t for n, (t, _) in shared.items()
    }
    wrapper.__signature__ = inspect.Signature([*own, *added])  # type: ignore[attr-defined]
    return wrapper


def _command(workload: str, example: str) -> Callable[..., None]:
    @with_run_options
    def bench(dataset: str = DATASET, out: Path = OUT, *, run: Any, data_dir: Path | None) -> None:
        from inhouse.bakeoff.run import bench_dataset
        from inhouse.eval.results import write_results

        result = bench_dataset(workload, dataset, run, data_dir)
        write_results(result, out)
        console.print(summary(result))
        console.print(f"wrote {out}")

    bench.__doc__ = f"Bench {workload} systems.  e.g. inhouse bench {workload} {example}"
    return bench


for _workload, _example in (
    ("support", "--dataset banking77 --out b77.json"),
    ("recommend", "--dataset goodbooks-sample --out gb.json"),
):
    app.command(_workload, cls=listing(datasets=datasets(_workload)))(_command(_workload, _example))
