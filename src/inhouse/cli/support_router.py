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
                "Share of each intent held out to set the out-of-scope threshold. With tickets "
                "of intent `oos` the router is fitted on the rest; without, it is fitted on "
                "every ticket once the threshold is set (see --oos-method)."
            )
        ),
    ] = 0.1,
    oos_method: Annotated[
        str,
        typer.Option(
            help=(
                "How to set the out-of-scope threshold when no ticket has intent `oos`: "
                "accuracy-drop (the highest threshold costing at most 1 point of held-out "
                "accuracy; chosen on CLINC150, benchmarks/oos_without_examples.py), quantile "
                "(reject 2 % of held-out tickets), held-out-intents (5 folds of intents play "
                "out of scope; 5 extra fits), or off (no detection). Tickets of intent `oos` "
                "always take precedence. See docs/out-of-scope.md."
            )
        ),
    ] = "accuracy-drop",
    intents: Annotated[
        Path | None, typer.Option(help="File of allowed intents, one a line; others are errors.")
    ] = None,
    embedder: Annotated[
        str | None,
        typer.Option(
            help=(
                "A registered embedder to encode with (`inhouse models list`), e.g. "
                "all-mpnet-base-v2 after `inhouse models install all-mpnet-base-v2`. "
                "Default: the embedded all-MiniLM-L6-v2."
            )
        ),
    ] = None,
) -> None:
    """Fit an intent router on past tickets.

    e.g. inhouse support fit-router --tickets tickets.csv --out ./router --system finetuned
         inhouse support fit-router --tickets t.csv --out ./router --embedder all-mpnet-base-v2
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
        tickets,
        out,
        valid_fraction=valid_fraction,
        intents=allowed,
        oos_method=oos_method,
        embedder=embedder,
        **chosen,
    )
    for line in fit_summary(report, valid_fraction):
        console.print(line, highlight=False)
    console.print(f"saved to {escape(str(out))}")


def fit_summary(report: Any, valid_fraction: float) -> list[str]:
    """What `fit-router` prints about a `FitReport`: the fit, then how the threshold was set."""
    oos_hint = (
        "For better detection, add tickets with intent `oos` (messages you do not handle) and "
        f"fit again: {valid_fraction:.0%} of each intent, `oos` included, is then held out to "
        "set the threshold."
    )
    held = (
        f"{report.n_valid} held out"
        if report.oos_method in ("oos-tickets", "off")
        else f"{report.n_valid} of them first held out to set the threshold"
    )
    lines = [
        f"[bold]{report.system}[/] router: {report.intents} intents, {report.n_train} training "
        f"tickets, {held}; {report.wall_seconds:.1f} s wall, {report.cpu_seconds:.1f} s CPU"
    ]
    c = report.calibration
    if report.oos_method == "oos-tickets":
        lines.append(
            f"out-of-scope threshold {c['threshold']:.4f}, set by held-out tickets with intent "
            f"`oos` (held-out in-scope accuracy {c['val_in_scope_accuracy']:.3f}, out-of-scope "
            f"recall {c['val_oos_recall']:.3f})"
        )
    elif report.oos_method == "off":
        lines.append(
            "out-of-scope detection is off (--oos-method off): every message is routed to its "
            "nearest intent. To turn it on, drop --oos-method off. " + oos_hint
        )
    else:
        lines.append(
            f"out-of-scope threshold {c['threshold']:.4f}, set by --oos-method "
            f"{report.oos_method} without any ticket of intent `oos` (held-out in-scope "
            f"accuracy {c['val_in_scope_accuracy']:.3f}); then fitted on every ticket. " + oos_hint
        )
    return lines


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
