"""`inhouse bakeoff support|recommend --out DIR`: one command per workload, each with its own
files, systems and help (`inhouse bakeoff support --help`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from inhouse.cli.bench import JSON, show, with_run_options
from inhouse.cli.names import datasets, listing

console = Console(stderr=True)  # where the report went; results go to stdout

OUT_DIR = typer.Option(..., "--out", help="Folder for bakeoff.json and report.html.")
DATASET = typer.Option(
    None, "--dataset", help="A public dataset instead of your files: {datasets}."
)
CATALOG = typer.Option(None, "--catalog", help="Your catalog file; columns in docs/data.md.")
EVENTS = typer.Option(
    None,
    "--events",
    help=(
        "Your events file; each user's last event is the test, the one before validation "
        "(equal timestamps ordered as docs/data.md says)."
    ),
)
TEST_EVENTS = typer.Option(
    None,
    "--test-events",
    help=(
        "Your own test split of events: its users' items are the test targets, instead of each "
        "user's last event; validation still comes from --events."
    ),
)
TICKETS = typer.Option(
    None, "--tickets", help="Your tickets file, with an intent column; see docs/data.md."
)
TEST_TICKETS = typer.Option(
    None,
    "--test-tickets",
    help=(
        "Your own test tickets (same columns and intents as --tickets), used as the test set "
        "instead of a seeded 20 %; validation still comes from --tickets."
    ),
)
ARTICLES = typer.Option(
    None,
    "--articles",
    help=(
        "Your help-center articles: article search is scored on the tickets whose "
        "article_id names the article that answered them; see docs/data.md."
    ),
)


class Workloads(TyperGroup):
    """`inhouse bakeoff foo` says `unknown workload foo`, not click's `No such command`."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        from inhouse.bakeoff.run import WORKLOADS
        from inhouse.errors import ConfigError

        if args and not args[0].startswith("-") and args[0] not in self.commands:
            raise ConfigError(f"unknown workload {args[0]}; use {' or '.join(WORKLOADS)}")
        return super().resolve_command(ctx, args)


def workload_command(workload: str) -> type[TyperCommand]:
    """The command class of one workload: its systems listed in `--systems`' help, and a file
    flag of the other workload refused with the fix, not click's `No such option`."""
    base = listing(datasets=datasets(workload))

    class Command(base):  # type: ignore[valid-type,misc]
        def get_params(self, ctx: Any) -> Any:
            params = super().get_params(ctx)
            for p in params:
                if p.name == "systems" and not getattr(p, "_listed", False):
                    from inhouse.bakeoff.run import system_names

                    parts = system_names(workload)
                    names = "; ".join(
                        f"{k}: {', '.join(v)}" if len(parts) > 1 else ", ".join(v)
                        for k, v in parts.items()
                    )
                    p.help = f"Comma-separated systems to run (default: all): {names}."
                    p._listed = True
            return params

        def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
            from inhouse.bakeoff.run import WORKLOAD_FILES, flag, foreign_flags

            given = {a.split("=")[0] for a in args}  # the parser consumes `args`
            try:
                return super().parse_args(ctx, args)
            except Exception as e:  # click's NoSuchOption (typer bundles its own click)
                others = [flag(k) for w, ks in WORKLOAD_FILES.items() if w != workload for k in ks]
                if getattr(e, "option_name", None) in others:
                    raise foreign_flags(workload, [f for f in others if f in given]) from None
                raise

    return Command


app = typer.Typer(cls=Workloads, no_args_is_help=True)


def _bakeoff(workload: str, out: Path, run: Any, as_json: bool, **paths: Any) -> None:
    from inhouse.bakeoff.run import run_bakeoff

    results, report = run_bakeoff(workload, out, run, **paths)
    show(results, as_json)
    console.print(f"report: [bold]{report}[/]")


@app.command("support", cls=workload_command("support"))
@with_run_options
def support(
    out: Path = OUT_DIR,
    tickets: Path | None = TICKETS,
    articles: Path | None = ARTICLES,
    test_tickets: Path | None = TEST_TICKETS,
    dataset: str | None = DATASET,
    as_json: bool = JSON,
    *,
    run: Any,
    data_dir: Path | None,
) -> None:
    """Bake off routing (and article search) on your tickets; writes one HTML report.

    In-house vs off-the-shelf vs API, with --articles also article search.

    e.g. inhouse bakeoff support --tickets tickets.csv --articles articles.jsonl --out ./bakeoff

    --systems picks routers and retrievers by name; a part none of whose systems is named runs
    all of its own. File columns: docs/data.md.
    """
    files = dict(tickets=tickets, articles=articles, test_tickets=test_tickets)
    _bakeoff("support", out, run, as_json, dataset=dataset, data_dir=data_dir, **files)


@app.command("recommend", cls=workload_command("recommend"))
@with_run_options
def recommend(
    out: Path = OUT_DIR,
    catalog: Path | None = CATALOG,
    events: Path | None = EVENTS,
    test_events: Path | None = TEST_EVENTS,
    dataset: str | None = DATASET,
    as_json: bool = JSON,
    *,
    run: Any,
    data_dir: Path | None,
) -> None:
    """Bake off recommenders on your catalog and events; writes one HTML report.

    In-house vs off-the-shelf vs baselines vs an API reranking candidates.

    e.g. inhouse bakeoff recommend --catalog catalog.csv --events events.csv --out ./bakeoff

    File columns: docs/data.md.
    """
    files = dict(catalog=catalog, events=events, test_events=test_events)
    _bakeoff("recommend", out, run, as_json, dataset=dataset, data_dir=data_dir, **files)
