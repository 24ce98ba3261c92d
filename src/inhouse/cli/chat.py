"""Top-level `inhouse chat MODEL "question"`: one reply from a local generator, streamed to
stdout, with its speed on stderr."""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False)


def chat(
    model: Annotated[
        str, typer.Argument(help="A registered model name (`inhouse models list`) or a path.")
    ],
    question: Annotated[str, typer.Argument(help="The user's message.")],
    max_tokens: Annotated[int, typer.Option(min=1, help="Most tokens in the reply.")] = 256,
    temperature: Annotated[
        float, typer.Option(min=0.0, max=2.0, help="0: greedy; above 0: sampled.")
    ] = 0.0,
    seed: Annotated[int | None, typer.Option(help="Seed for sampled decoding.")] = None,
    system: Annotated[
        str | None, typer.Option(help="A system message before the question.")
    ] = None,
    stream: Annotated[
        bool, typer.Option("--stream/--no-stream", help="Print tokens as they come.")
    ] = True,
) -> None:
    """Ask a local chat model one question.

    e.g. inhouse chat qwen2.5-coder-0.5b-instruct "What is 2+2?" --max-tokens 32
    """
    from inhouse.generate.base import TextStream
    from inhouse.generate.registry import load_generator

    start = time.perf_counter()
    generator = load_generator(model, max_tokens=max_tokens)
    loaded = time.perf_counter()
    messages = [{"role": "user", "content": question}]
    if system:
        messages.insert(0, {"role": "system", "content": system})
    pieces = generator.stream(messages, temperature=temperature, seed=seed)
    first: float | None = None
    text = []
    for piece in pieces:
        first = first or time.perf_counter()
        text.append(piece)
        if stream:
            sys.stdout.write(piece)
            sys.stdout.flush()
    end = time.perf_counter()
    sys.stdout.write(("" if stream else "".join(text)) + "\n")
    if isinstance(pieces, TextStream):
        u, first = pieces.usage, first or end
        # decoding speed: the tokens after the first, over the time after the first
        decode = (u.completion_tokens - 1) / (end - first) if end > first else 0.0
        err.print(
            f"{u.completion_tokens} tokens, {decode:.1f} tokens/s decoding; first token after "
            f"{first - loaded:.2f} s (prompt {u.prompt_tokens} tokens, {u.prompt_evaluated} "
            f"evaluated); load {loaded - start:.1f} s; finish: {u.finish_reason}"
        )
