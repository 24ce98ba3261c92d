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
    assert len(results) == len(queries), "one result list per query"
    r10 = r20 = mrr = 0.0
    for found, q in zip(results, queries, strict=True):
        relevant = set(q.relevant)
        ids = [a for a, _ in found]
        r10 += len(relevant & set(ids[:10])) / len(relevant)
        r20 += len(relevant & set(ids[:20])) / len(relevant)
        mrr += next((1.0 / (i + 1) for i, a in enumerate(ids) if a in relevant), 0.0)
    n = max(len(queries), 1)
    return {"recall@10": r10 / n, "recall@20": r20 / n, "mrr": mrr / n}


def hit_rate(found: Sequence[Sequence[str]], gold: Sequence[str], k: int) -> float:
    """Fraction of messages whose true label is among the first `k` labels found for it."""
    assert len(found) == len(gold), "one list of labels per message"
    hits = sum(t in labels[:k] for labels, t in zip(found, gold, strict=True))
    return hits / max(len(gold), 1)
