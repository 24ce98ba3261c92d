"""The dev-only choice of `family-hybrid`'s two parameters on bank-help-center.

    python benchmarks/family_grid.py --embedder all-mpnet-base-v2-onnx-int8 \
        --out benchmarks/results/family-grid-bank-help-center.json

Indexes the articles once with the hybrid, ranks the 30 dev scenarios, and scores every
(top, weight) pair of the grid on dev alone: recall@10, recall@20 and MRR of
`FamilyRetriever` over that one ranking. Test scenarios are not read. The registry's
`FAMILY_TOP` and `FAMILY_WEIGHT` are the pair with the best dev recall@10. Also writes the
share of test's required articles that appear in some dev scenario, which says why nothing
learned from dev's articles themselves could carry over. Reads INHOUSE_DATA_DIR.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from inhouse.datasets import load
from inhouse.datasets.types import RetrievalData
from inhouse.eval.retrieval import retrieval_metrics
from inhouse.files import atomic_write_text
from inhouse.models.load import load_named_embedder
from inhouse.support.retrieve.family import DEPTH, FamilyRetriever, families_of
from inhouse.support.retrieve.registry import make_retriever

TOPS = (1, 2, 3, 5, 10)
WEIGHTS = (0.2, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default="all-mpnet-base-v2-onnx-int8")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    data = load("bank-help-center")
    assert isinstance(data, RetrievalData)
    hybrid = make_retriever("hybrid", load_named_embedder(args.embedder))
    hybrid.index(data.articles)
    ranked = hybrid.search([q.text for q in data.dev], k=DEPTH)
    family = families_of(data.articles)
    grid = []
    for top in TOPS:
        for weight in WEIGHTS:
            raise_families = FamilyRetriever(hybrid, top=top, weight=weight, family=family)
            raised = [raise_families.rerank(hits) for hits in ranked]
            grid.append({"top": top, "weight": weight, **retrieval_metrics(raised, data.dev)})
    grid.sort(key=lambda row: -row["recall@10"])
    dev_articles = {a for q in data.dev for a in q.relevant}
    test_labels = [a for q in data.test for a in q.relevant]
    result = {
        "dataset": "bank-help-center",
        "embedder": args.embedder,
        "protocol": "dev scenarios only (the first 30); one hybrid ranking, every grid point",
        "hybrid_dev": retrieval_metrics(ranked, data.dev),
        "best": grid[0],
        "grid": grid,
        "test_labels_seen_in_dev": sum(a in dev_articles for a in test_labels) / len(test_labels),
    }
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "grid"}, indent=2))


if __name__ == "__main__":
    main()
