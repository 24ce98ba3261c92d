"""The retrieval systems by name: what `inhouse support index --system NAME` builds.

>>> make_retriever("tuned-hybrid").name
'tuned-hybrid'
"""

from __future__ import annotations

from pathlib import Path

from inhouse.artifacts import (
    Manifest,
    System,
    by_name,
    record_for,
    unknown_system,
)
from inhouse.errors import ConfigError
from inhouse.models.embedder import Embedder
from inhouse.support.retrieve.base import Retriever, read_index, save_retriever
from inhouse.support.retrieve.bm25 import BM25Retriever
from inhouse.support.retrieve.dense import DenseRetriever
from inhouse.support.retrieve.family import FamilyRetriever
from inhouse.support.retrieve.hybrid import HybridRetriever
from inhouse.support.retrieve.tune import TuneConfig


def _bm25(embedder: Embedder | None, tune: TuneConfig | None) -> Retriever:
    return BM25Retriever()


def _dense(embedder: Embedder | None, tune: TuneConfig | None) -> Retriever:
    return DenseRetriever(embedder, chunk=False)


# RRF constant chosen on the 30 dev scenarios: k0=10 gave recall@10 0.425 against 0.342 for
# k0=60. Whole-article vectors beat 150-word passages on dev (0.425 against 0.332), so the
# hybrids embed whole articles; `DenseRetriever(chunk=True)` keeps passages as an option.
HYBRID_K0 = 10.0


def _hybrid(
    embedder: Embedder | None,
    tune: TuneConfig | None,
    k0: float,
    query_words: int | None = None,
) -> HybridRetriever:
    dense = DenseRetriever(embedder, chunk=False, query_words=query_words)
    return HybridRetriever([BM25Retriever(), dense], k0=k0)


def _tuned_hybrid(embedder: Embedder | None, tune: TuneConfig | None, k0: float) -> Retriever:
    dense = DenseRetriever(embedder, chunk=False, tune=tune or TuneConfig())
    return HybridRetriever([BM25Retriever(), dense], name="tuned-hybrid", kind="in-house", k0=k0)


# Long multi-need messages: the hybrid's dense half reads the message need by need (a soft
# maximum over its sentences) and BM25 matches word pairs, so product names count as phrases.
# Nothing is dropped from the message: role-play lines can name a procedure the agent must
# consult (four dev scenarios need the human-transfer article). Chosen for long messages
# rather than by maximising dev recall: on the 30 dev scenarios, and on 30 pairs and 30
# triples of them joined into one message (`bench_retrieval.joined_queries`), recall@10 was
# 0.496 / 0.316 / 0.204 against 0.425 / 0.193 / 0.141 for `hybrid`. k0=60 is the usual RRF
# constant (Cormack et al. 2009); temperature 10 lies between a mean (0) and a max
# (infinity): 5 and 20 gave dev recall@10 within 0.02 of it (measured with BM25 b=1.0).
NEEDS_K0 = 60.0
NEEDS_TEMPERATURE = 10.0


def _needs_hybrid(
    embedder: Embedder | None, tune: TuneConfig | None, k0: float, temperature: float
) -> Retriever:
    dense = DenseRetriever(embedder, chunk=False, query_mode="needs", temperature=temperature)
    return HybridRetriever([BM25Retriever(ngrams=2), dense], name="needs-hybrid", k0=k0)


# The family vote and the query cut, chosen on the 30 dev scenarios with the hybrid over
# all-mpnet-base-v2 int8, each scenario searched alone as it is served
# (`benchmarks/family_grid.py`, benchmarks/results/family-grid-bank-help-center.json):
# - over top 1/2/3/5/10 and weight 0.2 to 10, the first hit's family at weight 3 had the best
#   dev recall@10 (0.386, against the hybrid's 0.368);
# - the dense half then reads a message's first 250 words: the shortest cut of 300/250/200/
#   150/100 words within 0.01 of that dev recall (0.390). A long scenario fills mpnet's
#   384-token window, about 0.3 s of CPU at one thread; 250 words took dev's p95 query from
#   342 to 245 ms.
# Dev scenarios are about cards and test ones mostly about accounts (10.5 % of test's required
# articles appear in dev, the same file), so nothing is learned from dev's articles, only these
# three numbers.
FAMILY_TOP, FAMILY_WEIGHT, FAMILY_QUERY_WORDS = 1, 3.0, 250


