"""`inhouse artifacts`: the versions of a saved model folder (list, prune, roll back)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)

FOLDER = typer.Argument(help="A folder written by recommend fit, support fit-router or index.")


@app.command("list")
def list_cmd(
    folder: Annotated[Path, FOLDER],
    as_json: Annotated[bool, typer.Option("--json", help="Print the versions as JSON.")] = False,
) -> None:
    """Every version: when it was made, its system, its size, and which one is current.

    e.g. inhouse artifacts list ./router
    """
    from dataclasses import asdict

    from inhouse.artifacts import versions
    from inhouse.cli.output import emit, human_size

    found = versions(folder)
    if as_json:
        emit([asdict(v) for v in found], as_json=True)
        return
    rows = [
        {
            "version": v.name,
            "created": (v.created or "?")[:19].replace("T", " "),
            "system": v.system or "?",
            "size": human_size(v.size_bytes),
            "current": "yes" if v.current else "",
        }
        for v in found
    ]
    emit(rows, f"{folder}: {len(found)} versions")


@app.command()
def prune(
    folder: Annotated[Path, FOLDER],
    keep: Annotated[int, typer.Option(help="How many of the newest versions to keep.")] = 2,
) -> None:
    """Delete old versions, keeping the newest --keep and always the current one.

    e.g. inhouse artifacts prune ./router --keep 2
    """
    from inhouse.artifacts import prune as prune_versions

    gone = prune_versions(folder, keep)
    typer.echo(f"deleted {', '.join(gone)}" if gone else "nothing to delete")


@app.command()
def rollback(
    folder: Annotated[Path, FOLDER],
    to: Annotated[
        str | None,
        typer.Option("--to", help="The version to serve, e.g. v0002 (default: the one before)."),
    ] = None,
) -> None:
    """Serve an earlier version: switch `current` to it atomically.

    e.g. inhouse artifacts rollback ./router --to v0001
    """
    from inhouse.artifacts import rollback as roll_back

    was, now = roll_back(folder, to)
    typer.echo(f"{folder}: current is now {now} (was {was})")
