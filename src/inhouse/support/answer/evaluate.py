"""The response-suggestion bake-off: past tickets nearest to a message, scored by intent hits.

>>> bench_responses(load("bitext-support")).systems[0].metrics
{'hit@1': ..., 'hit@5': ...}
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from inhouse.datasets.types import ResponseData
from inhouse.errors import ConfigError
from inhouse.eval.results import BenchResult, SystemResult
from inhouse.models.embedder import Embedder, MemoEmbedder
from inhouse.models.load import load_embedder
from inhouse.support.answer.suggest import Suggester, hits
from inhouse.support.retrieve.evaluate import _latency

RESPONSE_SYSTEMS = ("tfidf-knn", "dense-nearest", "knn-vote10")


def bench_responses(
    data: ResponseData, systems: Sequence[str] | None = None, embedder: Embedder | None = None
) -> BenchResult:
    """Fit each suggester on `data.train`; hit@1 / hit@5 of its suggestions on `data.test`."""
    wanted = list(systems or RESPONSE_SYSTEMS)
    unknown = [s for s in wanted if s not in RESPONSE_SYSTEMS]
    if unknown:
        raise ConfigError(f"unknown system(s) {unknown}; choose from {', '.join(RESPONSE_SYSTEMS)}")
    needs_embedder = any(s != "tfidf-knn" for s in wanted)
    base = embedder or (load_embedder() if needs_embedder else None)
    embedder = MemoEmbedder(base) if base is not None else None
    makers: dict[str, Callable[[], Suggester]] = {
        "tfidf-knn": lambda: Suggester(tfidf=True, neighbours=1),
        "dense-nearest": lambda: Suggester(embedder, neighbours=1, name="dense-nearest"),
        "knn-vote10": lambda: Suggester(embedder, neighbours=10),
    }
    texts, intents = data.test["text"].to_list(), data.test["intent"].to_list()
    rows = []
    for name in wanted:
        s, t0 = makers[name](), time.perf_counter()
        s.fit(data.train)
        fit_seconds = time.perf_counter() - t0
        suggestions = s.suggest(texts, k=5)
        wall, cpu = [], []
        for text in texts[:200]:  # latency of single live requests, on a sample
            w0, c0 = time.perf_counter(), time.process_time()
            s.suggest([text], k=5)
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        row = {
            "name": name,
            "kind": s.kind,
            "metrics": {
                "hit@1": hits(suggestions, intents, 1),
                "hit@5": hits(suggestions, intents, 5),
            },
            "fit_seconds": round(fit_seconds, 2),
            "latency_ms": _latency(wall),
            "cpu_ms_per_request": round(float(np.mean(cpu)), 2),
        }
        rows.append(SystemResult.model_validate(row))
    return BenchResult(
        workload="support-responses",
        dataset=data.name,
        protocol=data.protocol,
        primary_metric="hit@1",
        systems=rows,
    )
