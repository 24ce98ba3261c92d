"""The LLM router: prompts, reply parsing and retrieval on a fake generator; three messages on the
real Qwen2.5-Coder-0.5B GGUF under `-m real_weights`."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from inhouse.errors import InhouseError
from inhouse.generate.base import Generator, TextStream, Usage
from inhouse.support.route.base import Router
from inhouse.support.route.llm import UNKNOWN, LlmRouter, parse_label

TRAIN = {
    "card_arrival": ["my card has not arrived", "when will my new card come"],
    "exchange_rate": ["what is the exchange rate today", "rate for dollars to euros"],
    "lost_or_stolen_card": ["someone stole my card", "I lost my card yesterday"],
}
TEXTS = [t for ts in TRAIN.values() for t in ts]
INTENTS = [i for i, ts in TRAIN.items() for _ in ts]
LABELS = sorted(TRAIN)


class WordEmbedder:
    """Bag of words hashed with crc32: deterministic, and similar texts share words."""

    name, dim = "crc-bow", 64

    def embed(self, texts: Any, batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        return out


class DictGenerator:
    """Answers from a dict keyed by a word of the last user message; records every call."""

    name = "dict"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers, self.calls = answers, []  # type: ignore[var-annotated]

    def chat(self, messages: list[dict[str, str]], **params: Any) -> str:
        return "".join(self.stream(messages, **params))

    def stream(self, messages: list[dict[str, str]], **params: Any) -> TextStream:
        self.calls.append((messages, params))
        asked = messages[-1]["content"].rsplit("Message: ", 1)[-1]
        reply = next((a for k, a in self.answers.items() if k in asked), "no idea")

        def pieces() -> Iterator[str]:
            yield from (reply[:3], reply[3:])

        return TextStream(pieces(), Usage(prompt_tokens=100, prompt_evaluated=10))


def router(answers: dict[str, str], mode: str = "zero-shot", k: int = 2) -> LlmRouter:
    gen = DictGenerator(answers)
    return LlmRouter(WordEmbedder(), gen, mode=mode, k=k).fit(TEXTS, INTENTS)  # type: ignore[arg-type]


def test_is_a_router_over_a_generator() -> None:
    r = router({})
    assert isinstance(r, Router) and isinstance(r._generator, Generator)
    assert r.calibrate(["x"], ["card_arrival"]) == {"threshold": 0.0}


@pytest.mark.parametrize(
    ("reply", "label", "how"),
    [
        ("card_arrival", "card_arrival", "exact"),
        ("  Intent: card_arrival\nbecause...", "card_arrival", "exact"),
        ("Card Arrival.", "card_arrival", "normalised"),
        ("`exchange-rate`", "exchange_rate", "normalised"),
        ("lost_or_stolen_cards", "lost_or_stolen_card", "fuzzy"),
        ("I cannot tell", UNKNOWN, "none"),
        ("", UNKNOWN, "none"),
    ],
)
def test_parse_label(reply: str, label: str, how: str) -> None:
    assert parse_label(reply, LABELS) == (label, how)


def test_predict_parses_counts_fallbacks_and_scores_unknown_zero() -> None:
    r = router({"arrived": "card_arrival", "rate": "Exchange Rate", "stole": "stolen card"})
    labels, conf = r.predict(["card not arrived", "the rate please", "he stole it", "hello"])
    assert labels == ["card_arrival", "exchange_rate", "lost_or_stolen_card", UNKNOWN]
    assert conf.tolist() == [1.0, 1.0, 1.0, 0.0]
    assert dict(r.parses) == {"exact": 1, "normalised": 1, "fuzzy": 1, "none": 1}
    assert [x.prompt_evaluated for x in r.last] == [10, 10, 10, 10]


def test_the_system_prompt_is_the_same_prefix_on_every_call() -> None:
    r = router({"arrived": "card_arrival"})
    r.predict(["card not arrived", "something else entirely"])
    calls = r._generator.calls  # type: ignore[union-attr]
    systems = [messages[0] for messages, _ in calls]
    assert systems[0] == systems[1] and systems[0]["role"] == "system"
    body = systems[0]["content"]
    assert all(label in body for label in LABELS) and "arrived" not in body  # labels only
    assert calls[1][0][1]["content"].endswith("Message: something else entirely\nIntent:")
    params = calls[0][1]
    assert params["temperature"] == 0.0 and params["stop"] == ["\n"]


def test_retrieved_mode_shows_the_nearest_tickets_most_similar_last() -> None:
    r = router({"card": "lost_or_stolen_card"}, mode="retrieved", k=2)
    r.predict(["I lost my card"])
    user = r._generator.calls[0][0][1]["content"]  # type: ignore[union-attr]
    shots = [line for line in user.splitlines() if " -> " in line]
    assert len(shots) == 2
    assert shots[-1] == "I lost my card yesterday -> lost_or_stolen_card"  # the closest, last
    assert user.index("->") < user.index("Message: I lost my card")
    assert {TEXTS[j] for j in r.last[0].examples} == {line.split(" -> ")[0] for line in shots}


def test_errors() -> None:
    with pytest.raises(InhouseError, match="mode"):
        LlmRouter(WordEmbedder(), DictGenerator({}), mode="few")  # type: ignore[arg-type]
    with pytest.raises(InhouseError, match="not fitted"):
        LlmRouter(WordEmbedder(), DictGenerator({})).predict(["hi"])  # type: ignore[arg-type]
    with pytest.raises(InhouseError, match="nothing to save"):
        router({}).save(__import__("pathlib").Path("x"))


@pytest.mark.real_weights
def test_routes_three_messages_with_the_real_qwen_gguf() -> None:
    pytest.importorskip("llama_cpp")
    from inhouse.generate.llama import LlamaCppGenerator
    from tests.generate._real import QWEN, installed_gguf

    gen = LlamaCppGenerator("qwen", installed_gguf(QWEN), n_threads=1, n_ctx=2048)
    r = LlmRouter(WordEmbedder(), gen).fit(TEXTS, INTENTS)  # type: ignore[arg-type]
    labels, conf = r.predict(
        ["When will my new card arrive?", "What exchange rate do you use?", "My card was stolen"]
    )
    assert all(label in LABELS or label == UNKNOWN for label in labels)
    assert sum(label in LABELS for label in labels) >= 2, [x.reply for x in r.last]
    # the fixed system prompt is evaluated once: later calls reuse it from the KV cache
    first, *rest = r.last
    assert all(x.prompt_evaluated < first.prompt_evaluated / 2 for x in rest), r.last
    assert all(x.prompt_tokens and x.completion_tokens for x in r.last)
