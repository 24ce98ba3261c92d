"""Top-level `inhouse bakeoff WORKLOAD --out DIR` and `inhouse demo [--out DIR]`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from inhouse.cli.bench import DATA_DIR, PRICES, VOLUME, options, summary, with_run_options
from inhouse.cli.names import datasets, listing, workloads

console = Console()


WORKLOAD = typer.Argument(..., help="{workloads}.")
OUT_DIR = typer.Option(..., "--out", help="Folder for bakeoff.json and report.html.")
DEMO_OUT = typer.Option(Path("demo-output"), "--out", help="Folder for the report.")
DATASET = typer.Option(
    None, "--dataset", help="A public dataset instead of your files: {datasets}."
)
CATALOG = typer.Option(
    None, "--catalog", help="Your catalog file (recommend); columns in docs/data.md."
)
EVENTS = typer.Option(None, "--events", help="Your events file (recommend); see docs/data.md.")
TICKETS = typer.Option(
    None, "--tickets", help="Your tickets file (support); columns in docs/data.md."
)
ARTICLES = typer.Option(
    None,
    "--articles",
    help=(
        "Your help-center articles (support): article search is scored on the tickets whose "
        "article_id names the article that answered them; see docs/data.md."
    ),
)


@with_run_options
def bakeoff(
    workload: str = WORKLOAD,
    out: Path = OUT_DIR,
    dataset: str | None = DATASET,
    catalog: Path | None = CATALOG,
    events: Path | None = EVENTS,
    tickets: Path | None = TICKETS,
    articles: Path | None = ARTICLES,
    *,
    run: Any,
    data_dir: Path | None,
) -> None:
    """Bake off in-house vs off-the-shelf vs API on your data; writes one HTML report.

    e.g. inhouse bakeoff support --tickets tickets.csv --articles articles.jsonl --out ./bakeoff

    With --articles, support also scores article search; --systems then picks routers and
    retrievers by name, and a part none of whose systems is named runs all of its own.
    """
    from inhouse.bakeoff.run import run_bakeoff

    results, report = run_bakeoff(
        workload,
        out,
        run,
        dataset,
        data_dir,
        catalog=catalog,
        events=events,
        tickets=tickets,
        articles=articles,
    )
    for r in results:
        console.print(summary(r))
    console.print(f"report: [bold]{report}[/]")


bakeoff.command_class = listing(workloads=workloads, datasets=datasets())  # type: ignore[attr-defined]


def demo(
    out: Path = DEMO_OUT,
    prices: Path | None = PRICES,
    volume: int = VOLUME,
    data_dir: Path | None = DATA_DIR,
) -> None:
    """Bake-offs on public data: support on Banking77, recommend on goodbooks-sample.

    e.g. INHOUSE_DATA_DIR=../shared/datasets inhouse demo --out ./demo-output
    """
    from inhouse.bakeoff.headline import headline
    from inhouse.bakeoff.run import run_demo

    start = time.perf_counter()
    run = options(prices, None, None, volume)
    results = run_demo(out, run, data_dir)
    for r in results:
        console.print(summary(r))
        console.print(headline(r))
    console.print(f"done in {time.perf_counter() - start:.0f} s")
    console.print(f"report: [bold]{(out / 'report.html').resolve()}[/]")
