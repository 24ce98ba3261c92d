"""Ranking metrics of one ranked list against its targets: recall@k, ndcg@k and mrr@10.

>>> case_metrics([5, 3, 7], {3})["mrr@10"]
0.5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CUTOFFS = (10, 20)
METRICS = ("recall@10", "ndcg@10", "recall@20", "ndcg@20", "mrr@10")


def case_metrics(ranked: Sequence[int], targets: set[int]) -> dict[str, float]:
    """Metrics of one ranked list of item indices against its target set.

    recall@k = hits in the top k / |targets|; ndcg@k with binary gains and the ideal ranking of
    min(k, |targets|) hits; mrr@10 = 1 / rank of the first hit in the top 10 (0 if none).
    """
    out: dict[str, float] = {}
    hits = np.array([r in targets for r in ranked[: max(CUTOFFS)]], dtype=bool)
    gains = 1.0 / np.log2(np.arange(2, len(hits) + 2))
    for k in CUTOFFS:
        h = hits[:k]
        ideal = gains[: min(k, len(targets))].sum()
        out[f"recall@{k}"] = float(h.sum() / len(targets))
        out[f"ndcg@{k}"] = float((gains[: len(h)] * h).sum() / ideal)
    first = np.flatnonzero(hits[:10])
    out["mrr@10"] = float(1.0 / (first[0] + 1)) if len(first) else 0.0
    return out


def mean_metrics(rows: Sequence[dict[str, float]]) -> dict[str, float | None]:
    """The mean of each metric over cases; every metric `None` when there is no case."""
    if not rows:
        return {m: None for m in METRICS}
    return {m: float(np.mean([r[m] for r in rows])) for m in METRICS}
