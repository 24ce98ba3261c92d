"""The seam where a generative model writes answers: a `Generator` and the grounded prompt.

A generator takes OpenAI-shaped chat messages and returns the reply text. The project's own
answers are extractive; a configured generator (e.g. an OpenAI-compatible server selected by
URL) rewrites them from the same cited passages, which `ask` redacts before sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": str}

SYSTEM_PROMPT = (
    "You are a bank's customer-support assistant. Answer the customer's message using ONLY the "
    "numbered help-center passages below. Cite passages as [1], [2]. If the passages do not "
    "answer the question, say so and offer to pass the customer to a human agent."
)


@runtime_checkable
class Generator(Protocol):
    """A chat model: messages in, the assistant's reply out."""

    name: str

    def chat(self, messages: list[Message]) -> str: ...


def grounded_messages(question: str, passages: Sequence[tuple[str, str]]) -> list[Message]:
    """Chat messages asking for an answer from `passages` ((title, text) pairs) only.

    The caller redacts every string first; nothing here looks at PII.
    """
    sources = "\n\n".join(
        f"[{i}] {title}\n{text}" for i, (title, text) in enumerate(passages, start=1)
    )
    return [
        {"role": "system", "content": f"{SYSTEM_PROMPT}\n\nPassages:\n\n{sources}"},
        {"role": "user", "content": question},
    ]
