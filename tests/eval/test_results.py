"""The bench result contract: round trip, validation, and atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from inhouse.errors import InhouseError
from inhouse.eval.results import (
    BenchResult,
    SystemResult,
    add_results,
    read_results,
    tag_rows,
    write_results,
)


def _result() -> BenchResult:
    return BenchResult(
        workload="recommend",
        dataset="amazon-scientific",
        protocol="leave-one-out, full ranking, history excluded",
        primary_metric="ndcg@10",
        systems=[
            SystemResult(
                name="popularity",
                kind="baseline",
                metrics={"recall@10": 0.0315, "ndcg@10": 0.0180},
                fit_seconds=0.4,
                latency_ms={"p50": 0.2, "p95": 0.3, "p99": 0.5},
                cost_usd_per_1k=0.000001,
            ),
            SystemResult(name="cooc", kind="baseline", metrics={"ndcg@10": 0.0935}),
            SystemResult(name="gpt-rerank", kind="api-estimate", metrics={"ndcg@10": None}),
        ],
    )


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    path = tmp_path / "out" / "bench.json"
    write_results(_result(), path)
    raw = json.loads(path.read_text())
    assert raw["systems"][0]["latency_ms"] == {"p50": 0.2, "p95": 0.3, "p99": 0.5}
    assert raw["machine"]["cpus"] >= 1
    [back] = read_results(path)
    assert back == _result().model_copy(update={"machine": back.machine})


def test_best_ignores_unmeasured_rows() -> None:
    best = _result().best("baseline")
    assert best is not None and best.name == "cooc"
    assert _result().best("api-estimate") is None


def test_percentages_are_rejected() -> None:
    with pytest.raises(ValidationError, match="not a fraction"):
        SystemResult(name="x", kind="baseline", metrics={"accuracy": 93.7})


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValidationError):
        SystemResult(name="x", kind="magic", metrics={})  # type: ignore[arg-type]


def test_reading_a_bad_file_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"workload": "recommend"}')
    with pytest.raises(InhouseError, match="bad.json: not a bench result file"):
        read_results(bad)
    with pytest.raises(InhouseError, match="no such file"):
        read_results(tmp_path / "missing.json")


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bench.json"
    write_results(_result(), path)
    before = path.read_bytes()

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("inhouse.files.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_results([_result(), _result()], path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]


def test_metrics_with_a_unit_are_measures_the_rest_fractions() -> None:
    import pytest

    from inhouse.eval.results import SystemResult, is_measure

    assert is_measure("p99_ms") and is_measure("req_per_s") and is_measure("errors")
    assert not is_measure("accuracy") and not is_measure("rss_growth")
    row = {"name": "s", "kind": "in-house"}
    assert SystemResult.model_validate(row | {"metrics": {"req_per_s": 512.0}}).metrics
    with pytest.raises(ValueError, match="not a fraction"):
        SystemResult.model_validate(row | {"metrics": {"accuracy": 93.6}})


def test_add_results_replaces_rows_of_the_same_name_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    write_results(_result(), path)
    new = _result().model_copy(
        update={
            "systems": [
                SystemResult(name="cooc", kind="baseline", metrics={"ndcg@10": 0.1}),
                SystemResult(name="offshelf-text@mpnet", kind="off-the-shelf", metrics={}),
            ]
        }
    )
    add_results(new, path)
    (back,) = read_results(path)
    assert [s.name for s in back.systems] == [
        "popularity",
        "gpt-rerank",
        "cooc",
        "offshelf-text@mpnet",
    ]
    assert back.systems[2].metrics == {"ndcg@10": 0.1}


def test_add_results_refuses_another_benchs_file_and_leaves_it(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    write_results(_result(), path)
    before = path.read_text()
    with pytest.raises(InhouseError, match="holds recommend on amazon-scientific, not recommend"):
        add_results(_result().model_copy(update={"dataset": "goodbooks"}), path)
    assert path.read_text() == before
    add_results(_result(), tmp_path / "new.json")  # no file yet: written as it is
    assert len(read_results(tmp_path / "new.json")[0].systems) == 3


def test_tag_rows_names_only_the_rows_that_record_an_encoder() -> None:
    result = _result().model_copy(
        update={
            "systems": [
                SystemResult(name="bm25", kind="baseline", metrics={}),
                SystemResult(name="dense", kind="off-the-shelf", metrics={}, encoder={"n": 1}),
            ]
        }
    )
    assert [s.name for s in tag_rows(result, "@mpnet").systems] == ["bm25", "dense@mpnet"]
    assert [s.name for s in tag_rows(result, "").systems] == ["bm25", "dense"]
