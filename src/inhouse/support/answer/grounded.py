"""The grounded prompt: the customer's (redacted) message and the cited passages, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from inhouse.generate.base import Message

SYSTEM_PROMPT = (
    "You are a bank's customer-support assistant. Answer the customer's message using ONLY the "
    "numbered help-center passages below. Cite passages as [1], [2]. If the passages do not "
    "answer the question, say so and offer to pass the customer to a human agent."
)


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
