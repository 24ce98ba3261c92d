"""Top-level `inhouse demo [--out DIR]`: the bake-offs on public data (`inhouse bakeoff` is in
bakeoff.py)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from inhouse.cli.bench import DATA_DIR, JSON, PRICES, VOLUME, options, show

console = Console(stderr=True)  # timings and the report's path; results go to stdout


DEMO_OUT = typer.Option(Path("demo-output"), "--out", help="Folder for the report.")


def demo(
    out: Path = DEMO_OUT,
    prices: Path | None = PRICES,
    volume: int = VOLUME,
    data_dir: Path | None = DATA_DIR,
    as_json: bool = JSON,
) -> None:
    """Bake-offs on public data: support on Banking77, recommend on goodbooks-sample.

    e.g. INHOUSE_DATA_DIR=../shared/datasets inhouse demo --out ./demo-output
    """
    from inhouse.bakeoff.run import run_demo

    start = time.perf_counter()
    run = options(prices, None, None, volume)
    results = run_demo(out, run, data_dir)
    show(results, as_json)
    console.print(f"done in {time.perf_counter() - start:.0f} s")
    console.print(f"report: [bold]{(out / 'report.html').resolve()}[/]")
