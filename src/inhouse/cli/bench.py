"""`inhouse bench support|recommend --dataset NAME --out FILE.json`: the bench result contract,
every system as a row (in-house, off-the-shelf, baselines, API estimates), costs filled in.
"""

from __future__ import annotations

import functools
import inspect
import json
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from inhouse.cli.names import datasets, listing
from inhouse.cli.output import emit
from inhouse.eval.results import BenchResult

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)  # where files were written; results go to stdout

DATASET = typer.Option(..., "--dataset", help="Public dataset: {datasets}.")
OUT = typer.Option(..., "--out", help="Where to write the bench JSON.")
PRICES = typer.Option(None, "--prices", help="TOML file overriding entries of the price table.")
SYSTEMS = typer.Option(None, "--systems", help="Comma-separated systems to run (default: all).")
MODELS = typer.Option(None, "--api-models", help="Comma-separated price-table keys to price.")
VOLUME = typer.Option(1_000_000, "--volume", help="Requests one training run is amortised over.")
DATA_DIR = typer.Option(None, "--data-dir", help="Datasets folder (else INHOUSE_DATA_DIR).")
JSON = typer.Option(False, "--json", help="Print the results as JSON (the bench contract).")


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


def summary_rows(result: BenchResult) -> list[dict[str, str]]:
    """One result's rows for `emit`: accuracy, $ per 1k and p50 latency, best first."""
    pm = result.primary_metric
    rows = sorted(
        result.systems, key=lambda s: (s.kind == "api-estimate", -(s.metrics.get(pm) or 0))
    )
    return [
        {
            "system": s.name,
            "kind": s.kind,
            pm: "—" if s.metrics.get(pm) is None else f"{s.metrics[pm]:.3f}",
            "$ per 1k": "—" if s.cost_usd_per_1k is None else f"{s.cost_usd_per_1k:.6f}",
            "p50 ms": "—" if s.latency_ms is None else f"{s.latency_ms.p50:.2f}",
        }
        for s in rows
    ]


def show(results: list[BenchResult], as_json: bool, headlines: bool = True) -> None:
    """Print `results`: with `--json` as the result contract's JSON list; else each one's table
    (tab-separated off a terminal) and, with `headlines`, its one-sentence verdict."""
    from inhouse.bakeoff.headline import headline

    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in results], indent=2))
        return
    for r in results:
        right = {c: {"justify": "right"} for c in (r.primary_metric, "$ per 1k", "p50 ms")}
        emit(summary_rows(r), title=f"{r.workload} · {r.dataset}", styles=right)
        if headlines:
            typer.echo(headline(r))


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
    def bench(
        dataset: str = DATASET,
        out: Path = OUT,
        as_json: bool = JSON,
        *,
        run: Any,
        data_dir: Path | None,
    ) -> None:
        from inhouse.bakeoff.run import bench_dataset
        from inhouse.eval.results import write_results

        result = bench_dataset(workload, dataset, run, data_dir)
        write_results(result, out)
        show([result], as_json, headlines=False)
        console.print(f"wrote {out}")

    bench.__doc__ = f"Bench {workload} systems.  e.g. inhouse bench {workload} {example}"
    return bench


for _workload, _example in (
    ("support", "--dataset banking77 --out b77.json"),
    ("recommend", "--dataset goodbooks-sample --out gb.json"),
):
    app.command(_workload, cls=listing(datasets=datasets(_workload)))(_command(_workload, _example))
