"""A whole bake-off on tiny company tickets: routers, costs, API rows, report, in ~seconds."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from inhouse.bakeoff.company import split_tickets
from inhouse.bakeoff.prices import load_prices
from inhouse.bakeoff.run import write_bakeoff
from inhouse.bakeoff.workloads import Bakeoff, bakeoff
from inhouse.datasets.types import IntentData
from inhouse.errors import ConfigError
from inhouse.eval.latency import CPU_STATISTIC
from inhouse.eval.results import read_results
from tests.bakeoff.conftest import INTENTS, WORDS


def test_bakeoff_on_company_tickets(tmp_path: Path, intent_data: IntentData, embedder) -> None:
    tickets = pl.concat([intent_data.train, intent_data.test])
    data = split_tickets(tickets, name="acme-tickets")
    run = Bakeoff(
        prices=load_prices(), systems=["logistic"], api_models=["gpt-5-nano", "qwen3-5-flash"]
    )
    result = bakeoff(data, run, embedder=embedder)
    by_kind: dict[str, list] = {}
    for s in result.systems:
        by_kind.setdefault(s.kind, []).append(s)
    (logistic,) = by_kind["in-house"]
    assert logistic.cost_usd_per_1k is not None and logistic.cost_usd_per_1k > 0
    assert (logistic.model_extra or {})["cost_breakdown"]["cpu_basis"] == (
        f"measured: {CPU_STATISTIC}"
    )
    api = by_kind["api-estimate"]
    assert len(api) == 3 * 2  # three prompt styles × two models, no published rows for acme
    assert all(s.metrics.get("accuracy", 0) is None for s in api)
    assert all((s.model_extra or {})["tokens"]["input_mean"] > 0 for s in api)
    assert "embedder" in (result.model_extra or {})["fingerprints"]
    # the accuracy's 95 % bootstrap interval over the test messages, and the load while timed
    low, high = logistic.ci95["accuracy"]
    assert low <= (logistic.metrics["accuracy"] or 0.0) <= high
    assert logistic.test_examples == data.test.height
    assert (logistic.model_extra or {})["timing_load"]["cores"] >= 1

    report = write_bakeoff([result], run, tmp_path / "out")
    back = read_results(tmp_path / "out" / "bakeoff.json")
    assert back[0].systems[0].name == result.systems[0].name
    assert back[0].systems[0].ci95 == logistic.ci95  # the JSON carries the interval
    assert isinstance(json.loads((tmp_path / "out" / "bakeoff.json").read_text()), list)
    assert "acme-tickets" in report.read_text()


def test_bakeoff_command_refuses_both_dataset_and_files(tmp_path: Path) -> None:
    from inhouse.bakeoff.run import run_bakeoff

    run = Bakeoff(prices=load_prices())
    with pytest.raises(ConfigError, match="Can't use --dataset with"):
        run_bakeoff("support", tmp_path, run, dataset="banking77", tickets=tmp_path / "t.csv")
    with pytest.raises(ConfigError, match="not a support dataset"):
        run_bakeoff("support", tmp_path, run, dataset="goodbooks-sample")


def test_bakeoff_on_resolved_tickets(intent_data: IntentData, embedder) -> None:
    from inhouse.datasets.types import ResponseData

    def frame(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(("Answer for " + pl.col("intent")).alias("resolution"))

    data = ResponseData("acme-answers", frame(intent_data.train), frame(intent_data.test), "p")
    run = Bakeoff(prices=load_prices(), systems=["tfidf-knn"], api_models=["gpt-5-nano"])
    result = bakeoff(data, run, embedder=embedder)
    kinds = [s.kind for s in result.systems]
    assert kinds.count("api-estimate") == 1
    api = result.systems[kinds.index("api-estimate")]
    assert (api.model_extra or {})["tokens"]["output_mean"] == 4.0  # "Answer for <intent>"
    measured = [s for s in result.systems if s.kind != "api-estimate"]
    assert measured and all(s.cost_usd_per_1k is not None for s in measured)


def test_bakeoff_on_company_tickets_and_articles(
    tmp_path: Path, intent_data: IntentData, embedder
) -> None:
    """`inhouse bakeoff support --tickets T --articles A`: routing and article search, one
    report; --systems picks from both parts."""
    from inhouse.bakeoff.run import run_bakeoff

    tickets = pl.concat([intent_data.train, intent_data.test]).with_columns(
        ("kb-" + pl.col("intent")).alias("article_id")
    )
    tickets.write_csv(tmp_path / "tickets.csv")
    pl.DataFrame(
        {
            "article_id": [f"kb-{i}" for i in INTENTS],
            "title": INTENTS,
            "body": [WORDS[i] for i in INTENTS],
        }
    ).write_ndjson(tmp_path / "articles.jsonl")
    run = Bakeoff(prices=load_prices(), systems=["logistic", "bm25"], api_models=["gpt-5-nano"])
    results, report = run_bakeoff(
        "support",
        tmp_path / "out",
        run,
        tickets=tmp_path / "tickets.csv",
        articles=tmp_path / "articles.jsonl",
        embedder=embedder,
    )
    assert [r.workload for r in results] == ["support-routing", "support-retrieval"]
    measured = [[s.name for s in r.systems if s.kind != "api-estimate"] for r in results]
    assert measured == [["logistic"], ["bm25"]]
    (bm25,) = [s for s in results[1].systems if s.name == "bm25"]
    assert bm25.metrics["recall@10"] == 1.0  # 4 articles: the right one is always in the top 10
    assert report.is_file() and "articles" in report.read_text()
    assert len(read_results(tmp_path / "out" / "bakeoff.json")) == 2


@pytest.mark.parametrize(
    ("workload", "files", "systems", "expected"),
    [
        ("foo", {}, None, "unknown workload foo; use support or recommend"),
        ("support", {"catalog": "c.csv"}, None, "--catalog: not a flag of the support"),
        ("recommend", {"articles": "a.jsonl"}, None, "--tickets, --articles: not flags of the"),
        ("support", {}, ["foo"], "--systems: unknown support system(s) foo"),
    ],
)
def test_bakeoff_refuses_bad_flags_before_reading_data(
    tmp_path: Path, workload, files, systems, expected
) -> None:
    """The files named do not exist: the flags are refused before anything is read."""
    from inhouse.bakeoff.run import run_bakeoff

    run = Bakeoff(prices=load_prices(), systems=systems)
    paths = {k: tmp_path / v for k, v in {"tickets": "t.csv", **files}.items()}
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        run_bakeoff(workload, tmp_path / "out", run, **paths)
    assert not (tmp_path / "out").exists()


def test_recommend_bakeoff_counts_the_users_the_tie_rule_decided(tmp_path: Path) -> None:
    from inhouse.bakeoff.company import load_events
    from tests.bakeoff.test_company import _tied_files

    data = load_events(*_tied_files(tmp_path, shuffle_seed=3))
    run = Bakeoff(prices=load_prices(), systems=["popularity"], api_models=["gpt-5-nano"])
    result = bakeoff(data, run)
    extra = result.model_extra or {}
    assert extra["equal_timestamps"]["users"] == 30 and extra["equal_timestamps"]["held_out"] == 30
    note = extra["assumptions"]["equal timestamps"]
    assert note.startswith("30 of 30 users have events at the same timestamp")
    report = write_bakeoff([result], run, tmp_path / "out")
    assert "30 of 30 users have events at the same timestamp" in report.read_text()
