"""The retrieval systems by name: what `inhouse support index --system NAME` builds.

>>> make_retriever("tuned-hybrid").name
'tuned-hybrid'
"""

from __future__ import annotations

from collections.abc import Callable

from inhouse.errors import ConfigError
from inhouse.models.embedder import Embedder
from inhouse.support.retrieve import BM25Retriever, HybridRetriever, NeedsRetriever, Retriever
from inhouse.support.retrieve_dense import DenseRetriever
from inhouse.support.retrieve_tune import TuneConfig


def _bm25(embedder: Embedder | None, tune: TuneConfig | None) -> Retriever:
    return BM25Retriever()


def _dense(embedder: Embedder | None, tune: TuneConfig | None) -> Retriever:
    return DenseRetriever(embedder, chunk=False)


def _hybrid(embedder: Embedder | None, tune: TuneConfig | None) -> Retriever:
    return HybridRetriever([BM25Retriever(), DenseRetriever(embedder, chunk=True)])


def _tuned_hybrid(embedder: Embedder | None, tune: TuneConfig | None) -> Retriever:
    dense = DenseRetriever(embedder, chunk=True, tune=tune or TuneConfig())
    return HybridRetriever([BM25Retriever(), dense], name="tuned-hybrid", kind="in-house")


SYSTEMS: dict[str, tuple[Callable[[Embedder | None, TuneConfig | None], Retriever], str]] = {
    "bm25": (_bm25, "Okapi BM25 over title + body"),
    "dense": (_dense, "off-the-shelf embedder, one vector per article"),
    "hybrid": (_hybrid, "RRF of BM25 and embedded article passages"),
    "tuned-hybrid": (
        _tuned_hybrid,
        "RRF of BM25 and passages embedded by the embedder fine-tuned on the articles",
    ),
}


def make_retriever(
    system: str, embedder: Embedder | None = None, tune: TuneConfig | None = None
) -> Retriever:
    """A fresh, unindexed retriever of the named system."""
    if system not in SYSTEMS:
        raise ConfigError(
            f"unknown retrieval system {system!r}; choose one of {', '.join(SYSTEMS)}"
        )
    return SYSTEMS[system][0](embedder, tune)


__all__ = ["SYSTEMS", "NeedsRetriever", "make_retriever"]