def _family_hybrid(
    embedder: Embedder | None,
    tune: TuneConfig | None,
    k0: float,
    top: int,
    weight: float,
    query_words: int | None,
) -> Retriever:
    inner = _hybrid(embedder, tune, k0, query_words)
    return FamilyRetriever(inner, top=top, weight=weight)


def _read_hybrid(folder: Path, embedder: Embedder | None, manifest: Manifest) -> Retriever:
    return HybridRetriever.read(folder, embedder, manifest, _load)


def _read_family(folder: Path, embedder: Embedder | None, manifest: Manifest) -> Retriever:
    return FamilyRetriever.read(folder, embedder, manifest, _load)


SYSTEMS: dict[str, System[Retriever]] = by_name(
    System("bm25", "baseline", "Okapi BM25 over title + body", _bm25, BM25Retriever.read),
    System(
        "dense",
        "off-the-shelf",
        "off-the-shelf embedder, one vector per article",
        _dense,
        DenseRetriever.read,
    ),
    System(
        "hybrid",
        "off-the-shelf",
        "RRF of BM25 and the off-the-shelf embedder",
        _hybrid,
        _read_hybrid,
        {"k0": HYBRID_K0},
    ),
    System(
        "tuned-hybrid",
        "in-house",
        "RRF of BM25 and the embedder fine-tuned on pseudo-queries from the articles",
        _tuned_hybrid,
        _read_hybrid,
        {"k0": HYBRID_K0},
    ),
    System(
        "needs-hybrid",
        "off-the-shelf",
        "RRF of word-pair BM25 and the embedder reading a message need by need (soft "
        "maximum over its sentences); for long, multi-need messages",
        _needs_hybrid,
        _read_hybrid,
        {"k0": NEEDS_K0, "temperature": NEEDS_TEMPERATURE},
    ),
    System(
        "family-hybrid",
        "off-the-shelf",
        "the hybrid, with the other articles of its first hit's family raised (a family: "
        "the articles' `family` column, or ids that differ only in a trailing number); its "
        "dense half reads a message's first 250 words",
        _family_hybrid,
        _read_family,
        {
            "k0": HYBRID_K0,
            "top": FAMILY_TOP,
            "weight": FAMILY_WEIGHT,
            "query_words": FAMILY_QUERY_WORDS,
        },
    ),
)
"""name -> record; `make(embedder, tune)` makes a fresh, unindexed retriever, `load(folder,
embedder, manifest)` reads a saved one back (a hybrid's parts through `load_retriever`)."""


def make_retriever(
    system: str, embedder: Embedder | None = None, tune: TuneConfig | None = None
) -> Retriever:
    """A fresh, unindexed retriever of the named system."""
    if system not in SYSTEMS:
        raise ConfigError(unknown_system("retrieval system", system, SYSTEMS))
    return SYSTEMS[system].make(embedder, tune)


def build_index(
    articles_path: Path, out: Path, system: str = "hybrid", embedder_path: Path | None = None
) -> tuple[Retriever, Path]:
    """Read an articles file, index it with `system`, save it under `out`; returns both.

    Bad rows stop the build before any work (`file:line: reason`); `out` keeps its previous
    version until the new one is complete.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from inhouse.data.read import read_articles
    from inhouse.models.load import load_embedder

    retriever = make_retriever(system)  # unknown systems fail before any reading
    articles = read_articles(articles_path)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(f"indexing {articles.height} articles with {system}", total=None)
        embedder = load_embedder(embedder_path) if embedder_path else None
        retriever = make_retriever(system, embedder)
        retriever.index(articles)
        progress.update(task, description=f"saving the index to {out}")
        folder = save_retriever(retriever, out)
    return retriever, folder


def load_retriever(path: Path, embedder: Embedder | None = None) -> Retriever:
    """Load the live index under `path` (written by `save`), or a version folder or a hybrid's
    part itself. An `embedder` other than the one the index was built with is refused; without
    one, that one is loaded (by registry name, or from the index for a tuned one)."""
    return _load(Path(path), embedder)


def _load(path: Path, embedder: Embedder | None) -> Retriever:
    folder, manifest = read_index(path)
    return record_for(SYSTEMS, folder, manifest).load(folder, embedder, manifest)
