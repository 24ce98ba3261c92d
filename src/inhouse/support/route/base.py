"""Intent routing: the one `Router` protocol, and what every router shares.

    >>> router = make_router("logistic").fit(texts, intents)
    >>> router.calibrate(val_texts, val_intents)      # picks the out-of-scope threshold
    >>> router.predict(["my card never came"])
    (['card_arrival'], array([0.93], dtype=float32))

Out-of-scope is an answer (`OUT_OF_SCOPE`), never an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from inhouse import artifacts
from inhouse.artifacts import Manifest
from inhouse.errors import InhouseError
from inhouse.models.embedder import Embedder, fingerprint

log = logging.getLogger(__name__)

OUT_OF_SCOPE = "oos"
MAX_CHARS = 2000  # longer messages are truncated (and reported); the model reads ~128 tokens
WORKLOAD = "support-routing"  # the manifest's workload; see `inhouse.artifacts`
RouterKind = Literal["off-the-shelf", "baseline", "in-house"]
CONFIDENCES = ("margin", "max")  # how a probability head scores its answer; see `decide`


@runtime_checkable
class Router(Protocol):
    """Maps customer messages to intents, or to `OUT_OF_SCOPE`."""

    name: str
    kind: RouterKind
    threshold: float

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> Router: ...

    def calibrate(
        self, val_texts: Sequence[str], val_intents: Sequence[str]
    ) -> dict[str, float]: ...

    def predict(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]: ...

    def save(self, path: Path) -> Path: ...


def check_texts(texts: Sequence[object]) -> list[str]:
    """Validate messages: text, not empty; longer than `MAX_CHARS` is truncated with a warning."""
    if isinstance(texts, str | bytes):
        raise InhouseError("predict() takes a list of messages, not one string; wrap it: [text]")
    out = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InhouseError(
                f"message {i} is not text (got {type(text).__name__}); send a UTF-8 string"
            )
        if not text.strip():
            raise InhouseError(f"message {i} is empty; send the customer's words")
        if len(text) > MAX_CHARS:
            log.warning(
                "message %d has %d characters; routed on its first %d", i, len(text), MAX_CHARS
            )
            text = text[:MAX_CHARS]
        out.append(text)
    return out


def check_labels(texts: Sequence[str], intents: Sequence[str]) -> None:
    """Same length, at least two in-scope intents."""
    if len(texts) != len(intents):
        raise InhouseError(f"{len(texts)} texts but {len(intents)} intents; give one per text")
    if len({i for i in intents if i != OUT_OF_SCOPE}) < 2:
        raise InhouseError("need examples of at least two intents to train a router")


def choose_threshold(
    best: Sequence[str],
    confidence: np.ndarray,
    gold: Sequence[str],
    max_in_scope_drop: float = 0.01,
    min_in_scope_accuracy: float | None = None,
    in_scope_only: bool = False,
) -> dict[str, float]:
    """The out-of-scope threshold from validation data.

    With out-of-scope rows in `gold`: the highest threshold (most OOS recall) whose in-scope
    accuracy stays within `max_in_scope_drop` of the accuracy without a threshold, or, with
    `min_in_scope_accuracy`, stays at or above that absolute floor instead. Without them
    there is no evidence to buy, so the threshold is 0 (never out of scope), unless
    `in_scope_only`: then the same floor is applied to the in-scope rows alone (the rule needs
    no out-of-scope row to find it; `inhouse.support.route.calibrate`).
    """
    best_a = np.asarray(best, dtype=object)
    gold_a = np.asarray(gold, dtype=object)
    conf = np.asarray(confidence, dtype=np.float64)
    is_oos = gold_a == OUT_OF_SCOPE
    in_scope = ~is_oos
    pred_oos = best_a == OUT_OF_SCOPE
    right = (best_a == gold_a) & in_scope
    base_acc = float(right[in_scope].mean()) if in_scope.any() else 0.0
    if not in_scope.any() or not (is_oos.any() or in_scope_only):
        return {"threshold": 0.0, "val_in_scope_accuracy": base_acc, "val_oos_recall": 0.0}
    floor = base_acc - max_in_scope_drop if min_in_scope_accuracy is None else min_in_scope_accuracy

    def oos_recall(flagged: np.ndarray) -> float:
        return float(flagged[is_oos].mean()) if is_oos.any() else float("nan")

    chosen, recall, acc = 0.0, oos_recall(pred_oos), base_acc
    for t in np.unique(conf):
        flagged = pred_oos | (conf < t)
        acc_t = float((right & ~flagged)[in_scope].mean())
        if acc_t < floor - 1e-12:
            break
        chosen, acc, recall = float(t), acc_t, oos_recall(flagged)
    out = {"threshold": chosen, "val_in_scope_accuracy": acc, "val_oos_recall": recall}
    if not is_oos.any():
        del out["val_oos_recall"]  # not measured
    return out


def check_confidence(confidence: str) -> str:
    """`confidence` must be one of `CONFIDENCES`."""
    if confidence not in CONFIDENCES:
        raise InhouseError(
            f"confidence {confidence!r} is not known; use one of {', '.join(CONFIDENCES)}"
        )
    return confidence


def decide(
    proba: np.ndarray, classes: Sequence[str], confidence: str = "margin"
) -> tuple[list[str], np.ndarray]:
    """Each row's most probable class, and the confidence the threshold is applied to.

    `max`: the winning class's probability. `margin`, for a head that learnt `OUT_OF_SCOPE` as
    a class: (p(best in-scope intent) - p(out of scope) + 1) / 2, in [0, 1] and below 0.5
    exactly when out of scope wins, so the threshold weighs the evidence for both. On CLINC150
    valid, at the same in-scope accuracy, it flagged more out-of-scope messages than `max`.
    Without an out-of-scope class the two are the same.
    """
    p = np.asarray(proba, dtype=np.float32)
    best = p.argmax(axis=1)
    rows = np.arange(len(best))
    labels = [classes[i] for i in best]
    if confidence == "max" or OUT_OF_SCOPE not in classes:
        return labels, p[rows, best]
    oos = list(classes).index(OUT_OF_SCOPE)
    in_scope = p.copy()
    in_scope[:, oos] = -np.inf
    margin = (in_scope.max(axis=1) - p[:, oos] + 1.0) / 2.0
    return labels, np.clip(margin, 0.0, 1.0).astype(np.float32)


def apply_threshold(
    best: Sequence[str], confidence: np.ndarray, threshold: float
) -> tuple[list[str], np.ndarray]:
    """Replace low-confidence answers with `OUT_OF_SCOPE`."""
    conf = np.asarray(confidence, dtype=np.float32)
    labels = [b if c >= threshold else OUT_OF_SCOPE for b, c in zip(best, conf, strict=True)]
    return labels, conf


# ---- saving and loading -------------------------------------------------------------------


def save_router(
    router: Any,
    path: Path,
    write: Callable[[Path], None],
    parameters: dict[str, Any],
    classes: Sequence[str],
    base: Embedder,
    state: dict[str, Any] | None = None,
) -> Path:
    """Save `router` as a new live version of `path`: its files by `write(folder)`, then the
    manifest (system, the base embedder's fingerprint, parameters, calibration, classes)."""
    manifest = Manifest(
        workload=WORKLOAD,
        system=router.name,
        kind=router.kind,
        base_model=fingerprint(base),
        parameters=parameters,
        metrics=dict(router.calibration),
        state={"classes": list(classes), "threshold": float(router.threshold), **(state or {})},
    )
    return artifacts.save(path, manifest, write)


def read_router(path: Path) -> tuple[Path, Manifest]:
    """The version folder and manifest of the router saved at `path`."""
    return artifacts.read(path, WORKLOAD)


def restore(router: Any, manifest: Manifest) -> None:
    """Set a loaded router's threshold and calibration from its manifest."""
    router.threshold = float(manifest.state["threshold"])
    router.calibration = dict(manifest.metrics)


class Thresholded:
    """`calibrate` and `predict` for a router whose `raw(texts)` gives (best intent, confidence):
    the out-of-scope threshold is chosen on validation, then applied."""

    threshold: float
    max_in_scope_drop: float
    calibration: dict[str, float]

    def raw(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        raise NotImplementedError

    def calibrate(self, val_texts: Sequence[str], val_intents: Sequence[str]) -> dict[str, float]:
        best, conf = self.raw(val_texts)
        self.calibration = choose_threshold(best, conf, val_intents, self.max_in_scope_drop)
        self.threshold = self.calibration["threshold"]
        return self.calibration

    def predict(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        return apply_threshold(*self.raw(texts), self.threshold)
