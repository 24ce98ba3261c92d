"""`inhouse support`: intent routing, help-center indexing and grounded answers."""

from __future__ import annotations

import typer

from inhouse.cli.names import default_of, listing, registry_names
from inhouse.cli.support_answer import ask, index
from inhouse.cli.support_router import fit_router, route

app = typer.Typer(no_args_is_help=True)


def _systems(registry: str, default: str) -> type:
    """The command class that fills `{systems}` and `{default}` in from `registry`."""
    return listing(systems=registry_names(registry), default=default_of(default, "system"))


ROUTERS = _systems(
    "inhouse.support.route.registry", "inhouse.support.route.service:fit_router_from_tickets"
)
RETRIEVERS = _systems(
    "inhouse.support.retrieve.registry", "inhouse.support.retrieve.registry:build_index"
)
app.command("fit-router", cls=ROUTERS)(fit_router)
app.command("route")(route)
app.command("index", cls=RETRIEVERS)(index)
app.command("ask")(ask)
