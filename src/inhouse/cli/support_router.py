"""Commands of `inhouse support` for intent routing: `fit-router` and `route`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
MAX_CHARS = 2000  # equal to inhouse.support.route.base.MAX_CHARS; a literal keeps --help fast


def fit_router(
    tickets: Annotated[
        Path, typer.Option(help="Past tickets (CSV, JSONL or Parquet); columns: docs/data.md.")
    ],
    out: Annotated[Path, typer.Option(help="Folder to write the router into.")],
    system: Annotated[
        str | None, typer.Option(help="One of: {systems}. Default: {default}.")
    ] = None,
    valid_fraction: Annotated[
        float,
        typer.Option(
            help=(
                "Share of each intent held out to set the out-of-scope threshold (only when "
                "some tickets have intent `oos`; else every ticket is fitted on)."
            )
        ),
    ] = 0.1,
    intents: Annotated[
        Path | None, typer.Option(help="File of allowed intents, one a line; others are errors.")
    ] = None,
) -> None:
    """Fit an intent router on past tickets.

    e.g. inhouse support fit-router --tickets tickets.csv --out ./router --system finetuned
    """
    from inhouse.errors import InhouseError
    from inhouse.support.route.service import fit_router_from_tickets

    allowed = None
    if intents is not None:
        try:
            lines = intents.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise InhouseError(f"{intents}: cannot read the intents list ({e})") from None
        allowed = [x.strip() for x in lines if x.strip()]
    chosen: dict[str, Any] = {"system": system} if system else {}  # else the library default
    report = fit_router_from_tickets(
        tickets, out, valid_fraction=valid_fraction, intents=allowed, **chosen
    )
    console.print(
        f"[bold]{report.system}[/] router: {report.intents} intents, {report.n_train} training "
        f"tickets, {report.n_valid} held out; {report.wall_seconds:.1f} s wall, "
        f"{report.cpu_seconds:.1f} s CPU"
    )
    if report.calibration:
        c = report.calibration
        console.print(
            f"out-of-scope threshold {c['threshold']:.4f} (held-out in-scope accuracy "
            f"{c['val_in_scope_accuracy']:.3f}, out-of-scope recall {c['val_oos_recall']:.3f})"
        )
    if not report.oos_detection:
        console.print(
            "out-of-scope detection is off: no ticket has intent `oos`, so every message is "
            "routed to its nearest intent and all tickets were used to fit. To turn it on, add "
            "tickets with intent `oos` (messages you do not handle) and fit again; "
            f"{valid_fraction:.0%} of each intent is then held out to set the threshold."
        )
    console.print(f"saved to {escape(str(out))}")


FIELDS = ("id", "intent", "confidence", "out_of_scope", "escalate", "truncated_from")


def _record(message_id: str, result: Any) -> dict[str, Any]:
    """One routed message as the JSON and TSV output hold it."""
    return {
        "id": message_id,
        "intent": result.intent,
        "confidence": round(result.confidence, 4),
        "out_of_scope": result.out_of_scope,
        "escalate": result.out_of_scope,
        "truncated_from": result.truncated_from,
    }


def _print_one(result: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({k: v for k, v in _record("", result).items() if k != "id"}))
        return
    if result.truncated_from is not None:
        console.print(
            f"[yellow]note:[/] the message has {result.truncated_from} characters; "
            f"routed on its first {MAX_CHARS}"
        )
    console.print(f"intent: {escape(result.intent)}")
    console.print(f"confidence: {result.confidence:.4f}")
    console.print(f"out of scope: {'yes' if result.out_of_scope else 'no'}")
    console.print(f"escalate: {'yes' if result.out_of_scope else 'no'}")


def _print_many(pairs: Iterable[tuple[Any, Any]], as_json: bool) -> None:
    """One line per message: JSON lines, tab-separated off a terminal, aligned on one."""
    plain = not as_json and not console.is_terminal
    if plain:
        typer.echo("\t".join(FIELDS))
    for message, result in pairs:
        row = _record(message.id, result)
        if as_json:
            typer.echo(json.dumps(row))
        elif plain:
            cells = ["" if row[k] is None else str(row[k]).lower() for k in FIELDS]
            typer.echo("\t".join(cells))
        else:
            flag = "[bold red]escalate[/]" if result.out_of_scope else "        "
            console.print(
                f"{escape(message.id):>6}  {escape(result.intent):<28} "
                f"{result.confidence:.2f}  {flag}  [dim]{escape(message.text[:60])}[/]",
                highlight=False,
            )


def route(
    router_dir: Annotated[Path, typer.Argument(help="A folder written by `fit-router`.")],
    text: Annotated[str | None, typer.Argument(help="The customer's message.")] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            help=(
                "Route a file of messages, loading the router once: .txt (one a line), or "
                ".csv, .jsonl, .parquet with a text column (docs/data.md); - reads stdin."
            )
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (one object a line for --file).")
    ] = False,
) -> None:
    """Route a message to an intent, or out of scope; or a file of messages, one line each.

    e.g. inhouse support route ./router "my card has not arrived"
         inhouse support route ./router --file messages.csv --json
    """
    import sys

    from inhouse.errors import InhouseError
    from inhouse.support.service import SupportService, check_message

    if (text is None) == (file is None):
        raise InhouseError(
            "give the message as TEXT, or a file of messages with --file, e.g. 'my card is lost'"
        )
    if file is None:
        message = check_message(text)  # before loading: a bad message costs nothing
        _print_one(SupportService(router_dir=router_dir).route(message), as_json)
        return
    from inhouse.support.messages import read_messages, route_messages

    messages = read_messages(file, stdin=sys.stdin.buffer)  # all checked before loading
    service = SupportService(router_dir=router_dir)
    _print_many(zip(messages, route_messages(service, messages), strict=True), as_json)
