"""Ranking metrics for recommend evaluation: full ranking over the catalog, history excluded.

>>> evaluate(model, data.test)["ndcg@10"]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inhouse.datasets.types import RecCase
from inhouse.recommend.base import BaseRecommender, recommend_from_scores

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


def evaluate(
    model: BaseRecommender, cases: Sequence[RecCase], batch_size: int = 512
) -> dict[str, float | None]:
    """Mean metrics over `cases`: rank every catalog item, history items excluded.

    Targets already in the history cannot be recommended under this protocol, so they are left
    out; a case left with no target (or whose targets are all unknown items) is skipped.
    """
    items = model.items
    rows: list[dict[str, float]] = []
    for start in range(0, len(cases), batch_size):
        batch = cases[start : start + batch_size]
        scores = model.score([c.history for c in batch])
        seen = [items.encode(c.history)[0] for c in batch]
        top, _ = recommend_from_scores(scores, seen, max(CUTOFFS))
        for case, ranked, s in zip(batch, top, seen, strict=True):
            hist = set(s.tolist())
            targets = {items.index[t] for t in case.targets if t in items} - hist
            if targets:
                rows.append(case_metrics(ranked.tolist(), targets))
    if not rows:
        return {m: None for m in METRICS}
    return {m: float(np.mean([r[m] for r in rows])) for m in METRICS}
