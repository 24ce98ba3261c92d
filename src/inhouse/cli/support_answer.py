"""Commands of `inhouse support` for help-center retrieval and answers."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the `support` group."""
