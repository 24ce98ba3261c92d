"""The help-center retrieval bake-off, as bench result rows.

    >>> bench_retrieval(load("bank-help-center")).systems[0].metrics
    {'recall@10': ..., 'recall@20': ..., 'mrr': ...}

Systems that share a part (BM25, a passage index) index it once; a hybrid's `fit_seconds` is
the sum of its parts'. Metrics are measured on the test split only; dev is reported beside it,
and so are dev scenarios joined in pairs and triples (`joined_queries`): long multi-need
messages made from dev alone, to check a choice made on short dev messages.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from inhouse.datasets.types import RetrievalData, RetrievalQuery
from inhouse.errors import ConfigError
from inhouse.eval.bootstrap import intervals
from inhouse.eval.latency import Timing, measure
from inhouse.eval.results import BenchResult
from inhouse.eval.retrieval import query_metrics, retrieval_metrics
from inhouse.models.embedder import Embedder, fingerprint
from inhouse.models.load import load_embedder
from inhouse.support.retrieve.base import Hits, Retriever
from inhouse.support.retrieve.bm25 import BM25Retriever
from inhouse.support.retrieve.dense import DenseRetriever
from inhouse.support.retrieve.family import FamilyRetriever, families_of
from inhouse.support.retrieve.hybrid import HybridRetriever
from inhouse.support.retrieve.registry import SYSTEMS
from inhouse.support.retrieve.tune import TuneConfig

RETRIEVAL_SYSTEMS = tuple(SYSTEMS)  # every registered system, in registry order


def _index_key(r: Retriever) -> tuple[object, ...]:
    """What makes two indexes of the same articles equal: a BM25's terms, a dense index's
    passages and embedder (not how it reads queries)."""
    if isinstance(r, BM25Retriever):
        return ("terms", r.ngrams)
    if isinstance(r, DenseRetriever):
        return ("vectors", r.chunk, r.max_words, r.stride, repr(r.tune), id(r.embedder))
    return ("other", id(r))


def joined_queries(
    queries: Sequence[RetrievalQuery], size: int, count: int = 30, seed: int = 0
) -> list[RetrievalQuery]:
    """`count` messages, each `size` distinct queries joined by a blank line; relevant merged.

    >>> [q.relevant for q in joined_queries([RetrievalQuery("a", "x", ["1"]),
    ...     RetrievalQuery("b", "y", ["2"])], size=2, count=1)]
    [['1', '2']]
    """
    assert 0 < size <= len(queries), "size must be between 1 and the number of queries"
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        picked = [queries[int(j)] for j in rng.choice(len(queries), size, replace=False)]
        out.append(
            RetrievalQuery(
                query_id="+".join(q.query_id for q in picked),
                text="\n\n".join(q.text for q in picked),
                relevant=sorted({a for q in picked for a in q.relevant}),
            )
        )
    return out


def timed_search(
    retriever: Retriever, queries: Sequence[RetrievalQuery], k: int = 100
) -> tuple[list[Hits], Timing]:
    """Search one query at a time, as a live request would; the results and their timing."""
    results: list[Hits] = []
    timing = measure(lambda q: results.append(retriever.search([q.text], k=k)[0]), queries)
    return results, timing


def bench_retrieval(
    data: RetrievalData,
    systems: Sequence[str] | None = None,
    embedder: Embedder | None = None,
    tune: TuneConfig | None = None,
    tuned_embedder: Embedder | None = None,
    joined_dev: bool = True,
) -> BenchResult:
    """Index `data.articles` with each system and score it on `data.test` (dev beside it).

    `tuned_embedder`: an embedder already fine-tuned on these articles (`retrieve_tune`); the
    tuned hybrid then uses it instead of tuning again, and its `fit_seconds` leave tuning out.
    `joined_dev`: also score 30 pairs and 30 triples of dev scenarios joined into one message.
    """
    wanted = list(systems or RETRIEVAL_SYSTEMS)
    unknown = [s for s in wanted if s not in RETRIEVAL_SYSTEMS]
    if unknown:
        raise ConfigError(
            f"unknown system(s) {unknown}; choose from {', '.join(RETRIEVAL_SYSTEMS)}"
        )
    embedder = embedder or load_embedder()
    built: dict[tuple[object, ...], tuple[Retriever, float]] = {}

    def indexed(r: Retriever) -> tuple[Retriever, float]:
        """`r` indexed and its indexing seconds; an index equal to one built before is shared
        (a hybrid's seconds are the sum of its parts')."""
        if isinstance(r, HybridRetriever):
            parts = [indexed(p) for p in r.parts]
            hybrid = HybridRetriever(
                [p for p, _ in parts], name=r.name, k0=r.k0, depth=r.depth, kind=r.kind
            )
            return hybrid, sum(t for _, t in parts)
        if isinstance(r, FamilyRetriever):
            inner, seconds = indexed(r.inner)  # shared with the plain hybrid, if it runs too
            family = FamilyRetriever(
                inner, r.name, r.top, r.weight, r.kind, family=families_of(data.articles)
            )
            return family, seconds
        key = _index_key(r)
        if key not in built:
            t0 = time.perf_counter()
            r.index(data.articles)
            built[key] = (r, time.perf_counter() - t0)
        shared, seconds = built[key]
        if isinstance(r, DenseRetriever) and isinstance(shared, DenseRetriever) and shared is not r:
            # the same vectors, read another way
            shared = shared.reading(r.query_mode, r.temperature, r.query_words)
        return shared, seconds

    def system(name: str) -> tuple[Retriever, float]:
        retriever = SYSTEMS[name].make(embedder, tune)
        if tuned_embedder is not None:  # already tuned on these articles: use it, don't tune
            for part in getattr(retriever, "parts", [retriever]):
                if isinstance(part, DenseRetriever) and part.tune is not None:
                    part.embedder, part.tune = tuned_embedder, None
        return indexed(retriever)

    joined = (
        {
            "pairs": joined_queries(data.dev, 2, seed=1),
            "triples": joined_queries(data.dev, 3, seed=2),
        }
        if joined_dev and len(data.dev) >= 3
        else {}
    )
    rows = []
    for name in wanted:
        retriever, fit_seconds = system(name)
        results, timing = timed_search(retriever, data.test)
        dev = retriever.search([q.text for q in data.dev], k=100) if data.dev else []
        dev_joined = {
            label: retrieval_metrics(retriever.search([q.text for q in qs], k=100), qs)
            for label, qs in joined.items()
        }
        per_query = query_metrics(results, data.test)  # per scenario, for the interval
        dense = any(isinstance(p, DenseRetriever) for p in getattr(retriever, "parts", [retriever]))
        row = timing.row(
            name,
            retriever.kind,
            retrieval_metrics(results, data.test),
            round(fit_seconds, 2),
            ci95=intervals({m: [q[m] for q in per_query] for m in ("recall@10", "mrr")}),
            test_examples=len(per_query),
            dev_metrics=retrieval_metrics(dev, data.dev) if data.dev else None,
            dev_joined_metrics=dev_joined or None,
            encoder=fingerprint(embedder).model_dump() if dense else None,
        )
        rows.append(row)
    return BenchResult(
        workload="support-retrieval",
        dataset=data.name,
        protocol=data.protocol,
        primary_metric="recall@10",
        systems=rows,
    )
