"""Ranking metrics against hand-computed values, and evaluate() on a known answer."""

from __future__ import annotations

import math

import pytest

from inhouse.datasets.types import RecCase
from inhouse.recommend.metrics import case_metrics, evaluate
from inhouse.recommend.registry import make

from . import checkerboard as cb


def test_single_target_at_rank_two() -> None:
    m = case_metrics([5, 3, 7], {3})
    assert m["recall@10"] == 1.0 and m["mrr@10"] == 0.5
    assert m["ndcg@10"] == pytest.approx(1 / math.log2(3))


def test_two_targets_and_misses() -> None:
    m = case_metrics([3, 1, 9] + list(range(10, 30)), {3, 9})
    assert m["recall@10"] == 1.0 and m["mrr@10"] == 1.0
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    late = case_metrics(list(range(100, 115)) + [7], {7, 8})  # 7 at rank 16, 8 never
    assert late["recall@10"] == 0.0 and late["recall@20"] == 0.5 and late["mrr@10"] == 0.0


def test_evaluate_excludes_history_and_skips_unanswerable_cases() -> None:
    model = make("cooc")
    model.fit(cb.events(), cb.catalog())
    cases = [
        RecCase("x", ["a0", "a1", "a2"], ["a3"]),
        RecCase("y", ["b0"], ["b0"]),  # target in history: cannot be recommended, skipped
        RecCase("z", ["b0"], ["ghost"]),  # unknown target: skipped
    ]
    m = evaluate(model, cases)
    assert m["recall@10"] == 1.0  # only case x counts, and a3 is among the 9 unseen items
    assert evaluate(model, cases[1:]) == {k: None for k in m}
