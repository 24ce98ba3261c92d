"""`inhouse support`: intent routing, help-center indexing and grounded answers."""

from __future__ import annotations

import typer

from inhouse.cli import support_answer, support_router

app = typer.Typer(no_args_is_help=True)
support_router.register(app)
support_answer.register(app)
