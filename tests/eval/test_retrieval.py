"""Retrieval metrics and hit@k against hand-computed values."""

from __future__ import annotations

import pytest

from inhouse.datasets.types import RetrievalQuery
from inhouse.eval.retrieval import hit_rate, retrieval_metrics


def test_recall_and_mrr_by_hand() -> None:
    queries = [RetrievalQuery("q1", "x", ["a", "b"]), RetrievalQuery("q2", "y", ["z"])]
    first = [(f"n{i}", 1.0) for i in range(12)]
    first[0], first[11] = ("a", 1.0), ("b", 0.5)  # a at rank 1, b at rank 12
    second = [(f"m{i}", 1.0) for i in range(3)] + [("z", 0.1)]  # z at rank 4
    m = retrieval_metrics([first, second], queries)
    assert m["recall@10"] == pytest.approx((0.5 + 1.0) / 2)
    assert m["recall@20"] == pytest.approx(1.0)
    assert m["mrr"] == pytest.approx((1.0 + 0.25) / 2)


def test_hit_rate_counts_the_first_k() -> None:
    assert hit_rate([["x", "y"], ["y", "x"]], ["x", "x"], 1) == 0.5
    assert hit_rate([["x", "y"], ["y", "x"]], ["x", "x"], 2) == 1.0
    assert hit_rate([], [], 1) == 0.0
