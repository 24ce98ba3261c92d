"""Every recommender on one dataset, in one run: baselines, off-the-shelf, in-house, blend.

Systems with a grid (baselines, ease, als) are tuned on validation with the bench's grids; the
neural ones run with their defaults. Every system is fitted once on `train_events` (validation
metrics, and the validation scores the blend weights are learned from) and once on train +
valid, then scored on the test rows exactly once. The blend re-uses those fits.

    INHOUSE_DATA_DIR=../shared/datasets python benchmarks/recommend_models.py \
        --dataset amazon-scientific --out results/recommend-models-amazon-scientific.json

`--embedder NAME` runs the text systems (offshelf-text, text-tuned) on a registered embedder;
their rows and the blend's are named with its tag (`offshelf-text@mpnet`, `blend@mpnet`), and
`--add` puts those rows into --out beside the ones there.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from rich.console import Console
from rich.table import Table

from inhouse.datasets import load
from inhouse.datasets.types import RecommendData
from inhouse.eval.ranking import METRICS
from inhouse.eval.results import BenchResult, SystemResult, add_results, write_results
from inhouse.models.embedder import DEFAULT_EMBEDDER, encoder_tag
from inhouse.recommend.base import BaseRecommender
from inhouse.recommend.blend import Blend, learn_weights, standardise
from inhouse.recommend.evaluate import LATENCY_USERS, measure_latency, tune
from inhouse.recommend.metrics import evaluate
from inhouse.recommend.registry import make, param_grid

TUNED = ["popularity", "recent-popularity", "cooc", "tfidf", "offshelf-text", "als", "ease"]
IN_HOUSE: dict[str, dict[str, Any]] = {"two-tower": {"seeds": 2}, "sasrec": {}, "text-tuned": {}}
BLEND_OF = [
    "cooc",
    "offshelf-text",
    "two-tower",
    "ease",
    "sasrec",
    "text-tuned",
    "tfidf",
    "als",
    "recent-popularity",
]


def timed_fit(name: str, params: dict[str, Any], events: pl.DataFrame, data: RecommendData):
    model = make(name, **params)
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(events, data.catalog)
    return model, time.perf_counter() - wall, time.process_time() - cpu


def latency(model: BaseRecommender, data: RecommendData) -> dict[str, Any]:
    """`for_user` as served (saved, loaded, explanations on) for the first 1,000 test users:
    wall-clock and serving-thread CPU milliseconds (the bench's `measure_latency`)."""
    users = [c.user_id for c in data.test][:LATENCY_USERS]
    with tempfile.TemporaryDirectory(prefix="inhouse-bench-") as tmp:
        model.save(Path(tmp))
        return measure_latency(Path(tmp), users).fields()


TEXT_SYSTEMS = ("offshelf-text", "text-tuned")  # the systems `--embedder` changes


def run(
    data: RecommendData,
    in_house: dict[str, dict[str, Any]],
    blend_of: list[str],
    embedder: str = DEFAULT_EMBEDDER,
) -> BenchResult:
    console = Console()
    tag = encoder_tag(embedder)
    fixed = {n: {"embedder": embedder} for n in TEXT_SYSTEMS} if tag else {}
    named = {n: n + tag for n in (*TEXT_SYSTEMS, "blend")}
    all_events = pl.concat([data.train_events, data.valid_events], how="diagonal_relaxed")
    params: dict[str, dict[str, Any]] = {}
    valid: dict[str, dict[str, float | None]] = {}
    for name in TUNED:
        grid = [g | fixed.get(name, {}) for g in param_grid(name)]
        params[name], valid[name], _ = tune(name, data, grid=grid)
        console.print(f"{name}: best on valid {params[name]} ndcg@10={valid[name]['ndcg@10']:.4f}")
    params.update({n: p | fixed.get(n, {}) for n, p in in_house.items()})

    # validation metrics of the untuned systems and score matrices (fit on train) for the blend:
    # rows with a target left once the history is excluded (a basket may have several)
    ref = make("popularity")
    ref.fit(data.train_events, data.catalog)
    seen = [ref.items.encode(c.history)[0] for c in data.valid]
    wanted = [
        np.array(sorted({ref.items.index[t] for t in c.targets if t in ref.items} - set(s)))
        for c, s in zip(data.valid, seen, strict=True)
    ]
    keep = [i for i, t in enumerate(wanted) if len(t)]
    valid_hist = [data.valid[i].history for i in keep]
    valid_scores: dict[str, np.ndarray] = {}  # standardised, float16 (half the memory), `keep` rows
    fit_valid: dict[str, float] = {}
    for name in dict.fromkeys([*in_house, *blend_of]):
        model, wall, cpu = timed_fit(name, params[name], data.train_events, data)
        if name not in valid:
            valid[name] = evaluate(model, data.valid)
        fit_valid[name] = wall
        if name in blend_of:
            valid_scores[name] = standardise(model.score(valid_hist)).astype(np.float16)
        console.print(f"{name}: valid ndcg@10={valid[name]['ndcg@10']:.4f} (fit {wall:.0f} s)")
        del model
    weights, blend_valid = learn_weights(
        [valid_scores.pop(n) for n in blend_of],
        [seen[i] for i in keep],
        [wanted[i] for i in keep],
        rounds=2,
        standardised=True,
    )
    console.print(
        f"blend weights {dict(zip(blend_of, weights, strict=True))} valid {blend_valid:.4f}"
    )

    # re-fit on train + valid, score test once
    rows: list[SystemResult] = []
    fitted: dict[str, BaseRecommender] = {}
    for name in dict.fromkeys(TUNED + list(in_house)):
        model, wall, cpu = timed_fit(name, params[name], all_events, data)
        fitted[name] = model
        test = evaluate(model, data.test)
        rows.append(
            SystemResult(
                name=named.get(name, name),
                kind=model.kind,
                metrics=test,
                fit_seconds=round(wall, 2),
                **latency(model, data),
                fit_cpu_seconds=round(cpu, 2),
                parameters=params[name],
                valid_metrics=valid[name],
                train_log=getattr(model, "train_log", None),
            )
        )
        console.print(f"{name}: test {test} (fit {wall:.0f} s wall, {cpu:.0f} s cpu)")
    blend = Blend.from_fitted([fitted[n] for n in blend_of], weights)
    rows.append(
        SystemResult(
            name=named["blend"],
            kind="in-house",
            metrics=evaluate(blend, data.test),
            fit_seconds=round(sum(r.fit_seconds or 0 for r in rows if r.name in blend_of), 2),
            **latency(blend, data),
            parameters={"systems": blend_of, "weights": weights},
            valid_metrics={"ndcg@10": blend_valid},
            fit_seconds_on_train=fit_valid,
        )
    )
    return BenchResult(
        workload="recommend",
        dataset=data.name,
        protocol=data.protocol,
        primary_metric="ndcg@10",
        systems=rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--params", default="{}", help='JSON per system, e.g. {"sasrec": {...}}')
    parser.add_argument(
        "--in-house", default=",".join(IN_HOUSE), help="in-house systems, comma-separated"
    )
    parser.add_argument("--blend-of", default=",".join(BLEND_OF), help="systems blended")
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER, help="for the text systems")
    parser.add_argument("--add", action="store_true", help="add the tagged rows to --out's")
    args = parser.parse_args()
    start = time.perf_counter()
    extra = json.loads(args.params)
    in_house = {k: IN_HOUSE.get(k, {}) | extra.get(k, {}) for k in args.in_house.split(",") if k}
    result = run(load(args.dataset), in_house, args.blend_of.split(","), args.embedder)
    if args.add:  # only the rows the embedder changed
        tag = encoder_tag(args.embedder)
        kept = [s for s in result.systems if tag and s.name.endswith(tag)]
        add_results(result.model_copy(update={"systems": kept}), args.out)
    else:
        write_results(result, args.out)
    table = Table(title=f"{args.dataset} (test, full ranking)")
    for col in ["system", "kind", *METRICS, "fit s"]:
        table.add_column(col)
    for s in result.systems:
        table.add_row(
            s.name,
            s.kind,
            *[f"{s.metrics[m]:.4f}" if s.metrics.get(m) is not None else "-" for m in METRICS],
            f"{s.fit_seconds:.0f}",
        )
    Console().print(table)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s, max RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
