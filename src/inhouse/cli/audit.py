"""`inhouse audit`: check the server's hash-chained audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="The audit log (JSONL).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Check every line's hash chain; name the first broken line (exit 2)."""
    from inhouse.errors import InhouseError
    from inhouse.serve.audit import verify as check

    verdict = check(file)
    if not verdict.ok:
        raise InhouseError(f"{file}:{verdict.broken_line}: audit chain broken: {verdict.reason}")
    if as_json:
        typer.echo(json.dumps({"file": str(file), "lines": verdict.lines, "intact": True}))
        return
    console.print(f"{file}: {verdict.lines} lines, chain intact", highlight=False)
