"""`finetuned`: the encoder tuned on the company's tickets, a logistic+kNN head on its features,
averaged with the same head on the frozen encoder's features (an ensemble of two views).

Training: cross-entropy through a linear head on mean-pooled states, lowest `frozen_layers`
blocks fixed (`inhouse.tune.classify`).
`frozen_weight` is the share of the frozen view in the averaged probabilities (0 = tuned only).
`max_seq_length` truncates tickets while tuning; features read up to `MAX_TOKENS` in both views,
so a loaded router serves both from one graph that runs the shared frozen blocks once, by
default quantised to int8 (`serve_precision`): on Banking77 the two float32 views took 12.3 ms
of CPU per message (mean, under load) against 6.9 ms in int8, for 0.04 points of accuracy.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inhouse.artifacts import Manifest
from inhouse.errors import ModelError
from inhouse.models.embedder import (
    Embedder,
    Fingerprint,
    SentenceTransformerEmbedder,
    check_embedder,
    fingerprint,
)
from inhouse.models.encoder import BATCH_SIZE, Views
from inhouse.models.features import view_features
from inhouse.models.load import load_embedder_for
from inhouse.models.onnx import ONNX_FILE, PRECISIONS, export_onnx, load_views
from inhouse.models.quiet import quiet_transformers
from inhouse.support.route.base import (
    RouterKind,
    Thresholded,
    check_confidence,
    check_labels,
    check_texts,
    choose_threshold,
    decide,
    restore,
    save_router,
)
from inhouse.support.route.logistic import LinearHead
from inhouse.tune.classify import classify_tune

TUNED_DIR = "embedder"  # the tuned encoder, saved inside the router folder


class _Tuned:
    """A fine-tuned copy of a sentence-transformers model, seen through the `Embedder` shape."""

    def __init__(self, model: Any, name: str) -> None:
        self.model = model
        self.name = name
        self.dim = int(model.get_embedding_dimension())
        self.path: Path | None = None

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        vecs = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


class FinetunedRouter(Thresholded):
    """Tuned encoder + head, averaged with the frozen encoder + head; saves its tuned weights."""

    name = "finetuned"
    kind: RouterKind = "in-house"
    stores_embedder = True

    def __init__(
        self,
        embedder: Embedder,
        objective: str = "classify",
        epochs: float = 1.0,
        batch_size: int = 32,
        lr: float = 1e-4,
        head_lr: float = 2e-3,
        frozen_layers: int = 3,
        label_smoothing: float = 0.1,
        max_seq_length: int = 64,
        max_steps: int | None = None,
        layers: Sequence[int] = (-1,),
        c: float = 50.0,
        knn_weight: float = 0.5,
        k: int = 20,
        temperature: float = 0.05,
        frozen_weight: float = 0.5,
        seed: int = 0,
        max_in_scope_drop: float = 0.01,
        min_in_scope_accuracy: float | None = None,
        confidence: str = "margin",
        serve_precision: str = "int8",
        progress: bool = True,
    ) -> None:
        if getattr(embedder, "model", None) is None:
            raise ModelError(
                f"embedder {embedder.name} has no trainable model; the finetuned router needs "
                "a sentence-transformers embedder"
            )
        if objective != "classify":  # the one objective; saved configs may still name it
            raise ModelError(
                f"objective {objective!r}: the finetuned router only tunes with 'classify'; "
                "drop the `objective` setting"
            )
        if serve_precision not in PRECISIONS:
            raise ModelError(
                f"serve_precision {serve_precision!r}: use one of {', '.join(PRECISIONS)}"
            )
        self.embedder: Embedder = embedder
        self.base_embedder: Embedder = embedder
        self.config: dict[str, Any] = {
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "head_lr": head_lr,
            "frozen_layers": frozen_layers,
            "label_smoothing": label_smoothing,
            "max_seq_length": max_seq_length,
            "max_steps": max_steps,
            "layers": list(layers),
            "c": c,
            "knn_weight": knn_weight,
            "k": k,
            "temperature": temperature,
            "frozen_weight": frozen_weight,
            "seed": seed,
            "max_in_scope_drop": max_in_scope_drop,
            "min_in_scope_accuracy": min_in_scope_accuracy,
            "confidence": check_confidence(confidence),
            "serve_precision": serve_precision,
        }
        self.progress = progress
        head: dict[str, Any] = {
            "c": c,
            "knn_weight": knn_weight,
            "k": k,
            "temperature": temperature,
        }
        self.head = LinearHead(**head)
        self.frozen_head = LinearHead(**head)
        self.threshold = 0.0
        self.calibration: dict[str, float] = {}
        self.training: dict[str, float] = {}
        self.serving: Views | None = None  # set by `load`: the exported graph of both views

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """The tuned encoder's features."""
        return view_features(self.embedder, texts, self.config["layers"])

    def frozen_features(self, texts: Sequence[str]) -> np.ndarray:
        """The untouched base encoder's features (as the `logistic` router sees them)."""
        return view_features(self.base_embedder, texts, self.config["layers"])

    def _tune(self, model: Any, texts: list[str], intents: Sequence[str]) -> dict[str, float]:
        return self._classify_tune(model, texts, intents)

    def _classify_tune(
        self, model: Any, texts: list[str], intents: Sequence[str], **extra: Any
    ) -> dict[str, float]:
        """`classify_tune` with this router's settings; `extra` goes to it as they are."""
        cfg = self.config
        return classify_tune(
            model,
            texts,
            intents,
            epochs=cfg["epochs"],
            batch_size=cfg["batch_size"],
            lr=cfg["lr"],
            head_lr=cfg["head_lr"],
            frozen_layers=cfg["frozen_layers"],
            label_smoothing=cfg["label_smoothing"],
            max_length=cfg["max_seq_length"],
            max_steps=cfg["max_steps"],
            seed=cfg["seed"],
            progress=self.progress,
            **extra,
        )

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> FinetunedRouter:
        """Tune a copy of the embedder on the tickets, then fit the heads on both views."""
        texts = check_texts(texts)
        check_labels(texts, intents)
        base = self.base_embedder
        if self.config["frozen_weight"] > 0:
            self.frozen_head.fit(self.frozen_features(texts), intents)
        model = copy.deepcopy(base.model)  # type: ignore[attr-defined]
        start, wall = time.process_time(), time.perf_counter()
        self.training = self._tune(model, texts, intents)
        self.training["tune_cpu_seconds"] = time.process_time() - start
        self.training["tune_wall_seconds"] = time.perf_counter() - wall
        self.embedder = _Tuned(model, f"{base.name}+finetuned")
        self.head.fit(self.features(texts), intents)
        return self

    def views(self) -> list[tuple[Embedder, Sequence[int]]]:
        """(embedder, layers) of the frozen view (when weighted) and then the tuned one."""
        layers = self.config["layers"]
        tuned = [(self.embedder, layers)]
        return [(self.base_embedder, layers), *tuned] if self.config["frozen_weight"] > 0 else tuned

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities (columns: `self.head.classes`), both views averaged."""
        w = self.config["frozen_weight"]
        if self.serving is not None:
            *frozen, tuned = self.serving(texts)
        else:
            tuned = self.features(texts)
            frozen = [self.frozen_features(texts)] if w > 0 else []
        p = self.head.proba(tuned)
        if w > 0:
            p = (1 - w) * p + w * self.frozen_head.proba(frozen[0])
        return p

    def raw(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Best intent and its confidence (see `decide`), before the out-of-scope threshold."""
        p = self.proba(check_texts(texts))
        return decide(p, self.head.classes, self.config["confidence"])

    def calibrate(self, val_texts: Sequence[str], val_intents: Sequence[str]) -> dict[str, float]:
        best, conf = self.raw(val_texts)
        cfg = self.config
        self.calibration = choose_threshold(
            best, conf, val_intents, cfg["max_in_scope_drop"], cfg["min_in_scope_accuracy"]
        )
        self.threshold = self.calibration["threshold"]
        return self.calibration

    def save(self, path: Path) -> Path:
        def write(folder: Path) -> None:
            with quiet_transformers():
                self.embedder.model.save(str(folder / TUNED_DIR))  # type: ignore[attr-defined]
            arrays = self.head.arrays()
            if self.config["frozen_weight"] > 0:
                arrays |= {f"frozen_{k}": v for k, v in self.frozen_head.arrays().items()}
            np.savez(folder / "arrays.npz", **arrays)  # type: ignore[arg-type]
            export_onnx(folder / ONNX_FILE, self.views(), self.config["serve_precision"])

        classes = self.head.classes
        base = self.base_embedder
        return save_router(self, path, write, self.config, classes, base, self.state())

    def state(self) -> dict[str, Any]:
        """What the manifest keeps besides the settings: the tuned weights' fingerprint, as
        `load` checks them (a router loaded, calibrated and saved again records the same one),
        and the training figures."""
        tuned = fingerprint(_Tuned(self.embedder.model, self.embedder.name))  # type: ignore[attr-defined]
        return {"tuned": tuned.model_dump(), "training": self.training}

    @classmethod
    def load(cls, folder: Path, embedder: Embedder | None, manifest: Manifest) -> FinetunedRouter:
        """Load with the tuned weights saved beside it; a given `embedder` must be those.

        With a frozen view, the base embedder is loaded by its registry name and checked.
        """
        what = f"the router at {folder}"
        tuned_record = Fingerprint.model_validate(manifest.state["tuned"])
        tuned = SentenceTransformerEmbedder(folder / TUNED_DIR, name=tuned_record.name)
        check_embedder(tuned_record, _Tuned(tuned.model, tuned.name), what)  # weights intact
        if embedder is not None:
            check_embedder(fingerprint(tuned), embedder, what)
        config = manifest.parameters
        frozen = config["frozen_weight"] > 0
        base = load_embedder_for(manifest.base_model, what) if frozen else tuned
        router = cls(base, progress=False, **config)
        router.embedder = tuned
        classes = manifest.state["classes"]
        with np.load(folder / "arrays.npz") as arrays:
            router.head = LinearHead.from_arrays(arrays, classes, router.head.config())
            if frozen:
                names = [k for k in arrays.files if k.startswith("frozen_")]
                kept = {k.removeprefix("frozen_"): arrays[k] for k in names}
                router.frozen_head = LinearHead.from_arrays(kept, classes, router.head.config())
        exact = router.config["serve_precision"] == "float32"  # int8: one text per run
        router.serving = load_views(
            folder / ONNX_FILE, router.views(), batch_size=BATCH_SIZE if exact else 1
        )
        router.training = dict(manifest.state["training"])
        restore(router, manifest)
        return router
