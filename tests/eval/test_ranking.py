"""Ranking metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from inhouse.eval.ranking import METRICS, case_metrics, mean_metrics


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


def test_mean_over_cases_and_none_without_any() -> None:
    rows = [case_metrics([1], {1}), case_metrics([2], {1})]
    assert mean_metrics(rows)["mrr@10"] == 0.5
    assert mean_metrics([]) == {m: None for m in METRICS}
