"""Intent-routing metrics: accuracy and macro-F1, plus in-scope accuracy and out-of-scope recall.

>>> routing_metrics(["a", "oos"], ["a", "b"], out_of_scope="oos")["accuracy"]
0.5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _arrays(
    predicted: Sequence[str], gold: Sequence[str], oos_label: str | None, out_of_scope: str
) -> tuple[np.ndarray, np.ndarray]:
    pred = np.array(list(predicted), dtype=object)
    true = np.array([out_of_scope if g == oos_label else g for g in gold], dtype=object)
    return pred, true


def routing_correct(
    predicted: Sequence[str],
    gold: Sequence[str],
    oos_label: str | None = None,
    *,
    out_of_scope: str,
) -> np.ndarray:
    """1.0 where a message was routed to its true intent (out-of-scope counted as one), else
    0.0: the per-example values whose mean is `accuracy`."""
    pred, true = _arrays(predicted, gold, oos_label, out_of_scope)
    return (pred == true).astype(float)


def routing_intervals(
    predicted: Sequence[str],
    gold: Sequence[str],
    oos_label: str | None = None,
    *,
    out_of_scope: str,
) -> dict[str, tuple[float, float]]:
    """95 % bootstrap intervals of accuracy and, with `oos_label`, of in-scope accuracy and
    out-of-scope recall (each resampled over its own messages)."""
    from inhouse.eval.bootstrap import intervals

    correct = routing_correct(predicted, gold, oos_label, out_of_scope=out_of_scope)
    out = intervals({"accuracy": correct})
    if oos_label is not None:
        oos = np.array([g == oos_label for g in gold], dtype=bool)
        out |= intervals({"in_scope_accuracy": correct[~oos]})
        out |= intervals({"oos_recall": correct[oos]})
    return out


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

    pred, true = _arrays(predicted, gold, oos_label, out_of_scope)
    out: dict[str, float | None] = {
        "accuracy": float((pred == true).mean()),
        "macro_f1": float(f1_score(true, pred, average="macro", labels=sorted(set(true)))),
    }
    if oos_label is not None:
        oos = true == out_of_scope
        out["in_scope_accuracy"] = float((pred == true)[~oos].mean()) if (~oos).any() else None
        out["oos_recall"] = float((pred[oos] == out_of_scope).mean()) if oos.any() else None
    return out
