"""`inhouse data`: check company data files (catalog, events, tickets, articles, messages);
writes nothing."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(no_args_is_help=True)
# Equal to inhouse.data.DEFAULT_MAX_PROBLEMS; a literal keeps polars out of `inhouse --help`.
MAX_PROBLEMS = 50
console = Console()


class Kind(StrEnum):
    """The kinds of company data (see `inhouse.data.schema.SCHEMAS`)."""

    catalog = "catalog"
    events = "events"
    tickets = "tickets"
    articles = "articles"
    messages = "messages"


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="A .csv, .csv.gz, .jsonl or .parquet file.")],
    kind: Annotated[
        Kind, typer.Option("--kind", help="What the file holds; columns in docs/data.md.")
    ],
    catalog: Annotated[
        Path | None,
        typer.Option(help="Events only: a catalog file; unknown item ids become errors."),
    ] = None,
    max_problems: Annotated[
        int, typer.Option(min=1, help="List at most this many problems.")
    ] = MAX_PROBLEMS,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Validate FILE and print a summary, or list every problem as file:line: column: reason.

    e.g. inhouse data check events.csv --kind events --catalog catalog.csv
    """
    from inhouse.data import read, summarize
    from inhouse.errors import ConfigError

    if catalog is not None and kind is not Kind.events:
        raise ConfigError("--catalog only applies to --kind events; drop it or use --kind events")
    df = read(file, kind.value, catalog=catalog, max_problems=max_problems)
    summary = summarize(df, kind.value)
    if as_json:
        typer.echo(json.dumps({"file": str(file), "kind": kind.value, "summary": summary}))
        return
    console.print(f"[green]ok[/] {escape(str(file))}: {kind.value}, no problems found")
    table = Table()
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in summary.items():
        table.add_row(name, "" if value is None else escape(str(value)))
    console.print(table)
