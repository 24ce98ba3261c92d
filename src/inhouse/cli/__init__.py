"""The `inhouse` command line: parses arguments and calls one library function per command.

Each command group lives in its own module here and is registered below. A user error
(`InhouseError`) prints one message and exits 2; anything else is a bug and shows a traceback.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console

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
    """Attach every command group. Imports stay inside so `inhouse --help` is fast."""
    from inhouse.cli import groups

    groups.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `inhouse` script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _register()
    try:
        app(args=argv, standalone_mode=False)
    except InhouseError as e:
        err_console.print(f"[bold red]error:[/] {e}", markup=True, highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except Exception as e:  # click's usage errors: print them as click would, exit 2
        import click

        if isinstance(e, click.exceptions.ClickException):
            e.show()
            sys.exit(e.exit_code)
        raise
