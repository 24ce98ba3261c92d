"""Registers each command group's Typer app on the root app (one line per group)."""

from __future__ import annotations

import importlib

import typer

# module name under inhouse.cli -> (command name, one-line help with an example)
GROUPS: dict[str, tuple[str, str]] = {
    "artifacts": ("artifacts", "Saved model versions.  e.g. inhouse artifacts list ./router"),
    "audit": ("audit", "The server's audit log.  e.g. inhouse audit verify inhouse-audit.jsonl"),
    "bakeoff": (
        "bakeoff",
        "Bake off in-house vs off-the-shelf vs API on your data; writes one HTML report.  "
        "e.g. inhouse bakeoff support --tickets tickets.csv --out ./bakeoff",
    ),
    "bench": ("bench", "Bench JSON.  e.g. inhouse bench support --dataset banking77 --out b.json"),
    "data": ("data", "Check company data files.  e.g. inhouse data check events.csv --kind events"),
    "datasets": ("datasets", "Public benchmark datasets.  e.g. inhouse datasets list"),
    "keys": ("keys", "The server's API keys.  e.g. inhouse keys create --name web --scopes chat"),
    "models": ("models", "The local model registry.  e.g. inhouse models add ./Qwen3-0.6B"),
    "recommend": (
        "recommend",
        "Fit recommenders, recommend for a user or session.  "
        "e.g. inhouse recommend for-user ./rec --user u42 -k 10",
    ),
    "support": (
        "support",
        "Intent routing, help-center search, grounded answers.  "
        'e.g. inhouse support route ./router "my card has not arrived"',
    ),
    "tune": (
        "tune",
        "LoRA-tune a chat model on past tickets.  "
        "e.g. inhouse tune lora --base MODEL --data tickets.jsonl --out ./lora",
    ),
}
# module under inhouse.cli -> its functions registered as top-level commands
COMMANDS: dict[str, tuple[str, ...]] = {
    "chat": ("chat",),
    "demo": ("demo",),
    "embed": ("embed",),
    "serve": ("serve", "usage"),
}


def register(app: typer.Typer) -> None:
    for module, (name, help_text) in GROUPS.items():
        sub = importlib.import_module(f"inhouse.cli.{module}")
        if isinstance(sub.app, typer.Typer):
            app.add_typer(sub.app, name=name, help=help_text)
    for module, names in COMMANDS.items():
        sub = importlib.import_module(f"inhouse.cli.{module}")
        for name in names:
            command = getattr(sub, name)
            app.command(name, cls=getattr(command, "command_class", None))(command)
