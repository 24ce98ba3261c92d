"""Commands of `inhouse tune`: `lora` (train a LoRA adapter of a chat model on past tickets)
and `merge` (fold an adapter into its base as a standalone model)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from inhouse.tune.lora import LoraSettings

app = typer.Typer(no_args_is_help=True, help="Tune generators on company data.")
console = Console()
D = LoraSettings()  # the defaults shown in --help are the library's


@app.command()
def lora(
    base: Annotated[
        str, typer.Option(help="Base chat model: a registry name, an HF folder or a .gguf file.")
    ],
    data: Annotated[
        Path,
        typer.Option(help="Past tickets (CSV, JSONL or Parquet) with `text` and `resolution`."),
    ],
    out: Annotated[Path, typer.Option(help="Folder to write the adapter into.")],
    epochs: Annotated[int, typer.Option(help="Passes over the training tickets.")] = D.epochs,
    lr: Annotated[float, typer.Option(help="Peak learning rate (AdamW).")] = D.lr,
    rank: Annotated[int, typer.Option(help="LoRA rank.")] = D.rank,
    alpha: Annotated[int, typer.Option(help="LoRA alpha (scale alpha / rank).")] = D.alpha,
    dropout: Annotated[float, typer.Option(help="Dropout on the LoRA path.")] = D.dropout,
    max_length: Annotated[int, typer.Option(help="Tokens per example at most.")] = D.max_length,
    batch_size: Annotated[int, typer.Option(help="Tickets per step.")] = D.batch_size,
    eval_fraction: Annotated[
        float, typer.Option(help="Share of tickets held out (seeded) for the held-out loss.")
    ] = D.eval_fraction,
    seed: Annotated[int, typer.Option(help="Seeds the split, the order and the init.")] = D.seed,
    checkpoint_every: Annotated[
        int, typer.Option(help="Steps between checkpoints (OUT.checkpoint/).")
    ] = D.checkpoint_every,
    resume: Annotated[
        bool, typer.Option(help="Continue an interrupted run from OUT.checkpoint/.")
    ] = False,
) -> None:
    """Train a LoRA adapter: each ticket's text -> its resolution, PII redacted first.

    e.g. inhouse tune lora --base SmolLM2-135M-Instruct --data tickets.jsonl --out ./acme-lora
    """
    from inhouse.tune.lora import lora_tune

    settings = LoraSettings(
        epochs=epochs,
        lr=lr,
        rank=rank,
        alpha=alpha,
        dropout=dropout,
        max_length=max_length,
        batch_size=batch_size,
        eval_fraction=eval_fraction,
        seed=seed,
        checkpoint_every=checkpoint_every,
    )
    report = lora_tune(base, data, out, settings, resume=resume)
    start = f", resumed at step {report.resumed_from}" if report.resumed_from else ""
    console.print(
        f"LoRA: {report.n_train} training tickets, {report.n_eval} held out, {report.skipped} "
        f"skipped; {report.steps} steps{start}; {report.train_tokens_per_s:,.0f} tokens/s",
        highlight=False,
    )
    for row in report.log:
        held = "" if row["eval_loss"] is None else f", held-out loss {row['eval_loss']:.4f}"
        console.print(
            f"epoch {row['epoch']:.0f}: train loss {row['train_loss']:.4f}{held}", highlight=False
        )
    console.print(f"saved to {escape(str(out))}")


@app.command()
def merge(
    adapter: Annotated[Path, typer.Option(help="Adapter folder written by `inhouse tune lora`.")],
    out: Annotated[Path, typer.Option(help="Folder to write the merged model into.")],
    name: Annotated[
        str | None, typer.Option(help="Registry name of the merged model (default: OUT's name).")
    ] = None,
    gguf: Annotated[
        Path | None,
        typer.Option(help="Also write this GGUF file (for llama.cpp), registered as NAME-gguf."),
    ] = None,
    converter: Annotated[
        Path | None,
        typer.Option(
            envvar="INHOUSE_LLAMA_CPP_CONVERTER",
            help="llama.cpp's convert_hf_to_gguf.py, for --gguf (see docs/tune.md).",
        ),
    ] = None,
) -> None:
    """Merge an adapter into its base model: a standalone Hugging Face folder, registered.

    e.g. inhouse tune merge --adapter ./acme-lora --out ./acme-merged
    """
    from inhouse.errors import ConfigError
    from inhouse.models.registry import add_model
    from inhouse.tune.adapters import export_gguf, merge_adapter

    if gguf is not None and converter is None:
        raise ConfigError(
            "--gguf needs --converter PATH (or INHOUSE_LLAMA_CPP_CONVERTER): llama.cpp's "
            "convert_hf_to_gguf.py, see docs/tune.md"
        )
    folder, entry = merge_adapter(adapter, out, name)
    assert entry is not None
    console.print(
        f"merged into {escape(str(folder))}, registered as {escape(entry.name)} "
        f"(weights sha256 {entry.weights_sha256()[:12]}...)",
        highlight=False,
    )
    if gguf is not None and converter is not None:
        file = export_gguf(folder, gguf, converter)
        gguf_entry = add_model(file, f"{entry.name}-gguf")
        console.print(
            f"wrote {escape(str(file))}, registered as {escape(gguf_entry.name)}", highlight=False
        )
