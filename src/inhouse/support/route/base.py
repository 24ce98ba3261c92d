"""Intent routing: the one `Router` protocol, and what every router shares.

    >>> router = make_router("logistic").fit(texts, intents)
    >>> router.calibrate(val_texts, val_intents)      # picks the out-of-scope threshold
    >>> router.predict(["my card never came"])
    (['card_arrival'], array([0.93], dtype=float32))

Out-of-scope is an answer (`OUT_OF_SCOPE`), never an exception.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from inhouse.errors import InhouseError, ModelError
from inhouse.models.embedder import Embedder, embedder_fingerprint

log = logging.getLogger(__name__)

OUT_OF_SCOPE = "oos"
MAX_CHARS = 2000  # longer messages are truncated (and reported); the model reads ~128 tokens
META_FILE = "router.json"
FORMAT_VERSION = 1
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

    def save(self, path: Path) -> None: ...


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
) -> dict[str, float]:
    """The out-of-scope threshold from validation data.

    With out-of-scope rows in `gold`: the highest threshold (most OOS recall) whose in-scope
    accuracy stays within `max_in_scope_drop` of the accuracy without a threshold, or, with
    `min_in_scope_accuracy`, stays at or above that absolute floor instead. Without them
    there is no evidence to buy, so the threshold is 0 (never out of scope).
    """
    best_a = np.asarray(best, dtype=object)
    gold_a = np.asarray(gold, dtype=object)
    conf = np.asarray(confidence, dtype=np.float64)
    is_oos = gold_a == OUT_OF_SCOPE
    in_scope = ~is_oos
    pred_oos = best_a == OUT_OF_SCOPE
    right = (best_a == gold_a) & in_scope
    base_acc = float(right[in_scope].mean()) if in_scope.any() else 0.0
    if not is_oos.any() or not in_scope.any():
        return {"threshold": 0.0, "val_in_scope_accuracy": base_acc, "val_oos_recall": 0.0}
    floor = base_acc - max_in_scope_drop if min_in_scope_accuracy is None else min_in_scope_accuracy
    chosen, recall, acc = 0.0, float(pred_oos[is_oos].mean()), base_acc
    for t in np.unique(conf):
        flagged = pred_oos | (conf < t)
        acc_t = float((right & ~flagged)[in_scope].mean())
        if acc_t < floor - 1e-12:
            break
        chosen, acc, recall = float(t), acc_t, float(flagged[is_oos].mean())
    return {"threshold": chosen, "val_in_scope_accuracy": acc, "val_oos_recall": recall}


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


def embedder_record(embedder: Embedder) -> dict[str, Any]:
    """What a router stores about the embedder it was trained with."""
    path = getattr(embedder, "path", None)
    return {
        "name": embedder.name,
        "fingerprint": embedder_fingerprint(embedder),
        "path": str(path) if path is not None else None,
    }


def check_embedder(record: dict[str, Any], embedder: Embedder, where: Path) -> None:
    """Refuse an embedder other than the one the router was trained with."""
    got = embedder_record(embedder)
    if got["fingerprint"] != record["fingerprint"]:
        raise ModelError(
            f"{where}: this router was trained with embedder {record['name']} "
            f"(weights {record['fingerprint']}) but was given {got['name']} "
            f"(weights {got['fingerprint']}); load it with the embedder it was trained with, "
            "or re-fit the router"
        )


def write_router_dir(path: Path, write: Callable[[Path], None]) -> None:
    """Run `write(tmp)` into a fresh folder beside `path`, then swap it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not (path / META_FILE).exists() and any(path.iterdir()):
        raise InhouseError(f"{path}: exists and is not a router folder; choose another --out")
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        write(tmp)
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old.{os.getpid()}")
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    (folder / META_FILE).write_text(json.dumps({"format": FORMAT_VERSION, **meta}, indent=2))


def read_meta(path: Path) -> dict[str, Any]:
    """The router's `router.json`, with a clear error when it is missing or not ours."""
    file = Path(path) / META_FILE
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"{file}: not found; `{path}` is not a router folder (make one with "
            "`inhouse support fit-router`)"
        ) from None
    except json.JSONDecodeError as e:
        raise ModelError(
            f"{file}:{e.lineno}: not valid JSON ({e.msg}); re-fit the router"
        ) from None
    if meta.get("format") != FORMAT_VERSION:
        raise ModelError(f"{file}: unknown router format or system; re-fit the router")
    return dict(meta)
