"""The dev-only choice of `family-hybrid`'s parameters on bank-help-center.

    python benchmarks/family_grid.py --embedder all-mpnet-base-v2-onnx-int8 \
        --out benchmarks/results/family-grid-bank-help-center.json

Indexes the articles once with the hybrid. For each query cut (`QUERY_WORDS`: the dense half
reads a message's first N words; None: what its window holds) it ranks the 30 dev scenarios
one at a time, timing each query (thread CPU, one thread), and scores every
(top, weight) pair of the grid on dev alone: recall@10, recall@20 and MRR of
`FamilyRetriever` over that ranking. Test scenarios are not read. The registry's
`FAMILY_TOP` and `FAMILY_WEIGHT` are the pair with the best dev recall@10 without a cut;
`FAMILY_QUERY_WORDS` is the shortest cut whose dev recall@10 at that pair is within 0.01 of
the uncut one (`query_choice`). Also writes the share of test's required articles that appear
in some dev scenario, which says why nothing learned from dev's articles themselves could
carry over. Reads INHOUSE_DATA_DIR.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from inhouse.datasets import load
from inhouse.datasets.types import RetrievalData
from inhouse.eval.retrieval import retrieval_metrics
from inhouse.files import atomic_write_text
from inhouse.models.load import load_named_embedder
from inhouse.support.retrieve.dense import DenseRetriever
from inhouse.support.retrieve.evaluate import timed_search
from inhouse.support.retrieve.family import DEPTH, FamilyRetriever, families_of
from inhouse.support.retrieve.hybrid import HybridRetriever
from inhouse.support.retrieve.registry import make_retriever

TOPS = (1, 2, 3, 5, 10)
WEIGHTS = (0.2, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
QUERY_WORDS = (None, 300, 250, 200, 150, 100)
CHOICE_TOLERANCE = 0.01  # dev recall@10 a cut may give up: 30 scenarios resolve no finer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default="all-mpnet-base-v2-onnx-int8")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    data = load("bank-help-center")
    assert isinstance(data, RetrievalData)
    hybrid = make_retriever("hybrid", load_named_embedder(args.embedder))
    assert isinstance(hybrid, HybridRetriever)
    hybrid.index(data.articles)
    bm25, dense = hybrid.parts
    assert isinstance(dense, DenseRetriever)
    family = families_of(data.articles)
    grid: list[dict[str, Any]] = []
    cuts: list[dict[str, Any]] = []
    for words in QUERY_WORDS:
        cut = dense.reading(dense.query_mode, query_words=words)  # the same index
        read = HybridRetriever([bm25, cut], k0=hybrid.k0, depth=hybrid.depth)
        ranked, timing = timed_search(read, data.dev, DEPTH)
        cuts.append(
            {
                "query_words": words,
                "hybrid_dev": retrieval_metrics(ranked, data.dev),
                "query_cpu_ms": timing.cpu.model_dump(),
            }
        )
        for top in TOPS:
            for weight in WEIGHTS:
                raise_families = FamilyRetriever(hybrid, top=top, weight=weight, family=family)
                raised = [raise_families.rerank(hits) for hits in ranked]
                metrics = retrieval_metrics(raised, data.dev)
                grid.append({"query_words": words, "top": top, "weight": weight, **metrics})
    uncut = [row for row in grid if row["query_words"] is None]
    best = max(uncut, key=lambda row: row["recall@10"])
    at_best = [r for r in grid if (r["top"], r["weight"]) == (best["top"], best["weight"])]
    kept = [r for r in at_best if r["recall@10"] >= best["recall@10"] - CHOICE_TOLERANCE]
    chosen = min(kept, key=lambda r: r["query_words"] or 10**9)
    dev_articles = {a for q in data.dev for a in q.relevant}
    test_labels = [a for q in data.test for a in q.relevant]
    result = {
        "dataset": "bank-help-center",
        "embedder": args.embedder,
        "protocol": "dev scenarios only (the first 30); one hybrid index, every grid point",
        "best": best,
        "query_choice": {"tolerance": CHOICE_TOLERANCE, "chosen": chosen, "at_best": at_best},
        "cuts": cuts,
        "grid": sorted(grid, key=lambda row: -row["recall@10"]),
        "test_labels_seen_in_dev": sum(a in dev_articles for a in test_labels) / len(test_labels),
    }
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "grid"}, indent=2))


if __name__ == "__main__":
    main()
