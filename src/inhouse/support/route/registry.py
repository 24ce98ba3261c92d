"""The router systems by name, as data records: what `inhouse support fit-router --system NAME`
builds and what `load_router` reads back.

>>> make_router("logistic").name
'logistic'
>>> SYSTEMS["knn"].kind
'baseline'
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from inhouse.artifacts import System, by_name, record_for, unknown_system
from inhouse.errors import InhouseError
from inhouse.models.embedder import Embedder
from inhouse.models.load import load_embedder
from inhouse.support.route.base import Router, read_router


def _class(where: str) -> Any:
    """`module:Class` under inhouse.support.route, imported when first used."""
    module, name = where.split(":")
    return getattr(importlib.import_module(f"inhouse.support.route.{module}"), name)


def _record(name: str, where: str, kind: str, description: str) -> System[Router]:
    def build(embedder: Embedder | None = None, **config: Any) -> Router:
        router: Router = _class(where)(
            embedder if embedder is not None else load_embedder(), **config
        )
        return router

    def load(folder: Path, embedder: Embedder | None, manifest: Any) -> Router:
        router: Router = _class(where).load(folder, embedder, manifest)
        return router

    return System(name, kind, description, build, load)


SYSTEMS: dict[str, System[Router]] = by_name(
    _record(
        "zero-shot-labels",
        "zeroshot:ZeroShotRouter",
        "off-the-shelf",
        "cosine between a message and each intent's name or description; no training",
    ),
    _record(
        "knn",
        "knn:KnnRouter",
        "baseline",
        "the k most similar past tickets vote, weighted by similarity",
    ),
    _record(
        "logistic",
        "logistic:LogisticRouter",
        "in-house",
        "logistic regression + kNN vote on the frozen embedder's features",
    ),
    _record(
        "finetuned",
        "finetuned:FinetunedRouter",
        "in-house",
        "the embedder fine-tuned on the tickets, averaged with the frozen one; saves its "
        "tuned weights",
    ),
    _record(
        "distilled",
        "distilled:DistilledRouter",
        "in-house",
        "finetuned, tuned towards a bigger teacher's cross-fitted probabilities (default "
        "all-mpnet-base-v2 int8, used only while fitting); serves at MiniLM's cost",
    ),
)


def make_router(system: str, embedder: Embedder | None = None, **config: Any) -> Router:
    """A new, unfitted router of `system` (see `SYSTEMS`) on `embedder` (default: MiniLM)."""
    if system not in SYSTEMS:
        raise InhouseError(unknown_system("router system", system, SYSTEMS))
    return SYSTEMS[system].make(embedder, **config)


def load_router(path: Path, embedder: Embedder | None = None) -> Router:
    """Load a saved router. Its embedder must be the one it was trained with; without one, that
    embedder is loaded by its registry name (a fine-tuned one from the router's folder)."""
    folder, manifest = read_router(Path(path))
    return record_for(SYSTEMS, folder, manifest).load(folder, embedder, manifest)


DEFAULT_SYSTEM = "finetuned"  # what `inhouse support fit-router` fits without --system
