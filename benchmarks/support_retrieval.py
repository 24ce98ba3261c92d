"""Help-center retrieval (bank-help-center) or response suggestion (bitext-support) bake-off.

    python benchmarks/support_retrieval.py --dataset bank-help-center --out retrieval.json
    python benchmarks/support_retrieval.py --dataset bitext-support --out responses.json

    python benchmarks/support_retrieval.py --dataset bank-help-center \
        --embedder all-mpnet-base-v2 --systems dense,hybrid,needs-hybrid --add \
        --out benchmarks/results/support-bank-help-center.json

`--embedder NAME` encodes with a registered embedder (rows named `needs-hybrid@mpnet`); `--add`
puts the rows into --out beside the ones there, replacing rows of the same name.
Reads datasets from --data-dir or INHOUSE_DATA_DIR. bank-help-center: systems are indexed on
the articles only (the tuned embedder learns from pseudo-queries made of the articles) and
scored on the 67 test scenarios; dev figures are written beside them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from inhouse.datasets import load
from inhouse.datasets.types import IntentData, ResponseData, RetrievalData
from inhouse.eval.results import add_results, tag_rows, write_results
from inhouse.models.embedder import DEFAULT_EMBEDDER, encoder_tag
from inhouse.models.load import load_named_embedder
from inhouse.support.answer.evaluate import RESPONSE_SYSTEMS, bench_responses
from inhouse.support.retrieve.evaluate import RETRIEVAL_SYSTEMS, bench_retrieval


def calibrate(data: RetrievalData, data_dir: Path | None) -> dict[str, float | str]:
    """The evidence threshold of `ask`, chosen on dev scenarios against CLINC150 val OOS."""
    from inhouse.support.answer.answerer import Answerer, calibrate_min_evidence
    from inhouse.support.retrieve.registry import make_retriever

    clinc = load("clinc150", data_dir)
    assert isinstance(clinc, IntentData) and clinc.oos_label, "clinc150 has an oos label"
    oos = clinc.valid.filter(clinc.valid["intent"] == clinc.oos_label)["text"].to_list()
    retriever = make_retriever("hybrid")
    retriever.index(data.articles)
    found = calibrate_min_evidence(Answerer(retriever), [q.text for q in data.dev], oos)
    return {**found, "in_scope": "bank-help-center dev", "out_of_scope": "clinc150 valid oos"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["bank-help-center", "bitext-support"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--systems", default=None, help="comma-separated; default all")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="also choose ask()'s escalation threshold: bank-help-center dev scenarios (in "
        "scope) against CLINC150 out-of-scope validation queries, with the hybrid index",
    )
    parser.add_argument(
        "--tuned-embedder",
        type=Path,
        default=None,
        help="a model already fine-tuned on these articles (e.g. the `embedder/` folder of a "
        "tuned-hybrid index) instead of tuning again",
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER, help="a registered embedder")
    parser.add_argument("--add", action="store_true", help="add the rows to --out's rows")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    systems = args.systems.split(",") if args.systems else None
    data = load(args.dataset, args.data_dir)
    start = time.perf_counter()
    if isinstance(data, RetrievalData):
        tuned = None
        if args.tuned_embedder is not None:
            from inhouse.models.load import load_embedder

            tuned = load_embedder(args.tuned_embedder, name="all-MiniLM-L6-v2-tuned")
        embedder = load_named_embedder(args.embedder)
        result = bench_retrieval(
            data, systems or RETRIEVAL_SYSTEMS, embedder=embedder, tuned_embedder=tuned
        )
    else:
        assert isinstance(data, ResponseData), f"{args.dataset}: unexpected dataset shape"
        result = bench_responses(data, systems or RESPONSE_SYSTEMS)
    if args.calibrate and isinstance(data, RetrievalData):
        result.escalation = calibrate(data, args.data_dir)  # type: ignore[attr-defined]
        print(f"escalation: {result.escalation}")  # type: ignore[attr-defined]
    result = tag_rows(result, encoder_tag(args.embedder))
    (add_results if args.add else write_results)(result, args.out)
    for row in result.systems:
        shown = {k: round(v, 4) for k, v in row.metrics.items() if v is not None}
        print(
            f"{row.name:14s} {row.kind:14s} {shown} fit {row.fit_seconds}s p50 "
            f"{row.latency_ms.p50 if row.latency_ms else None:.1f} ms"
        )
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
