"""The response-suggestion systems by name, as data records: what the responses bench runs and
what `load` reads back.

>>> SYSTEMS["knn-vote10"].make(embedder).name
'knn-vote10'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inhouse import artifacts
from inhouse.artifacts import System, by_name
from inhouse.models.embedder import Embedder
from inhouse.support.answer.suggest import WORKLOAD, Suggester


def _build(embedder: Embedder | None = None, *, tfidf: bool = False, **params: Any) -> Suggester:
    """A suggester; TF-IDF ones (`tfidf=True`) use no embedder."""
    return Suggester(None if tfidf else embedder, tfidf=tfidf, **params)


SYSTEMS: dict[str, System[Suggester]] = by_name(
    System(
        "tfidf-knn",
        "baseline",
        "the nearest past ticket by TF-IDF cosine (a bench baseline; not saved)",
        _build,
        Suggester.read,
        dict(tfidf=True, neighbours=1),
    ),
    System(
        "dense-nearest",
        "off-the-shelf",
        "the nearest past ticket by embedding cosine",
        _build,
        Suggester.read,
        {"neighbours": 1, "name": "dense-nearest"},
    ),
    System(
        "knn-vote10",
        "off-the-shelf",
        "the 10 nearest past tickets vote for an intent with their similarities",
        _build,
        Suggester.read,
        {"neighbours": 10},
    ),
)
"""name -> record; `make(embedder)` builds an unfitted suggester, `load(folder, embedder,
manifest)` reads a saved one."""


def load(path: Path, embedder: Embedder | None = None) -> Suggester:
    """Load the suggester saved under `path`; its manifest's `system` picks the record (one of
    other parameters, such as `knn-vote3`, is read as the Suggester it is)."""
    folder, manifest = artifacts.read(Path(path), WORKLOAD)
    record = SYSTEMS.get(manifest.system)
    read = record.load if record is not None else Suggester.read
    return read(folder, embedder, manifest)
