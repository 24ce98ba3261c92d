"""Recommend evaluation: a model ranks the whole catalog, history excluded, scored by ranking
metrics (`inhouse.eval.ranking`).

>>> evaluate(model, data.test)["ndcg@10"]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inhouse.datasets.types import RecCase
from inhouse.eval.ranking import CUTOFFS, case_metrics, mean_metrics
from inhouse.recommend.base import BaseRecommender, recommend_from_scores


def evaluate(
    model: BaseRecommender,
    cases: Sequence[RecCase],
    batch_size: int = 512,
    served: bool = False,
) -> dict[str, float | None]:
    """Mean metrics over `cases`: rank every catalog item, history items excluded.

    Targets already in the history cannot be recommended under this protocol, so they are left
    out; a case left with no target (or whose targets are all unknown items) is skipped.
    `served`: rank as serving does (`candidates`, e.g. a blend's union of candidates) instead
    of sorting the dense scores.
    """
    return mean_metrics(case_rows(model, cases, batch_size, served))


def case_rows(
    model: BaseRecommender,
    cases: Sequence[RecCase],
    batch_size: int = 512,
    served: bool = False,
) -> list[dict[str, float]]:
    """The metrics of each scored case (per user), whose means `evaluate` returns."""
    items = model.items
    rows: list[dict[str, float]] = []
    for start in range(0, len(cases), batch_size):
        batch = cases[start : start + batch_size]
        seen = [items.encode(c.history)[0] for c in batch]
        if served:
            ids, vals = model.candidates([c.history for c in batch], max(CUTOFFS))
            top = [r[np.isfinite(v)] for r, v in zip(ids, vals, strict=True)]
        else:
            scores = model.score([c.history for c in batch])
            top = list(recommend_from_scores(scores, seen, max(CUTOFFS))[0])
        for case, ranked, s in zip(batch, top, seen, strict=True):
            hist = set(s.tolist())
            targets = {items.index[t] for t in case.targets if t in items} - hist
            if targets:
                rows.append(case_metrics(ranked.tolist(), targets))
    return rows
