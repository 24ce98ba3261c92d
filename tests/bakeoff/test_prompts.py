"""Prompt builders: what each API approach would send, on the real test inputs."""

from __future__ import annotations

import polars as pl

from inhouse.bakeoff.api import estimate_rows
from inhouse.bakeoff.prices import load_prices
from inhouse.bakeoff.prompts import (
    recommend_rerank,
    routing_few_shot,
    routing_retrieved,
    routing_zero_shot,
)
from inhouse.bakeoff.tokens import count_tokens
from inhouse.datasets.types import IntentData, RecCase, RecommendData


def test_zero_shot_lists_every_intent_and_the_message(intent_data: IntentData) -> None:
    p = routing_zero_shot(intent_data)
    assert len(p.prompts) == intent_data.test.height
    for prompt, text in zip(p.prompts, intent_data.test["text"], strict=True):
        assert all(f"- {i}\n" in prompt for i in intent_data.intents)
        assert prompt.endswith(f"Message: {text}\nIntent:")
    assert p.outputs == intent_data.test["intent"].to_list()


def test_few_shot_has_k_examples_per_intent(intent_data: IntentData) -> None:
    p = routing_few_shot(intent_data, shots=3)
    body = p.shared_prefix.split("Examples:\n", 1)[1]
    for intent in intent_data.intents:
        assert body.count(f"Intent: {intent}\n") == 3
    assert all(q.startswith(p.shared_prefix) for q in p.prompts)


def test_retrieved_examples_are_k_nearest(intent_data: IntentData, embedder) -> None:
    p = routing_retrieved(intent_data, embedder, k=5)
    for prompt, intent in zip(p.prompts, intent_data.test["intent"], strict=True):
        shots = prompt.split("Similar past messages:\n", 1)[1]
        assert shots.count("Intent: ") == 5  # 5 labelled examples, then the bare question
        assert shots.startswith("Message: ") and shots.split("\n\n")[0].endswith(
            f"Intent: {intent}"
        )


def test_rerank_prompt_holds_history_and_20_candidates() -> None:
    catalog = pl.DataFrame(
        {"item_id": [str(i) for i in range(40)], "title": [f"Book {i}" for i in range(40)]}
    )
    events = pl.DataFrame({"user_id": ["u"] * 30, "item_id": [str(i % 30) for i in range(30)]})
    case = RecCase(user_id="u", history=["1", "2", "3"], targets=["4"])
    data = RecommendData("tiny", catalog, events, events.head(0), [], [case], "p")
    p = recommend_rerank(data, candidates=20)
    (prompt,) = p.prompts
    assert "1: Book 1\n2: Book 2\n3: Book 3" in prompt
    cands = p.outputs[0].split(", ")
    assert len(cands) == 20 and not {"1", "2", "3"} & set(cands)


def test_estimate_rows_price_the_counted_tokens(intent_data: IntentData) -> None:
    p = routing_zero_shot(intent_data)
    table = load_prices()
    (row,) = estimate_rows(p, table, ["accuracy"], models=["gpt-4o-mini"])
    ins = count_tokens(p.prompts, "o200k")
    outs = count_tokens(p.outputs, "o200k")
    expected = (sum(ins) / len(ins) * 0.15 + sum(outs) / len(outs) * 0.60) / 1e6 * 1000
    assert row.kind == "api-estimate" and row.metrics == {"accuracy": None}
    assert row.cost_usd_per_1k is not None
    assert abs(row.cost_usd_per_1k - expected) < 1e-12
    extra = row.model_extra or {}
    assert extra["tokens"]["input_total"] == sum(ins)
    assert extra["price"]["source"] == "public price lists"


def test_prefix_counting_equals_whole_prompt_counting(intent_data: IntentData) -> None:
    from inhouse.bakeoff.api import count_prompts

    p = routing_few_shot(intent_data, shots=3)
    prefix = p.shared_prefix * 3  # long enough to take the prefix path
    prompts = [prefix + q[len(p.shared_prefix) :] for q in p.prompts]
    for family in ("o200k", "qwen", "deepseek"):
        counts, how = count_prompts(prompts, prefix, family)  # type: ignore[arg-type]
        assert how.startswith("shared prefix")
        assert counts == count_tokens(prompts, family)  # type: ignore[arg-type]
