"""The `inhouse` command line: parses arguments and calls one library function per command.

Each command group lives in its own module here and is registered below. A user error
(`InhouseError`) prints one message and exits 2; anything else is a bug and shows a traceback.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console
from rich.markup import escape

from inhouse import __version__
from inhouse.errors import InhouseError

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="inhouse",
    help=(
        "Run open-weight AI models in your own house: bring weights in, customise them on your "
        "data, bake them off against off-the-shelf models and API prices, serve privately."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        console.print(f"inhouse {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Run open-weight AI models in your own house."""


def _register() -> None:
    """Attach every command group, once per app (`main` may run many times in one process).
    Imports stay inside so `inhouse --help` is fast."""
    from inhouse.cli import groups

    if not app.registered_groups:
        groups.register(app)


def _redact_logs() -> None:
    """Every log line goes through PII redaction, with the company's own patterns added."""
    from inhouse.redact import Redactor, install_log_redaction
    from inhouse.settings import get_settings

    settings = get_settings()
    logging.getLogger("inhouse").setLevel(settings.log_level)
    install_log_redaction(redactor=Redactor(settings.pii_patterns))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `inhouse` script.

    Typer runs in standalone mode, so usage errors print and exit 2 as usual; an
    `InhouseError` passes through it and is printed here, without a traceback.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _register()
    try:
        _redact_logs()
        app(args=argv, prog_name="inhouse")
    except InhouseError as e:
        err_console.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
