"""`inhouse serve` (the private server) and `inhouse usage` (what each key used and cost)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

CONFIG = typer.Option("--config", "-c", help="The server's serve.toml (see docs/serve.md).")


def serve(
    config: Annotated[Path, CONFIG] = Path("serve.toml"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes; they share one state.")] = 1,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
) -> None:
    """The private server: OpenAI API, recommend, support.  e.g. inhouse serve -c serve.toml"""
    from inhouse.serve.run import serve as run

    run(config, host, port, workers, ssl_keyfile=ssl_keyfile, ssl_certfile=ssl_certfile)


def usage(
    config: Annotated[Path, CONFIG] = Path("serve.toml"),
    since: Annotated[str, typer.Option(help="A span (7d, 12h, 30m) or a date.")] = "7d",
    by: Annotated[str, typer.Option(help="Group by key, model or endpoint.")] = "key",
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """Requests, tokens, CPU seconds, USD per key or model.  e.g. inhouse usage --since 7d"""
    from inhouse.cli.output import console, emit
    from inhouse.serve.config import load_config
    from inhouse.serve.metering import parse_since
    from inhouse.serve.state_registry import open_state

    state = open_state(load_config(config), create=False)
    try:
        totals = state.usage(parse_since(since), by)
    finally:
        state.close()
    columns = [by, "requests", "errors", "tokens_in", "tokens_out", "cpu_seconds", "usd"]
    if as_json:
        rows: list[dict[str, Any]] = [
            dict(zip(columns, (t.group, t.requests, t.errors, t.tokens_in, t.tokens_out,
                               t.cpu_seconds, t.usd), strict=True))
            for t in totals
        ]  # fmt: skip
    else:
        rows = [
            dict(zip(columns, (t.group, t.requests, t.errors, t.tokens_in, t.tokens_out,
                               f"{t.cpu_seconds:.3f}", f"{t.usd:.6f}"), strict=True))
            for t in totals
        ]  # fmt: skip
    if not rows and not as_json and console.is_terminal:
        console.print(f"No requests since {since}.")
        return
    right = {c: {"justify": "right"} for c in columns[1:]}
    emit(rows, f"Usage since {since}, by {by}", as_json, right, columns)
