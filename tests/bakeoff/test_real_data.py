"""API prompts on the real Banking77 and goodbooks-sample test sets (needs INHOUSE_DATA_DIR)."""

from __future__ import annotations

import os

import pytest

from inhouse.bakeoff.api import estimate_rows, published_rows
from inhouse.bakeoff.prices import load_prices
from inhouse.bakeoff.prompts import recommend_rerank, routing_few_shot, routing_zero_shot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("INHOUSE_DATA_DIR"), reason="INHOUSE_DATA_DIR unset"),
]


def test_banking77_prompts_and_published_rows() -> None:
    from inhouse.datasets import load

    data = load("banking77")
    zero, few = routing_zero_shot(data), routing_few_shot(data)
    assert len(zero.prompts) == len(few.prompts) == 3080
    assert len(data.intents) == 77
    assert few.shared_prefix.count("\nIntent: ") == 77 * 3
    (row,) = estimate_rows(few, load_prices(), ["accuracy"], models=["gpt-5-nano"])
    tokens = (row.model_extra or {})["tokens"]
    assert tokens["input_mean"] > tokens["shared_prefix"] > 2000  # 231 examples + 77 labels
    pub = {r.name: r for r in published_rows("banking77", ["accuracy"])}
    gpt4 = pub["GPT-4, 3 examples per intent (published)"]
    assert gpt4.metrics["accuracy"] == 0.831
    assert gpt4.cost_usd_per_1k == pytest.approx(740 / 3080 * 1000)


def test_goodbooks_rerank_prompts() -> None:
    from inhouse.datasets import load

    data = load("goodbooks-sample")
    p = recommend_rerank(data)
    assert len(p.prompts) == len(data.test) == 2672
    assert all(len(o.split(", ")) == 20 for o in p.outputs)
