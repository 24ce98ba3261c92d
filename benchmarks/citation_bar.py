"""The citation relevance bar of `ask`: chosen on bank-help-center dev, scored on test.

    python benchmarks/citation_bar.py --out benchmarks/results/citation-bar-bank-help-center.json

Indexes the articles with the default `hybrid` system, takes each scenario's evidence (the
best passage of each of the answer's 3 articles, `Answerer.evidence`), chooses the bar on the
30 dev scenarios (`calibrate_citation_bar`) and reports, on the 67 test scenarios, citation
precision and required-article recall among the citations without and with it, and a few
other bars (`sweep`) on both splits to show the trade-off.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from pathlib import Path

from inhouse.datasets import load
from inhouse.datasets.types import RetrievalData
from inhouse.eval.latency import machine_load
from inhouse.eval.results import BenchResult, SystemResult, write_results
from inhouse.support.answer.answerer import (
    NO_BAR,
    Answerer,
    CitationBar,
    calibrate_citation_bar,
    citation_figures,
)
from inhouse.support.retrieve.registry import make_retriever


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    start, load_before = time.perf_counter(), machine_load()
    data = load("bank-help-center", args.data_dir)
    assert isinstance(data, RetrievalData), "bank-help-center is a retrieval dataset"
    retriever = make_retriever("hybrid")
    retriever.index(data.articles)
    answerer = Answerer(retriever)
    dev = [answerer.evidence(q.text) for q in data.dev]
    test = [answerer.evidence(q.text) for q in data.test]
    dev_required = [q.relevant for q in data.dev]
    test_required = [q.relevant for q in data.test]
    bar, _ = calibrate_citation_bar(dev, dev_required)
    rows = []
    for name, used in (("no-bar", NO_BAR), ("relevance-bar", bar)):
        test_figures = citation_figures(test, test_required, used)
        dev_figures = citation_figures(dev, dev_required, used)
        per_answer = ("citations_per_answer",)
        rows.append(
            SystemResult(
                name=name,
                kind="off-the-shelf",
                metrics={k: v for k, v in test_figures.items() if k not in per_answer},
                citations_per_answer=test_figures["citations_per_answer"],
                dev_metrics=dev_figures,
                bar=asdict(used),
            )
        )
    result = BenchResult(
        workload="support-citations",
        dataset=data.name,
        protocol="citations of `ask` (hybrid index, 3 articles, best passage each) against "
        "each scenario's required_documents; bar chosen on the 30 dev scenarios, figures on "
        "the 67 test scenarios",
        primary_metric="citation_precision",
        systems=rows,
    )
    result.chosen_bar = {"floor": bar.floor, "margin": bar.margin}
    # the trade-off around the choice, for the record (not used to choose)
    result.sweep = [
        {
            "floor": other.floor,
            "margin": other.margin,
            "dev": citation_figures(dev, dev_required, other),
            "test": citation_figures(test, test_required, other),
        }
        for other in (
            *(CitationBar(NO_BAR.floor, m) for m in (0.05, 0.1, 0.15, 0.2)),
            *(CitationBar(f, NO_BAR.margin) for f in (0.45, 0.5, 0.55, 0.6)),
        )
    ]
    result.load = machine_load(load_before["load_1min"] if load_before else None)
    write_results(result, args.out)
    for row in rows:
        print(f"{row.name:14s} test {row.metrics} dev {row.dev_metrics}")
    print(f"bar: {bar}; wrote {args.out} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
