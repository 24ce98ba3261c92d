"""Support tickets as chat examples for tuning a generator: the customer's text is the user turn,
the agent's resolution the assistant turn, both with PII redacted first.

    >>> examples = ticket_examples(read_tickets("tickets.jsonl"))
    >>> examples[0].messages
    [{'role': 'user', 'content': 'my card [CARD] has not arrived'}, {'role': 'assistant', ...}]
    >>> ids, labels = encode_example(tokenizer, examples[0].messages, max_length=512)

Only the assistant's tokens are learnt: the prompt's labels are -100 (ignored by the loss).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from inhouse.errors import ModelError
from inhouse.redact import Redactor, redact

IGNORE = -100  # the label torch's cross-entropy skips


@dataclass(frozen=True)
class ChatExample:
    """One ticket as a conversation: the customer's user turn, the agent's assistant turn."""

    ticket_id: str
    messages: list[dict[str, str]]


def ticket_examples(tickets: pl.DataFrame, redactor: Redactor | None = None) -> list[ChatExample]:
    """The tickets that have a resolution, as redacted chat examples, in file order.

    `tickets` is a frame from `inhouse.data.read_tickets`; tickets without a resolution are left
    out (there is nothing to learn from them). Both turns go through `inhouse.redact`, so an
    email, phone, card or IBAN in a ticket becomes `[EMAIL]`, `[PHONE]`, ... before any token
    reaches the model."""
    rows = tickets.filter(
        pl.col("resolution").is_not_null() & (pl.col("resolution").str.strip_chars() != "")
    )
    out = []
    for ticket_id, text, resolution in rows.select("ticket_id", "text", "resolution").iter_rows():
        user = redact(text.strip(), redactor)[0]
        assistant = redact(resolution.strip(), redactor)[0]
        out.append(
            ChatExample(
                ticket_id,
                [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}],
            )
        )
    return out


def prompt_ids(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    """Token ids of `messages` rendered by the tokenizer's chat template, ending with the
    assistant's header: what the model reads before it replies."""
    if not getattr(tokenizer, "chat_template", None):
        raise ModelError(
            f"{getattr(tokenizer, 'name_or_path', 'the base model')}: its tokenizer has no chat "
            "template, so tickets cannot be turned into chat turns; use a chat (instruct) model "
            "as --base"
        )
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def encode_example(
    tokenizer: Any, messages: list[dict[str, str]], max_length: int
) -> tuple[list[int], list[int]]:
    """Input ids and labels of one conversation whose last turn is the assistant's.

    The prompt is tokenized exactly as at inference (`prompt_ids`), then the reply as the
    template writes it, up to its end-of-turn token (the tokenizer's eos, where generation
    stops); prompt labels are `IGNORE`. Cut to `max_length` tokens from the end of the reply."""
    assert messages and messages[-1]["role"] == "assistant", "the last turn must be the reply"
    prompt = prompt_ids(tokenizer, messages[:-1])
    head = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    assert full.startswith(head), "the chat template renders the prompt differently with a reply"
    reply = list(tokenizer(full[len(head) :], add_special_tokens=False)["input_ids"])
    eos = tokenizer.eos_token_id
    if eos is not None and eos in reply:  # what the template writes after it is not learnt
        reply = reply[: reply.index(eos) + 1]
    elif eos is not None:  # a template without an end-of-turn token
        reply.append(eos)
    ids = (prompt + reply)[:max_length]
    labels = ([IGNORE] * len(prompt) + reply)[:max_length]
    return ids, labels


def split_indices(n: int, eval_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, held out) positions of `n` examples: a seeded `eval_fraction` held out (at least
    one when the fraction is above 0 and there are two or more), each part in ascending order.

    >>> split_indices(10, 0.2, seed=0)
    ([0, 1, 2, 3, 5, 7, 8, 9], [4, 6])
    """
    held = 0 if eval_fraction <= 0 or n < 2 else min(n - 1, max(1, round(n * eval_fraction)))
    order = np.random.default_rng(seed).permutation(n)
    return sorted(int(i) for i in order[held:]), sorted(int(i) for i in order[:held])
