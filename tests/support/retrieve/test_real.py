"""Real-data tier: the retrieval and response-suggestion targets on the shared datasets."""

from __future__ import annotations

import os
from functools import cache

import pytest

from inhouse.datasets import load
from inhouse.support.answer.evaluate import bench_responses
from inhouse.support.retrieve.evaluate import bench_retrieval

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("INHOUSE_DATA_DIR"), reason="INHOUSE_DATA_DIR unset"),
]

SHIPPED = "needs-hybrid"


@cache
def retrieval_rows() -> dict[str, dict[str, float | None]]:
    """Test-split metrics of BM25, the old hybrid and the shipped system, measured once."""
    data = load("bank-help-center")
    assert len(data.dev) == 30 and len(data.test) == 67
    result = bench_retrieval(data, ["bm25", "hybrid", SHIPPED], joined_dev=False)
    return {r.name: r.metrics for r in result.systems}


def test_shipped_retrieval_meets_the_mrr_target_and_beats_the_baselines() -> None:
    rows = retrieval_rows()
    best = rows[SHIPPED]
    assert best["mrr"] is not None and best["mrr"] >= 0.65, best  # issue 4's must target
    for other in ("bm25", "hybrid"):
        for metric in ("recall@10", "recall@20"):
            assert best[metric] > rows[other][metric], (metric, other, rows)  # type: ignore[operator]


@pytest.mark.xfail(
    strict=True,
    reason="issue 4's recall@10 target (0.35) is not reached: needs-hybrid measured 0.291 on "
    "the 67 test scenarios (benchmarks/results/support-bank-help-center.json)",
)
def test_shipped_retrieval_meets_the_recall_target() -> None:
    best = retrieval_rows()[SHIPPED]
    assert best["recall@10"] is not None and best["recall@10"] >= 0.35, best


def test_response_suggestion_hit_at_1() -> None:
    result = bench_responses(load("bitext-support"), ["knn-vote10"])
    assert result.systems[0].metrics["hit@1"] >= 0.95
