"""`distilled`: the `finetuned` router on the embedded MiniLM, tuned to match a bigger teacher's
class probabilities as well as the labels, so it serves at MiniLM's cost.

The teacher is the `logistic` router's head over a stronger registered encoder (by default
all-mpnet-base-v2 in int8). It is used only while fitting. Its probabilities for the training
tickets are cross-fitted: each fold's tickets are scored by a head fitted on the other folds, so
the targets carry what the teacher really believes of a ticket it has not seen, not a memorised
label. The student is then tuned on those targets (`classify_tune`, knowledge distillation) and
serves exactly as `finetuned` does: one graph of the tuned and frozen MiniLM views.

The manifest records the teacher's name and weights sha256 under `state.teacher`.

Measured (`benchmarks/support_routing.py --systems distilled`, README): on Banking77 it
reached 93.67 % against `finetuned`'s 93.86 %, and on CLINC150 95.38 % in-scope with 66.2 %
out-of-scope recall against 95.84 % / 66.9 %. On Banking77 valid the mpnet-int8 teacher head
scores below the MiniLM routers (`benchmarks/distill_grid.py`), so there is little to transfer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inhouse.artifacts import Manifest
from inhouse.errors import ModelError
from inhouse.models.embedder import Embedder, fingerprint
from inhouse.models.features import view_features
from inhouse.models.load import load_named_embedder
from inhouse.support.route.base import RouterKind, check_labels, check_texts
from inhouse.support.route.finetuned import FinetunedRouter
from inhouse.support.route.logistic import LinearHead

DEFAULT_TEACHER = "all-mpnet-base-v2-onnx-int8"


class DistilledRouter(FinetunedRouter):
    """`finetuned`, with the encoder tuned towards `teacher`'s cross-fitted probabilities."""

    name = "distilled"
    kind: RouterKind = "in-house"
    teacher_record: dict[str, Any] | None = None  # name, sha256, dim: set by `fit` or `load`

    def __init__(
        self,
        embedder: Embedder,
        teacher: str = DEFAULT_TEACHER,
        distill_weight: float = 0.5,
        distill_temperature: float = 2.0,
        teacher_folds: int = 5,
        teacher_embedder: Embedder | None = None,
        **settings: Any,
    ) -> None:
        if not 0.0 <= distill_weight <= 1.0:
            raise ModelError(f"distill_weight {distill_weight}: use a share between 0 and 1")
        if distill_temperature <= 0:
            raise ModelError(f"distill_temperature {distill_temperature}: use a positive number")
        if teacher_folds < 2:
            raise ModelError(f"teacher_folds {teacher_folds}: cross-fitting needs 2 or more")
        super().__init__(embedder, **settings)
        self.config |= {
            "teacher": teacher,
            "distill_weight": distill_weight,
            "distill_temperature": distill_temperature,
            "teacher_folds": teacher_folds,
        }
        self.teacher_embedder = teacher_embedder  # loaded by name in `fit` when not given
        self.soft_targets: np.ndarray | None = None

    def teacher_probabilities(self, texts: Sequence[str], intents: Sequence[str]) -> np.ndarray:
        """The teacher's cross-fitted probabilities for `texts` (columns: sorted intents)."""
        cfg = self.config
        teacher = self.teacher_embedder or _load_teacher(cfg["teacher"])
        self.teacher_embedder = teacher
        self.teacher_record = fingerprint(teacher).model_dump()
        x = view_features(teacher, texts, (-1,))
        y = np.asarray(intents, dtype=object)
        classes = sorted(set(intents))
        folds = np.random.default_rng(cfg["seed"]).permutation(len(texts)) % cfg["teacher_folds"]
        soft = np.zeros((len(texts), len(classes)), dtype=np.float32)
        for fold in range(cfg["teacher_folds"]):
            seen = folds != fold
            head = LinearHead(**self.head.config()).fit(x[seen], y[seen])
            columns = [classes.index(c) for c in head.classes]  # a fold may miss a rare intent
            soft[np.ix_(~seen, columns)] = head.proba(x[~seen])
        return soft

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> DistilledRouter:
        """Score the tickets with the teacher (cross-fitted), then tune as `finetuned` does."""
        texts = check_texts(texts)
        check_labels(texts, intents)
        soft = self.teacher_probabilities(texts, intents)
        best = np.asarray(sorted(set(intents)), dtype=object)[soft.argmax(1)]
        self.soft_targets = soft
        try:
            super().fit(texts, intents)
        finally:
            self.soft_targets = None  # fit-time only
        self.training["teacher_train_accuracy"] = float(np.mean(best == np.asarray(intents)))
        return self

    def _tune(self, model: Any, texts: list[str], intents: Sequence[str]) -> dict[str, float]:
        cfg = self.config
        return self._classify_tune(
            model,
            texts,
            intents,
            soft_targets=self.soft_targets,
            distill_weight=cfg["distill_weight"],
            temperature=cfg["distill_temperature"],
        )

    def state(self) -> dict[str, Any]:
        return super().state() | {"teacher": self.teacher_record}

    @classmethod
    def load(cls, folder: Path, embedder: Embedder | None, manifest: Manifest) -> DistilledRouter:
        router = super().load(folder, embedder, manifest)
        assert isinstance(router, DistilledRouter)
        router.teacher_record = manifest.state.get("teacher")
        return router


def _load_teacher(name: str) -> Embedder:
    try:
        return load_named_embedder(name)
    except ModelError as e:
        how = (
            "inhouse models install all-mpnet-base-v2 && "
            "inhouse models export all-mpnet-base-v2 --precision int8"
            if name == DEFAULT_TEACHER
            else "register it, or pass teacher=NAME of a registered embedder"
        )
        raise ModelError(
            f"the distilled router's teacher {name!r} cannot be loaded ({e}); {how}"
        ) from None
