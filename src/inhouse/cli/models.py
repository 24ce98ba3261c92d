"""`inhouse models`: the local model registry (list, add, verify, remove, pull) and catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from inhouse.cli.output import human_size

app = typer.Typer(no_args_is_help=True)
console = Console()

_STATUS = {
    "verified": "verified",
    "unverified": "not verified",
    "changed": "changed since verified",
    "missing": "missing",
}


@app.command("list")
def list_cmd(
    catalogue: Annotated[
        bool, typer.Option("--catalogue", help="Also show the catalogue of models to bring in.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the models as JSON.")] = False,
) -> None:
    """Registered models with format, size and verification status (tab-separated off a
    terminal)."""
    from inhouse.cli.output import emit
    from inhouse.models.registry import read_registry, registry_path

    rows = [
        {
            "name": e.name,
            "format": e.format,
            "task": e.task or "?",
            "size": human_size(e.total_size) if not as_json else e.total_size,
            "status": _STATUS[e.status()] if not as_json else e.status(),
            "catalogue": e.catalogue_id or "",
            "path": str(e.path),
        }
        for e in sorted(read_registry().values(), key=lambda e: e.name)
    ]
    styles: dict[str, dict[str, Any]] = {"name": {"no_wrap": True}, "path": {"overflow": "fold"}}
    columns = ("name", "format", "task", "size", "status", "catalogue", "path")
    emit(rows, f"Registered models ({registry_path()})", as_json, styles, columns)
    if catalogue and not as_json:
        _print_catalogue()


def _print_catalogue() -> None:
    from inhouse.cli.output import emit
    from inhouse.models.catalogue import load_catalogue

    rows = []
    for c in load_catalogue():
        context = f"{c.context_length:,}"
        if c.context_length_extended:
            context += f" ({c.context_length_extended:,} YaRN)"
        rows.append(
            {
                "name": c.name,
                "task": c.task,
                "params": c.parameters,
                "dim": str(c.dimensions or ""),
                "context": context,
                "licence": c.licence,
                "hf id": c.hf_id,
                "lab": c.lab,
                "recommended use": c.recommended_use,
            }
        )
    title = "Catalogue (bring one in: inhouse models pull HF_ID, or add PATH)"
    emit(rows, title, styles={"name": {"no_wrap": True}, "recommended use": {"ratio": 3}})


@app.command()
def add(
    path: Annotated[
        Path,
        typer.Argument(
            help="HF model folder, sentence-transformers folder, .safetensors or .gguf file."
        ),
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Registry name (default: folder/file name).")
    ] = None,
) -> None:
    """Register model weights already on this machine (hashes every weight file)."""
    from inhouse.models.registry import add_model

    e = add_model(path, name=name)
    match = f", catalogue: {e.catalogue_id}" if e.catalogue_id else ", not in the catalogue"
    console.print(
        f"added [bold]{e.name}[/] ({e.format}, {len(e.weights)} weight file(s), "
        f"{human_size(e.total_size)}{match})",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def verify(
    name: Annotated[
        str | None, typer.Argument(help="Model to check (default: every registered model).")
    ] = None,
) -> None:
    """Re-hash weight files and compare with the sha256 recorded when they were added."""
    from inhouse.models.registry import verify_model

    for e in verify_model(name):
        console.print(
            f"[green]ok[/] {e.name}: {len(e.weights)} weight file(s) match",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def remove(name: Annotated[str, typer.Argument(help="Registry name of the model.")]) -> None:
    """Forget a model. Its files are left where they are."""
    from inhouse.models.registry import remove_model

    e = remove_model(name)
    console.print(
        f"removed {e.name} from the registry; its files at {e.path} were not touched",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def pull(
    hf_id: Annotated[str, typer.Argument(help="Hugging Face model id, e.g. Qwen/Qwen3-0.6B.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Registry name (default: catalogue name).")
    ] = None,
) -> None:
    """Download a model from the Hugging Face Hub (needs a network) and register it."""
    from inhouse.models.pull import pull_model

    e = pull_model(hf_id, name=name)
    console.print(
        f"pulled {hf_id} to {e.path} and registered it as {e.name}", highlight=False, soft_wrap=True
    )
