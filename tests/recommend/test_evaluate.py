"""The recommend bench end to end on a checkerboard split: tuning, refit, test, latency."""

from __future__ import annotations

import polars as pl
import pytest

from inhouse.datasets.types import RecCase, RecommendData
from inhouse.recommend import evaluate as bench
from inhouse.recommend.cooc import Cooc

from . import checkerboard as cb


def checkerboard_data() -> RecommendData:
    ev = cb.events().with_columns(pl.int_range(pl.len()).over("user_id").alias("pos"))
    seqs = ev.group_by("user_id", maintain_order=True).agg("item_id")
    valid = [RecCase(u, s[:2], [s[2]]) for u, s in seqs.iter_rows()]
    test = [RecCase(u, s[:3], [s[3]]) for u, s in seqs.iter_rows()]
    return RecommendData(
        name="checkerboard",
        catalog=cb.catalog(),
        train_events=ev.filter(pl.col("pos") < 2).drop("pos"),
        valid_events=ev.filter(pl.col("pos") == 2).drop("pos"),
        valid=valid,
        test=test,
        protocol="leave-one-out on the checkerboard",
    )


def test_bench_tunes_on_valid_and_scores_test(monkeypatch: pytest.MonkeyPatch) -> None:
    grid = [{"window": 1, "backward": 0.0}, {"window": 3, "backward": 1.0}]
    monkeypatch.setattr(Cooc, "param_grid", grid)
    monkeypatch.setattr(bench, "LATENCY_USERS", 10)
    result = bench.bench_recommend(checkerboard_data(), ["popularity", "cooc"])
    assert result.primary_metric == "ndcg@10" and result.workload == "recommend"
    rows = {s.name: s for s in result.systems}
    assert set(rows["cooc"].metrics) == {"recall@10", "ndcg@10", "recall@20", "ndcg@20", "mrr@10"}
    assert rows["cooc"].metrics["recall@10"] == 1.0  # the group-A target ranks above all group B
    assert rows["cooc"].metrics["ndcg@10"] > rows["popularity"].metrics["ndcg@10"]  # type: ignore[operator]
    tuning = rows["cooc"].model_extra["tuning"]  # type: ignore[index]
    assert [t["params"] for t in tuning] == grid
    assert rows["cooc"].model_extra["parameters"] in grid  # type: ignore[index]
    assert rows["cooc"].latency_ms is not None and rows["cooc"].latency_ms.p99 > 0
    assert result.best("baseline") is rows["cooc"]


def test_given_parameters_replace_the_grid_and_are_still_scored_on_valid(monkeypatch) -> None:
    monkeypatch.setattr(bench, "LATENCY_USERS", 10)
    given = {"window": 2, "backward": 0.5}
    result = bench.bench_recommend(checkerboard_data(), ["cooc"], {"cooc": given})
    row = result.systems[0]
    assert row.model_extra["parameters"] == given  # type: ignore[index]
    assert [t["params"] for t in row.model_extra["tuning"]] == [given]  # type: ignore[index]
    assert row.model_extra["valid_metrics"]["ndcg@10"] is not None  # type: ignore[index]


def test_a_blend_row_is_refitted_with_its_systems_own_parameters() -> None:
    from inhouse.eval.results import BenchResult, SystemResult

    def row(name: str, kind: str, **params: object) -> SystemResult:
        return SystemResult(name=name, kind=kind, metrics={}, parameters=params)  # type: ignore[arg-type]

    result = BenchResult(
        workload="recommend",
        dataset="d",
        protocol="p",
        primary_metric="ndcg@10",
        systems=[
            row("cooc", "baseline", window=5),
            row("two-tower", "in-house", seeds=2),
            row("blend", "in-house", systems=["cooc", "two-tower"], weights=[1.0, 3.0]),
        ],
    )
    assert bench.row_parameters(result, "blend") == {
        "systems": [
            {"name": "cooc", "params": {"window": 5}},
            {"name": "two-tower", "params": {"seeds": 2}},
        ],
        "weights": [1.0, 3.0],
    }
    assert bench.row_parameters(result, "cooc") == {"window": 5}


def test_a_blend_component_named_alone_takes_the_parameters_its_row_chose() -> None:
    from inhouse.eval.results import SystemResult

    rows = [SystemResult(name="cooc", kind="baseline", metrics={}, parameters={"window": 3})]  # type: ignore[call-arg]
    given = {"systems": [{"name": "cooc"}, {"name": "ease", "params": {"lam": 5.0}}]}
    chosen = bench.chosen_parameters(rows)
    assert bench.with_component_parameters(given, chosen)["systems"] == [
        {"name": "cooc", "params": {"window": 3}},  # chosen on validation by its own row
        {"name": "ease", "params": {"lam": 5.0}},  # given: kept
    ]
    assert bench.with_component_parameters({"systems": [{"name": "tfidf"}]}, chosen)["systems"] == [
        {"name": "tfidf"}  # no row: the blend's defaults
    ]
