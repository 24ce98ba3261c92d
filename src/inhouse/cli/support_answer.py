"""Commands of `inhouse support` for help-center retrieval and answers: `index` and `ask`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

console = Console()


def index(
    articles: Annotated[
        Path,
        typer.Option(help="Help-center articles (CSV, JSONL or Parquet); columns: docs/data.md."),
    ],
    out: Annotated[Path, typer.Option(help="Folder to write the index into.")],
    system: Annotated[
        str | None, typer.Option(help="One of: {systems}. Default: {default}.")
    ] = None,
    embedder: Annotated[
        Path | None, typer.Option(help="A sentence-transformers folder; default all-MiniLM-L6-v2.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was indexed as JSON.")
    ] = False,
) -> None:
    """Index help-center articles for search and answers.

    e.g. inhouse support index --articles articles.jsonl --out ./help-index --system hybrid
    """
    from inhouse.support.retrieve.registry import build_index

    chosen = {"system": system} if system else {}  # else the library's default
    retriever, folder = build_index(articles, out, embedder_path=embedder, **chosen)
    if as_json:
        n = retriever.articles.height
        typer.echo(json.dumps({"system": retriever.name, "articles": n, "folder": str(folder)}))
        return
    console.print(
        f"[bold]{retriever.name}[/] index of {retriever.articles.height} articles "
        f"saved to {escape(str(folder))}"
    )


def ask(
    index_dir: Annotated[Path, typer.Argument(help="A folder written by `support index`.")],
    question: Annotated[str, typer.Argument(help="The customer's message.")],
    router: Annotated[
        Path | None, typer.Option(help="A router folder from `fit-router`, to route intents.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer a customer message from the help center, with citations.

    e.g. inhouse support ask ./help-index "my new card has not arrived"
    """
    from inhouse.support.service import SupportService, check_message

    question = check_message(question)  # before loading: a bad message costs nothing
    ans = SupportService(router_dir=router, index_dir=index_dir).ask(question)
    if as_json:
        typer.echo(json.dumps(asdict(ans), indent=2))
        return
    flag = "[bold red]yes[/]" if ans.escalate else "no"
    console.print(
        f"escalate: {flag}  confidence: {ans.confidence:.2f}"
        + (f"  intent: {escape(ans.intent)}" if ans.intent else "")
    )
    if ans.reason:
        console.print(f"reason: {escape(ans.reason)}")
    console.print()
    console.print(escape(ans.answer))
    console.print()
    for i, c in enumerate(ans.citations, start=1):
        console.print(f"[{i}] {escape(c.article_id)}  {escape(c.title)}  ({c.score:.2f})")
