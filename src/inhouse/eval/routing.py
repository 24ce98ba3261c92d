"""Intent-routing metrics: accuracy and macro-F1, plus in-scope accuracy and out-of-scope recall.

>>> routing_metrics(["a", "oos"], ["a", "b"], out_of_scope="oos")["accuracy"]
0.5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def routing_metrics(
    predicted: Sequence[str],
    gold: Sequence[str],
    oos_label: str | None = None,
    *,
    out_of_scope: str,
) -> dict[str, float | None]:
    """accuracy and macro-F1 over every row; with `oos_label`, in-scope accuracy and OOS recall.

    `out_of_scope` is the label routers predict for out-of-scope messages; gold rows labelled
    `oos_label` count as that label.
    """
    from sklearn.metrics import f1_score

    pred = np.array(list(predicted), dtype=object)
    true = np.array([out_of_scope if g == oos_label else g for g in gold], dtype=object)
    out: dict[str, float | None] = {
        "accuracy": float((pred == true).mean()),
        "macro_f1": float(f1_score(true, pred, average="macro", labels=sorted(set(true)))),
    }
    if oos_label is not None:
        oos = true == out_of_scope
        out["in_scope_accuracy"] = float((pred == true)[~oos].mean()) if (~oos).any() else None
        out["oos_recall"] = float((pred[oos] == out_of_scope).mean()) if oos.any() else None
    return out
