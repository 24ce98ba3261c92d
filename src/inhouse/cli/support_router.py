"""Commands of `inhouse support` for intent routing: `fit-router` and `route`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
MAX_CHARS = 2000  # equal to inhouse.support.route.base.MAX_CHARS; a literal keeps --help fast


def fit_router(
    tickets: Annotated[Path, typer.Option(help="Past tickets (CSV, JSONL or Parquet).")],
    out: Annotated[Path, typer.Option(help="Folder to write the router into.")],
    system: Annotated[
        str | None, typer.Option(help="One of: {systems}. Default: {default}.")
    ] = None,
    valid_fraction: Annotated[
        float, typer.Option(help="Share of each intent held out to set the out-of-scope threshold.")
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
    console.print(f"saved to {escape(str(out))}")


def route(
    router_dir: Annotated[Path, typer.Argument(help="A folder written by `fit-router`.")],
    text: Annotated[str | None, typer.Argument(help="The customer's message.")] = None,
    file: Annotated[Path | None, typer.Option(help="Read the message from a file.")] = None,
) -> None:
    """Route one message to an intent, or out of scope.

    e.g. inhouse support route ./router "my card has not arrived"
    """
    from inhouse.errors import InhouseError
    from inhouse.support.service import SupportService, check_message

    if (text is None) == (file is None):
        raise InhouseError("give the message either as TEXT or with --file, e.g. 'my card is lost'")
    payload: object = text
    if file is not None:
        try:
            payload = file.read_bytes()
        except OSError as e:
            raise InhouseError(f"{file}: cannot read ({e.strerror})") from None
    message = check_message(payload)  # before loading: a bad message costs nothing
    result = SupportService(router_dir=router_dir).route(message)
    if result.truncated_from is not None:
        console.print(
            f"[yellow]note:[/] the message has {result.truncated_from} characters; "
            f"routed on its first {MAX_CHARS}"
        )
    console.print(f"intent: {escape(result.intent)}")
    console.print(f"confidence: {result.confidence:.4f}")
    console.print(f"out of scope: {'yes' if result.out_of_scope else 'no'}")
    console.print(f"escalate: {'yes' if result.out_of_scope else 'no'}")
