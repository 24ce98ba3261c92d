"""The response-suggestion bake-off: past tickets nearest to a message, scored by intent hits.

>>> bench_responses(load("bitext-support")).systems[0].metrics
{'hit@1': ..., 'hit@5': ...}
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial

from inhouse.datasets.types import ResponseData
from inhouse.errors import ConfigError
from inhouse.eval.bootstrap import intervals
from inhouse.eval.latency import measure
from inhouse.eval.results import BenchResult
from inhouse.eval.retrieval import hit_rate, hits
from inhouse.models.embedder import Embedder, MemoEmbedder
from inhouse.models.load import load_embedder
from inhouse.support.answer.registry import SYSTEMS

RESPONSE_SYSTEMS = tuple(SYSTEMS)  # every registered system, in registry order


def bench_responses(
    data: ResponseData, systems: Sequence[str] | None = None, embedder: Embedder | None = None
) -> BenchResult:
    """Fit each suggester on `data.train`; hit@1 / hit@5 of its suggestions on `data.test`."""
    wanted = list(systems or RESPONSE_SYSTEMS)
    unknown = [s for s in wanted if s not in RESPONSE_SYSTEMS]
    if unknown:
        raise ConfigError(f"unknown system(s) {unknown}; choose from {', '.join(RESPONSE_SYSTEMS)}")
    needs_embedder = any(not SYSTEMS[s].make().tfidf for s in wanted)
    base = embedder or (load_embedder() if needs_embedder else None)
    embedder = MemoEmbedder(base) if base is not None else None
    texts, intents = data.test["text"].to_list(), data.test["intent"].to_list()
    rows = []
    for name in wanted:
        s, t0 = SYSTEMS[name].make(embedder), time.perf_counter()
        s.fit(data.train)
        fit_seconds = time.perf_counter() - t0
        suggestions = s.suggest(texts, k=5)
        # latency of single live requests, on a sample
        timing = measure(partial(s.suggest, k=5), [[text] for text in texts[:200]])
        found = [[x.intent for x in ss] for ss in suggestions]
        metrics = {"hit@1": hit_rate(found, intents, 1), "hit@5": hit_rate(found, intents, 5)}
        per_message = {f"hit@{k}": hits(found, intents, k) for k in (1, 5)}
        interval = {"ci95": intervals(per_message), "test_examples": len(intents)}
        rows.append(timing.row(name, s.kind, metrics, round(fit_seconds, 2), **interval))
    return BenchResult(
        workload="support-responses",
        dataset=data.name,
        protocol=data.protocol,
        primary_metric="hit@1",
        systems=rows,
    )
