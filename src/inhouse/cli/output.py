"""Results for people and for scripts: a Rich table on a terminal, tab-separated rows with a
header line off one (a pipe, a file), and JSON with `--json`.

    >>> emit(rows, title="Registered models", as_json=json_flag)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()


def human_size(n: int) -> str:
    """Bytes as `12 B`, `3.4 KB`, `91.6 MB` or `1.2 GB` (powers of 1000)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    raise AssertionError("unreachable")


def _cell(value: Any) -> str:
    """A TSV cell: one line, no tabs; None is empty."""
    if value is None:
        return ""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return " ".join(text.replace("\t", " ").splitlines())


def emit(
    rows: Sequence[dict[str, Any]],
    title: str = "",
    as_json: bool = False,
    styles: dict[str, dict[str, Any]] | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Print `rows` (all with the same keys): `--json` as one JSON list, off a terminal as TSV,
    on one as a Rich table titled `title` (`styles`: column -> `Table.add_column` options).
    `columns`: the header when there may be no rows (default: the first row's keys)."""
    if as_json:
        typer.echo(json.dumps(list(rows), indent=2, default=str))
        return
    columns = list(columns or (rows[0] if rows else []))
    if not console.is_terminal:
        if columns:
            typer.echo("\t".join(columns))
        for row in rows:
            typer.echo("\t".join(_cell(row[c]) for c in columns))
        return
    table = Table(title=title)
    for c in columns:
        table.add_column(c, **(styles or {}).get(c, {}))
    for row in rows:
        table.add_row(*(escape(_cell(row[c])) for c in columns))
    console.print(table)
