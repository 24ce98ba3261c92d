"""Top-level `inhouse embed`: a catalog's item texts into Parquet shards and a vector index, in
this process or on Ray (`--engine ray`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

console = Console(stderr=True)  # notes; the summary goes to stdout


def embed(
    catalog: Annotated[
        Path, typer.Option(help="Catalog file (CSV, JSONL or Parquet): item_id, title, ...")
    ],
    out: Annotated[Path, typer.Option(help="Folder for shards/, index/ and embed.json.")],
    embedder: Annotated[
        str | None,
        typer.Option(help="A registered embedder (`inhouse models list`). Default: the embedded."),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(help="local: in this process; ray: Ray Data (pip install 'inhouse\\[ray]')."),
    ] = "local",
    index_kind: Annotated[str, typer.Option(help="flat (exact), hnsw or ivfpq.")] = "flat",
    index_param: Annotated[
        list[str] | None, typer.Option(help="Index parameter NAME=VALUE, e.g. nlist=64.")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Texts per model batch.")] = 64,
    num_cpus: Annotated[
        int | None, typer.Option(help="CPUs of a local Ray (not with RAY_ADDRESS). Default: all.")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Ray actors, one model each. Default: one per Ray CPU.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Embed a catalog's items, write Parquet shards and build a vector index from them.

    e.g. inhouse embed --catalog catalog.csv --engine ray --out ./vectors
    """
    from inhouse.cli.recommend import _params
    from inhouse.data.read import read_catalog
    from inhouse.models.embed_catalog import embed_catalog
    from inhouse.recommend.text import item_texts

    rows = read_catalog(catalog)
    s = embed_catalog(
        rows["item_id"].to_list(),
        item_texts(rows),
        out,
        embedder=embedder,
        engine=engine,
        index_kind=index_kind,
        index_params=_params(index_param),
        batch_size=batch_size,
        num_cpus=num_cpus,
        concurrency=concurrency,
    )
    if as_json:
        typer.echo(json.dumps(asdict(s)))
        return
    rate = s.items / s.embed_seconds if s.embed_seconds else float("inf")
    typer.echo(
        f"{s.items:,} items embedded with {s.embedder} (dim {s.dim}) on {s.engine} "
        f"({s.workers} worker(s)) in {s.embed_seconds:.1f} s, {rate:,.0f} items/s; "
        f"{s.shards} shard(s); {s.index_kind} index built in {s.index_seconds:.2f} s"
    )
    console.print(f"saved {escape(str(out))}/shards, index, embed.json", highlight=False)
