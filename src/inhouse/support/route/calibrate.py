"""Out-of-scope thresholds without out-of-scope tickets: what `fit_router_from_tickets` uses when
no ticket has intent `oos`.

Each method fits a router of the same system on the training part and sets the threshold from
how it scores held-out tickets; the caller then fits the final router on every ticket and
applies that threshold.

- `accuracy-drop`: the rule of `choose_threshold` on the held-out in-scope tickets alone: the
  highest threshold that costs at most `max_in_scope_drop` of their accuracy. The rule never
  needed the out-of-scope rows to find its threshold, only to report recall.
- `quantile`: the threshold that rejects a share `quantile` of the held-out tickets.
- `held-out-intents`: `folds` folds over the intents; each fold's router is fitted without its
  intents, whose tickets then play out of scope for `choose_threshold`; thresholds averaged.
- `off`: no threshold; every message goes to its nearest intent.

    >>> cal = calibrate_without_oos("accuracy-drop", lambda: make_router("logistic"),
    ...                             train_texts, train_intents, valid_texts, valid_intents)
    >>> final = make_router("logistic").fit(all_texts, all_intents)
    >>> final.threshold = cal["threshold"]

`DEFAULT_METHOD` and the parameters were chosen on CLINC150 valid by
benchmarks/oos_without_examples.py; there `accuracy-drop` found the same threshold as the rule
run with valid's `oos` rows (figures: docs/out-of-scope.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from inhouse.errors import InhouseError
from inhouse.support.route.base import OUT_OF_SCOPE, Router, choose_threshold

METHODS = ("accuracy-drop", "quantile", "held-out-intents", "off")
DEFAULT_METHOD = "accuracy-drop"
DEFAULT_DROP = 0.01  # the share of held-out in-scope accuracy the threshold may cost
DEFAULT_QUANTILE = (
    0.02  # the share of held-out in-scope tickets `quantile` rejects (CLINC150 valid)
)
DEFAULT_FOLDS = 5
MIN_INTENTS_HELD_OUT = 3  # each fold keeps at least two intents to fit on


def check_method(method: str) -> str:
    """`method` must be one of `METHODS`."""
    if method not in METHODS:
        raise InhouseError(f"--oos-method {method!r} is not known; use one of {', '.join(METHODS)}")
    return method


def _fit(make: Callable[[], Router], texts: Sequence[str], intents: Sequence[str]) -> Router:
    router = make()
    router.fit(list(texts), list(intents))
    router.threshold = 0.0  # raw answers: the confidences a threshold is chosen over
    return router


def accuracy_drop_threshold(
    router: Router,
    texts: Sequence[str],
    intents: Sequence[str],
    max_in_scope_drop: float = DEFAULT_DROP,
) -> dict[str, float]:
    """The highest threshold that costs `router` (fitted without `texts`) at most
    `max_in_scope_drop` of its accuracy on these in-scope tickets."""
    best, conf = router.predict(list(texts))
    out = choose_threshold(best, conf, intents, max_in_scope_drop, in_scope_only=True)
    return {**out, "max_in_scope_drop": max_in_scope_drop}


def quantile_threshold(
    router: Router, texts: Sequence[str], intents: Sequence[str], quantile: float = DEFAULT_QUANTILE
) -> dict[str, float]:
    """The threshold below which a share `quantile` of these in-scope tickets' confidences fall."""
    if not 0.0 <= quantile < 1.0:
        raise InhouseError(f"quantile {quantile} is out of range; use 0 to 1, e.g. 0.05")
    best, conf = router.predict(list(texts))
    threshold = float(np.quantile(np.asarray(conf, dtype=np.float64), quantile))
    kept = np.asarray(conf) >= threshold
    right = np.asarray(best, dtype=object) == np.asarray(intents, dtype=object)
    return {
        "threshold": threshold,
        "val_in_scope_accuracy": float((right & kept).mean()),
        "quantile": quantile,
    }


def held_out_intents_threshold(
    make: Callable[[], Router],
    train_texts: Sequence[str],
    train_intents: Sequence[str],
    valid_texts: Sequence[str],
    valid_intents: Sequence[str],
    folds: int = DEFAULT_FOLDS,
    max_in_scope_drop: float = DEFAULT_DROP,
    seed: int = 0,
) -> dict[str, float]:
    """The mean over `folds` folds of intents of `choose_threshold`'s threshold for a router
    fitted on the training tickets of the other intents, on the held-out tickets of those
    intents (in scope) and every ticket of the fold's intents (out of scope)."""
    names = sorted(set(train_intents) | set(valid_intents))
    if len(names) < MIN_INTENTS_HELD_OUT:
        raise InhouseError(
            f"--oos-method held-out-intents needs at least {MIN_INTENTS_HELD_OUT} intents "
            f"(got {len(names)}); use --oos-method accuracy-drop"
        )
    order = np.random.default_rng(seed).permutation(len(names))
    groups = np.array_split(order, min(folds, len(names)))
    rows: list[dict[str, float]] = []
    for group in groups:
        held = {names[i] for i in group}
        fit = [(t, y) for t, y in zip(train_texts, train_intents, strict=True) if y not in held]
        router = _fit(make, [t for t, _ in fit], [y for _, y in fit])
        pairs = list(zip(valid_texts, valid_intents, strict=True))
        pairs += [(t, y) for t, y in zip(train_texts, train_intents, strict=True) if y in held]
        texts = [t for t, _ in pairs]
        gold = [OUT_OF_SCOPE if y in held else y for _, y in pairs]
        best, conf = router.predict(texts)
        rows.append(choose_threshold(best, conf, gold, max_in_scope_drop))
    out = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    return {**out, "folds": float(len(groups)), "max_in_scope_drop": max_in_scope_drop}


def calibrate_without_oos(
    method: str,
    make: Callable[[], Router],
    train_texts: Sequence[str],
    train_intents: Sequence[str],
    valid_texts: Sequence[str],
    valid_intents: Sequence[str],
    **parameters: Any,
) -> dict[str, float]:
    """The threshold `method` sets from in-scope tickets only (see the module docstring);
    `parameters` override its defaults (`max_in_scope_drop`, `quantile`, `folds`)."""
    check_method(method)
    if method == "off":
        return {"threshold": 0.0}
    if method == "held-out-intents":
        return held_out_intents_threshold(
            make, train_texts, train_intents, valid_texts, valid_intents, **parameters
        )
    router = _fit(make, train_texts, train_intents)
    if method == "quantile":
        return quantile_threshold(router, valid_texts, valid_intents, **parameters)
    return accuracy_drop_threshold(router, valid_texts, valid_intents, **parameters)
