"""The `Generator` protocol: OpenAI-shaped chat messages in, the assistant's reply out.

Every backend (llama.cpp for GGUF, transformers for a Hugging Face folder, an OpenAI-compatible
upstream such as vLLM) satisfies it, so the support answerer, the server and the bake-off call
one interface. `params` are OpenAI's sampling fields (`temperature`, `max_tokens`, `stop`,
`top_p`, `seed`); greedy decoding is the default.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": str}


@runtime_checkable
class Generator(Protocol):
    """A chat model: messages in, the assistant's reply out, whole or as text pieces."""

    name: str

    def chat(self, messages: list[Message], **params: Any) -> str: ...

    def stream(self, messages: list[Message], **params: Any) -> Iterator[str]: ...


@dataclass
class Usage:
    """Token counts of one reply, filled in as it is generated."""

    prompt_tokens: int = 0
    """Tokens of the prompt (the chat template applied to the messages)."""
    prompt_evaluated: int = 0
    """Prompt tokens the model computed; fewer than `prompt_tokens` when a cached prefix
    was reused."""
    completion_tokens: int = 0
    """Tokens generated: the end-of-turn token and any a stop string was cut from included."""
    finish_reason: Literal["stop", "length"] | None = None
    """`stop`: end of turn or a stop string; `length`: `max_tokens` reached."""


class TextStream(Iterator[str]):
    """The pieces of a reply, and its `usage` (complete once the pieces are exhausted).

    >>> pieces = generator.stream(messages)
    >>> text = "".join(pieces)
    >>> pieces.usage.completion_tokens
    """

    def __init__(self, pieces: Iterator[str], usage: Usage) -> None:
        self._pieces, self.usage = pieces, usage

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        """Stop generating (a reader that leaves early frees the model at once)."""
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()


def stop_list(stop: str | list[str] | None) -> list[str]:
    """OpenAI's `stop` field (one string, a list, or None) as a list of non-empty strings."""
    if stop is None:
        return []
    return [s for s in ([stop] if isinstance(stop, str) else list(stop)) if s]


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """`text` up to the first occurrence of any stop string, and whether one occurred."""
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return (text[: min(found)], True) if found else (text, False)


def held_back(text: str, stops: list[str]) -> int:
    """How many trailing characters of `text` to hold back while streaming: a partial UTF-8
    character (decoded as U+FFFD) or the start of a stop string that may complete later."""
    hold = 1 if text.endswith("\ufffd") else 0
    for s in stops:
        for k in range(min(len(s) - 1, len(text)), 0, -1):
            if text.endswith(s[:k]):
                hold = max(hold, k)
                break
    return hold


@dataclass(frozen=True)
class Sampling:
    """The decoding settings of one call, checked: greedy when `temperature` is 0."""

    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


PARAMS = ("max_tokens", "temperature", "top_p", "seed", "stop")


def sampling(params: dict[str, Any], max_tokens: int, backend: str) -> Sampling:
    """Check a local backend's `params` (OpenAI's names); a ConfigError names a bad one."""
    from inhouse.errors import ConfigError

    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise ConfigError(
            f"the {backend} backend does not take {', '.join(unknown)}; "
            f"it takes {', '.join(PARAMS)}"
        )
    s = Sampling(
        max_tokens=int(params.get("max_tokens") or max_tokens),
        temperature=float(params.get("temperature") or 0.0),
        top_p=float(1.0 if params.get("top_p") is None else params["top_p"]),
        seed=None if params.get("seed") is None else int(params["seed"]),
        stop=tuple(stop_list(params.get("stop"))),
    )
    if s.max_tokens < 1:
        raise ConfigError(f"max_tokens must be at least 1, not {s.max_tokens}")
    if not 0.0 <= s.temperature <= 2.0:
        raise ConfigError(f"temperature must be between 0 and 2, not {s.temperature}")
    if not 0.0 < s.top_p <= 1.0:
        raise ConfigError(f"top_p must be in (0, 1], not {s.top_p}")
    return s
