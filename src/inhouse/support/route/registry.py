"""The router systems by name: what `inhouse support fit-router --system NAME` builds.

>>> make_router("logistic").name
'logistic'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inhouse.errors import InhouseError, ModelError
from inhouse.models.embedder import DEFAULT_EMBEDDER, Embedder
from inhouse.models.load import load_embedder
from inhouse.support.route.base import META_FILE, Router, read_meta


def _systems() -> dict[str, Any]:
    from inhouse.support.route.finetuned import FinetunedRouter
    from inhouse.support.route.knn import KnnRouter
    from inhouse.support.route.logistic import LogisticRouter
    from inhouse.support.route.zeroshot import ZeroShotRouter

    return {
        "zero-shot-labels": ZeroShotRouter,
        "knn": KnnRouter,
        "logistic": LogisticRouter,
        "finetuned": FinetunedRouter,
    }


SYSTEMS: tuple[str, ...] = ("zero-shot-labels", "knn", "logistic", "finetuned")


def make_router(system: str, embedder: Embedder | None = None, **config: Any) -> Router:
    """A new, unfitted router of `system` (see `SYSTEMS`) on `embedder` (default: MiniLM)."""
    if system not in SYSTEMS:
        raise InhouseError(f"unknown router system {system!r}; choose one of {', '.join(SYSTEMS)}")
    cls = _systems()[system]
    return cls(embedder if embedder is not None else load_embedder(), **config)


def load_router(path: Path, embedder: Embedder | None = None) -> Router:
    """Load a saved router. Its embedder must be the one it was trained with."""
    path = Path(path)
    meta = read_meta(path)
    if meta.get("system") not in SYSTEMS:
        raise ModelError(f"{path / META_FILE}: unknown router system; re-fit the router")
    cls = _systems()[meta["system"]]
    if embedder is None and not getattr(cls, "stores_embedder", False):
        record = meta["embedder"]
        if record["name"] == DEFAULT_EMBEDDER or not record.get("path"):
            embedder = load_embedder()
        else:
            embedder = load_embedder(Path(record["path"]), name=record["name"])
    return cls.load(path, embedder, meta)
