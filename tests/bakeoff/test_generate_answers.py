"""benchmarks/generate_answers.py: its metrics on hand-made answers, its resumable answer cache,
and one generated answer from the tiny random-weight Qwen2 (no real model, no dataset)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from inhouse.errors import InhouseError

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "generate_answers.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_answers", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_answers"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def questions(bench: ModuleType) -> list:
    return [
        bench.Question("t1", "cancel my order", "cancel_order", "I can cancel your order now"),
        bench.Question("t2", "where is my refund", "track_refund", "Your refund is on its way"),
    ]


def test_rouge_l_against_hand_computed_values(bench: ModuleType) -> None:
    # LCS of "cancel your order" in "I can cancel your order now": 3 of 3 and 3 of 6 tokens
    got = bench.rouge_l(
        ["cancel your order", "nothing alike", ""], ["I can cancel your order now"] * 3
    )
    assert got[0] == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert got[1] == 0.0 and got[2] == 0.0


def test_score_cosine_intent_and_row_means(bench: ModuleType) -> None:
    vectors = {
        "I can cancel your order now": [1.0, 0.0],
        "Your refund is on its way": [0.0, 1.0],
        "cancel done": [1.0, 1.0],  # 45 degrees from both references
        "refund soon": [0.0, 2.0],
    }

    def embed(texts: list[str]) -> np.ndarray:
        return np.array([vectors[t] for t in texts])

    def classify(x: np.ndarray) -> list[str]:
        return ["cancel_order" if v[0] >= v[1] else "track_refund" for v in x]

    qs = questions(bench)
    per = bench.score(["cancel done", "refund soon"], qs, embed, classify)
    assert per["cosine"] == pytest.approx([2**-0.5, 1.0])
    assert per["intent_consistency"] == [1.0, 1.0]
    records = [
        {"answer": "cancel done", "tokens_in": 10, "tokens_out": 4, "cpu_s": 1.0},
        {"answer": "refund soon", "tokens_in": 20, "tokens_out": 6, "cpu_s": 3.0},
    ]
    m = bench.row_metrics(records, per)
    assert (m["tokens_in"], m["tokens_out"], m["cpu_s_per_answer"]) == (15, 5, 2.0)
    assert m["cosine"] == pytest.approx((2**-0.5 + 1) / 2)
    baseline = bench.row_metrics([{"answer": "x", "cpu_s": 0.1}], {k: [0.0] for k in per})
    assert baseline["tokens_in"] is None  # no language model, no tokens


def test_compare_is_paired_and_checks_both_targets(bench: ModuleType) -> None:
    scores = {
        "tuned": {
            "a": {"rouge_l": 0.4, "intent_consistency": 1.0},
            "b": {"rouge_l": 0.9, "intent_consistency": 0.0},
        },
        "plain": {"a": {"rouge_l": 0.2, "intent_consistency": 1.0}},
    }
    got = bench.compare({"a": {}, "b": {}}, {"a": {}}, scores, "tuned", "plain")
    assert got["n_paired"] == 1  # "b" has no off-the-shelf answer: left out, not guessed
    assert got["rouge_l_relative_gain"] == pytest.approx(1.0)
    assert got["met"] is True
    scores["tuned"]["a"]["intent_consistency"] = 0.0
    assert bench.compare({"a": {}}, {"a": {}}, scores, "tuned", "plain")["met"] is False


def test_cache_resumes_skips_answered_and_survives_a_cut_line(
    bench: ModuleType, tmp_path: Path
) -> None:
    qs = questions(bench)
    path = tmp_path / "answers" / "sys.jsonl"
    calls: list[str] = []

    def answer(q) -> dict:
        calls.append(q.id)
        return {"answer": f"reply to {q.text}"}

    cache = bench.AnswerCache(path, {"model": "m", "max_tokens": 8})
    got = bench.answer_all("sys", qs[:1], answer, cache)
    assert calls == ["t1"] and got["t1"]["answer"] == "reply to cancel my order"
    assert got["t1"]["cpu_s"] >= 0
    with path.open("a") as f:  # a kill in the middle of writing the next line
        f.write('{"id": "t2", "answ')
    again = bench.AnswerCache(path, {"model": "m", "max_tokens": 8})
    got = bench.answer_all("sys", qs, answer, again)
    assert calls == ["t1", "t2"]  # t1 not asked again; the cut t2 asked again
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["id"] for r in lines] == ["t1", "t2"]
    assert sorted(got) == ["t1", "t2"]
    with pytest.raises(InhouseError, match="max_tokens 8, now 16"):
        bench.AnswerCache(path, {"model": "m", "max_tokens": 16})


def test_sample_is_seeded_and_prefix_stable(bench: ModuleType) -> None:
    import polars as pl

    test = pl.DataFrame(
        {
            "ticket_id": [f"t{i}" for i in range(50)],
            "text": ["q"] * 50,
            "intent": ["i"] * 50,
            "resolution": ["r"] * 50,
        }
    )
    ten, twenty = bench.sample_questions(test, 10, 0), bench.sample_questions(test, 20, 0)
    assert [q.id for q in twenty[:10]] == [q.id for q in ten]
    assert [q.id for q in bench.sample_questions(test, 10, 1)] != [q.id for q in ten]


def test_a_generated_answer_on_the_tiny_model(bench: ModuleType, tiny_qwen_folder: Path) -> None:
    from inhouse.generate.hf import TransformersGenerator

    gen = TransformersGenerator("tiny", tiny_qwen_folder, device="cpu")
    q = questions(bench)[0]
    examples = [("my order, cancel it", "Sure, cancelled.")]
    answer = bench.generated(gen, lambda q: bench.grounded(q.text, examples), max_tokens=5)
    record = answer(q)
    assert record["tokens_out"] <= 5 and record["finish_reason"] in ("stop", "length")
    assert record["tokens_in"] > 10  # the system turn, the example and the question
    assert "Sure, cancelled." in record["prompt"] and q.text in record["prompt"]
