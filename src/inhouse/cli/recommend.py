"""`inhouse recommend`: fit a recommender on company files and ask it for recommendations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from inhouse.cli.names import listing, registry_names

app = typer.Typer(no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)  # notes, so stdout stays the result


def _params(values: list[str] | None) -> dict[str, object]:
    from inhouse.errors import ConfigError

    out: dict[str, object] = {}
    for v in values or []:
        key, sep, raw = v.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param {v!r}: write it as NAME=VALUE, e.g. --param window=5")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def _default_system() -> str:
    from inhouse.recommend.cooc import Cooc

    return Cooc.name


@app.command(
    cls=listing(systems=registry_names("inhouse.recommend.registry"), default=_default_system)
)
def fit(
    catalog: Annotated[
        Path, typer.Option(help="Catalog file (CSV, JSONL or Parquet); columns: docs/data.md.")
    ],
    events: Annotated[
        Path, typer.Option(help="Events file: user_id, item_id, timestamp; see docs/data.md.")
    ],
    out: Annotated[Path, typer.Option(help="Model folder; each fit adds a version (v0001, ...).")],
    system: Annotated[
        str | None, typer.Option(help="One of: {systems}. Default: {default}.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option(help="Hyper-parameter NAME=VALUE, repeatable.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the fit summary as JSON.")] = False,
) -> None:
    """Fit a recommender and save it.

    e.g. inhouse recommend fit --catalog catalog.csv --events events.csv --system cooc --out ./rec
    """
    from inhouse.recommend.service import fit_files

    s = fit_files(catalog, events, system or _default_system(), out, _params(param))
    if as_json:
        from dataclasses import asdict

        typer.echo(json.dumps(asdict(s)))
        return
    console.print(f"[bold]{s.system}[/]: {s.items:,} items, {s.users:,} users, {s.seconds:.1f} s")
    r = s.report
    dropped = {k: v for k, v in r.items() if k.startswith("dropped_") and v}
    for key, n in dropped.items():
        console.print(
            f"[yellow]dropped {n:,} events ({key.removeprefix('dropped_').replace('_', ' ')})[/]"
        )
    used, given = r.get("events_used", 0), r.get("events_in", 0)
    console.print(f"used {used:,} of {given:,} events; saved {escape(s.folder)}")


@app.command("for-user")
def for_user(
    model_dir: Annotated[Path, typer.Argument(help="A folder written by `inhouse recommend fit`.")],
    user: Annotated[str | None, typer.Option(help="A user id seen in training.")] = None,
    items: Annotated[
        str | None, typer.Option(help="A session instead: item ids, oldest first, e.g. 12,40.")
    ] = None,
    k: Annotated[int, typer.Option("-k", "--k", help="How many items to recommend.")] = 10,
    explain: Annotated[bool, typer.Option(help="Name the history items behind each pick.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the response as JSON.")] = False,
) -> None:
    """Recommend for a known user, or for a session of items (tab-separated off a terminal).

    e.g. inhouse recommend for-user ./rec --user u42 -k 10
    """
    from dataclasses import asdict

    from inhouse.cli.output import emit
    from inhouse.errors import InhouseError
    from inhouse.recommend.service import RecommendService, parse_items

    if (user is None) == (items is None):
        raise InhouseError("give either --user USER or --items I1,I2 (a session with no user)")
    service = RecommendService(model_dir)
    if user is not None:
        response = service.for_user(user, k, explain)
    else:
        response = service.for_items(parse_items(items or ""), k, explain)
    if as_json:
        typer.echo(json.dumps(asdict(response), indent=2))
        return
    who = f"user {response.user_id}" if response.user_id else "this session"
    rows = [
        {
            "#": rank,
            "item": s.item_id,
            "title": s.title[:60],
            "score": f"{s.score:.4g}",
            "because of": "; ".join(
                f"{service.title(h)[:40] or h} ({c:.3g})" for h, c in s.because
            ),
        }
        for rank, s in enumerate(response.items, 1)
    ]
    emit(rows, f"{response.system}: {len(response.items)} picks for {who}")
    for note in response.notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}")
    if response.fallback:
        err_console.print("[yellow]popularity fallback used[/]")
