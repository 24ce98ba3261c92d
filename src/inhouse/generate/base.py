"""The `Generator` protocol: OpenAI-shaped chat messages in, the assistant's reply out.

Every backend (llama.cpp for GGUF, transformers for a Hugging Face folder, an OpenAI-compatible
upstream such as vLLM) satisfies it, so the support answerer, the server and the bake-off call
one interface. `params` are OpenAI's sampling fields (`temperature`, `max_tokens`, `stop`,
`top_p`, `seed`); greedy decoding is the default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": str}


@runtime_checkable
class Generator(Protocol):
    """A chat model: messages in, the assistant's reply out, whole or as text pieces."""

    name: str

    def chat(self, messages: list[Message], **params: Any) -> str: ...

    def stream(self, messages: list[Message], **params: Any) -> Iterator[str]: ...
