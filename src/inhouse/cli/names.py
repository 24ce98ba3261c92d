"""Option help that lists names from the registries and the datasets catalogue, filled in only
when a command's help or arguments are read, so `inhouse --help` imports no registry.

    @app.command(cls=listing(systems=registry_names("inhouse.recommend.registry")))
    def fit(system: str = typer.Option(help="One of: {systems}.")): ...
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from typer.core import TyperCommand


def registry_names(module: str, attr: str = "SYSTEMS") -> Callable[[], str]:
    """`'a, b, c'`: the names of a registry (`list(module.attr)`), read when asked for."""
    return lambda: ", ".join(list(getattr(importlib.import_module(module), attr)))


def datasets(workload: str | None = None) -> Callable[[], str]:
    """`'a, b'`: the catalogue's datasets (of `workload`), read when asked for."""

    def read() -> str:
        from inhouse.datasets import CATALOGUE

        return ", ".join(r.name for r in CATALOGUE if workload in (None, r.workload))

    return read


def default_of(function: str, parameter: str) -> Callable[[], str]:
    """The default of `parameter` of `module:function`: the library's default, shown in help."""

    def read() -> str:
        import inspect

        module, _, name = function.partition(":")
        fn = getattr(importlib.import_module(module), name)
        return str(inspect.signature(fn).parameters[parameter].default)

    return read


def listing(**fields: Callable[[], str]) -> type[TyperCommand]:
    """A command class whose parameters' help has `{field}` filled in from `fields` on first use."""

    class Listing(TyperCommand):
        _filled = False

        def get_params(self, ctx: Any) -> Any:  # click's Context -> list[Parameter]
            if not self._filled:
                values: dict[str, Any] = {k: f() for k, f in fields.items()}
                for p in self.params:
                    text = getattr(p, "help", None)
                    if isinstance(text, str) and "{" in text:
                        p.help = text.format(**values)  # type: ignore[attr-defined]
                self._filled = True
            return super().get_params(ctx)

    return Listing
