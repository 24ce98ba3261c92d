"""`inhouse keys`: create, list, revoke and rotate the server's API keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from inhouse.serve.state import State

app = typer.Typer(no_args_is_help=True)
console = Console()
CONFIG = typer.Option("--config", "-c", help="The server's serve.toml (names the state).")


@contextmanager
def _state(config: Path, create: bool = False) -> Iterator[State]:
    """The state database `config` names, open for one command (made only when `create`)."""
    from inhouse.serve.config import load_config
    from inhouse.serve.state_registry import open_state

    state = open_state(load_config(config), create)
    try:
        yield state
    finally:
        state.close()


def _show_token(name: str, token: str) -> None:
    console.print(f"key for [bold]{name}[/] (shown once; store it now):", highlight=False)
    print(token)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    scopes: Annotated[
        str, typer.Option(help="Comma-separated: embeddings,chat,recommend,support,admin.")
    ],
    rpm: Annotated[int | None, typer.Option(help="Requests per minute allowed.")] = None,
    budget_usd: Annotated[float | None, typer.Option(help="Monthly budget in USD.")] = None,
    config: Annotated[Path, CONFIG] = Path("serve.toml"),
) -> None:
    """Create a key and print it once.  e.g. inhouse keys create --name web --scopes chat"""
    from inhouse.serve.keys import parse_scopes

    with _state(config, create=True) as state:
        key, token = state.create_key(name, parse_scopes(scopes), rpm, budget_usd)
    _show_token(key.name, token)


@app.command("list")
def list_keys(
    config: Annotated[Path, CONFIG] = Path("serve.toml"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the keys as JSON.")] = False,
) -> None:
    """Every key (never the key itself) with its scopes, limits and this month's spend
    (tab-separated off a terminal)."""
    import time

    from inhouse.cli.output import emit

    with _state(config) as state:
        rows = [
            {
                "name": key.name,
                "id": key.id,
                "scopes": ",".join(key.scopes),
                "rpm": key.rpm,
                "budget_usd": key.budget_usd,
                "spent_usd": round(state.spent(key.name, time.time()), 4),
                "created": datetime.fromtimestamp(key.created, UTC).strftime("%Y-%m-%d %H:%M"),
                "status": "revoked" if key.revoked else "active",
            }
            for key in state.list_keys()
        ]
        title = f"API keys ({state.location})"
    columns = ("name", "id", "scopes", "rpm", "budget_usd", "spent_usd", "created", "status")
    emit(rows, title, as_json, columns=columns)


@app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The key's name.")],
    config: Annotated[Path, CONFIG] = Path("serve.toml"),
) -> None:
    """Revoke a key: it answers 401 from the next request on."""
    with _state(config) as state:
        state.revoke(name)
    console.print(f"revoked key {name}", highlight=False)


@app.command("rotate")
def rotate(
    name: Annotated[str, typer.Argument(help="The key's name.")],
    config: Annotated[Path, CONFIG] = Path("serve.toml"),
) -> None:
    """Replace a key with a new one (same scopes and limits); the old one stops working."""
    with _state(config) as state:
        key, token = state.rotate(name)
    _show_token(key.name, token)
