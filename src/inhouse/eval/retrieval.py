"""Retrieval metrics: recall@10/20 and MRR of ranked articles, and hit@k of suggested intents.

>>> hit_rate([["x", "y"], ["y", "x"]], ["x", "x"], k=1)
0.5
"""

from __future__ import annotations

from collections.abc import Sequence

from inhouse.datasets.types import RetrievalQuery


def retrieval_metrics(
    results: Sequence[Sequence[tuple[str, float]]], queries: Sequence[RetrievalQuery]
) -> dict[str, float]:
    """recall@10, recall@20 and MRR (first relevant article, whole list) averaged over queries.

    `results` holds one ranked list of `(article_id, score)` per query.
    """
    rows = query_metrics(results, queries)
    n = max(len(rows), 1)
    return {m: sum(r[m] for r in rows) / n for m in ("recall@10", "recall@20", "mrr")}


def query_metrics(
    results: Sequence[Sequence[tuple[str, float]]], queries: Sequence[RetrievalQuery]
) -> list[dict[str, float]]:
    """recall@10, recall@20 and MRR of each query (scenario), whose means `retrieval_metrics`
    returns."""
    assert len(results) == len(queries), "one result list per query"
    rows = []
    for found, q in zip(results, queries, strict=True):
        relevant = set(q.relevant)
        ids = [a for a, _ in found]
        rows.append(
            {
                "recall@10": len(relevant & set(ids[:10])) / len(relevant),
                "recall@20": len(relevant & set(ids[:20])) / len(relevant),
                "mrr": next((1.0 / (i + 1) for i, a in enumerate(ids) if a in relevant), 0.0),
            }
        )
    return rows


def hits(found: Sequence[Sequence[str]], gold: Sequence[str], k: int) -> list[float]:
    """1.0 for each message whose true label is among the first `k` labels found for it."""
    assert len(found) == len(gold), "one list of labels per message"
    return [float(t in labels[:k]) for labels, t in zip(found, gold, strict=True)]


def hit_rate(found: Sequence[Sequence[str]], gold: Sequence[str], k: int) -> float:
    """Fraction of messages whose true label is among the first `k` labels found for it."""
    return sum(hits(found, gold, k)) / max(len(gold), 1)
