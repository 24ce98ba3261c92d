"""`inhouse datasets`: the public benchmark datasets (list, info, download, verify)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True)
console = Console()

DATA_DIR = typer.Option(
    None,
    "--data-dir",
    help="Folder holding the datasets (one sub-folder each). Default: INHOUSE_DATA_DIR, "
    "then the download cache.",
)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} KB"


@app.command("list")
def list_cmd(
    data_dir: Path | None = DATA_DIR,
    as_json: Annotated[bool, typer.Option("--json", help="Print the datasets as JSON.")] = False,
) -> None:
    """Every catalogue dataset, its licence, and whether it is present here."""
    from inhouse.cli.output import emit
    from inhouse.datasets import CATALOGUE, is_present, locate

    rows = []
    for record in CATALOGUE:
        folder, origin = locate(record.name, data_dir)
        size = sum(f.size for f in record.files)
        rows.append(
            {
                "name": record.name,
                "workload": record.workload,
                "licence": record.licence,
                "size": size if as_json else _size(size),
                "present": is_present(record, folder),
                "where": str(folder),
                "found by": origin,
            }
        )
    styles: dict[str, dict[str, Any]] = {"name": {"no_wrap": True}, "where": {"overflow": "fold"}}
    emit(rows, "Benchmark datasets (load one: inhouse datasets info NAME)", as_json, styles)


@app.command()
def info(
    name: str = typer.Argument(..., help="Dataset name, e.g. banking77."),
    data_dir: Path | None = DATA_DIR,
    verify: bool = typer.Option(False, "--verify", help="Check every file's sha256."),
) -> None:
    """A dataset's record, files, protocol and (when present) its split sizes."""
    from inhouse.datasets import CATALOGUE, is_present, load, locate, split_sizes
    from inhouse.datasets.checksums import mismatches
    from inhouse.datasets.download import HINT
    from inhouse.errors import DatasetError

    record = CATALOGUE[name]
    folder, origin = locate(name, data_dir)
    present = is_present(record, folder)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("[bold]name[/]", record.name)
    grid.add_row("[bold]workload[/]", record.workload)
    grid.add_row("[bold]what[/]", record.summary)
    grid.add_row("[bold]licence[/]", record.licence)
    grid.add_row("[bold]attribution[/]", record.attribution)
    grid.add_row("[bold]source[/]", record.source)
    grid.add_row(
        "[bold]files[/]", f"{len(record.files)}, {_size(sum(f.size for f in record.files))}"
    )
    grid.add_row("[bold]protocol[/]", record.protocol)
    grid.add_row("[bold]present[/]", f"{'yes' if present else 'no'}: {folder} ({origin})")
    if present:
        sizes = split_sizes(load(name, folder.parent))
        grid.add_row("[bold]rows[/]", ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    console.print(grid)

    files = Table(title=f"{name}: files")
    for col in ("path", "size", "sha256", "url"):
        files.add_column(col, overflow="fold")
    urls = dict((f.path, url) for f, url in record.download_files())
    shown = record.files if len(record.files) <= 12 else record.files[:10]
    for f in shown:
        files.add_row(f.path, _size(f.size), f.sha256[:16] + "…", urls.get(f.path, "(converted)"))
    if len(shown) < len(record.files):
        files.add_row(f"… {len(record.files) - len(shown)} more", "", "", "")
    console.print(files)
    if verify:
        if not present:
            raise DatasetError(f"{folder}: {name} is not there; nothing to verify. {HINT}")
        problems = mismatches(record, folder)
        if problems:
            raise DatasetError(
                "\n".join(problems) + f"\n{len(problems)} files differ from the catalogue; "
                "replace them with the public originals (inhouse datasets download)"
            )
        console.print(f"[green]all {len(record.files)} files match their sha256[/]")


NAMES = typer.Argument(None, help="Datasets to download; default: all seven.")


@app.command()
def download(names: list[str] | None = NAMES) -> None:
    """Download the public originals into `<cache_dir>/datasets`, each checked by sha256."""
    from inhouse.datasets import CATALOGUE
    from inhouse.datasets.download import cache_folder, fetch

    for name in names or CATALOGUE.names():
        record = CATALOGUE[name]
        folder = cache_folder(name)
        fetch(record, folder)
        console.print(f"{name}: [green]ready[/] in {folder}")
