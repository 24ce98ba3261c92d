"""`inhouse datasets list / info` on a tiny data folder: presence, split sizes, errors exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

import inhouse.cli.datasets as cli_datasets
from inhouse.cli import main


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("INHOUSE_DATA_DIR", raising=False)
    monkeypatch.setenv("INHOUSE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("INHOUSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cli_datasets, "console", Console(width=250))
    full = {
        "train": [["play jazz", "play_music"], ["weather today", "weather"]],
        "val": [["play rock", "play_music"]],
        "test": [["rain tomorrow", "weather"]],
        "oos_train": [["who won", "oos"]],
        "oos_val": [["a secret", "oos"]],
        "oos_test": [["what is love", "oos"]],
    }
    (tmp_path / "data" / "clinc150").mkdir(parents=True)
    (tmp_path / "data" / "clinc150" / "data_full.json").write_text(json.dumps(full))
    return tmp_path / "data"


def _run(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_list_shows_which_datasets_are_present(data_dir: Path, capsys) -> None:
    assert _run("datasets", "list", "--data-dir", str(data_dir)) == 0
    header, *rows = capsys.readouterr().out.splitlines()  # not a terminal: TSV
    assert header.split("\t") == [
        "name",
        "workload",
        "licence",
        "size",
        "present",
        "where",
        "found by",
    ]
    lines = {row.split("\t")[0]: row.split("\t") for row in rows}
    assert len(lines) == 7
    assert lines["clinc150"][2] == "CC-BY-3.0" and lines["clinc150"][4] == "true"
    assert lines["clinc150"][5:] == [f"{data_dir}/clinc150", "--data-dir"]
    assert lines["banking77"][4] == "false"


def test_list_without_a_data_dir_points_at_the_cache(data_dir: Path, capsys) -> None:
    assert _run("datasets", "list") == 0
    out = capsys.readouterr().out
    assert f"{data_dir.parent}/cache/datasets/clinc150\tcache" in out


def test_info_shows_record_protocol_and_split_sizes(data_dir: Path, capsys) -> None:
    assert _run("datasets", "info", "clinc150", "--data-dir", str(data_dir)) == 0
    out = capsys.readouterr().out
    assert "Larson et al. (2019)" in out and "out-of-scope recall" in out
    assert "intents 2, train 3, valid 2, test 2" in out
    assert "data_full.json" in out and "raw.githubusercontent.com/clinc/oos-eval/" in out


def test_info_verify_reports_a_changed_file_and_exits_2(data_dir: Path, capsys) -> None:
    assert _run("datasets", "info", "clinc150", "--data-dir", str(data_dir), "--verify") == 2
    err = capsys.readouterr().err
    assert "clinc150/data_full.json: sha256 differs" in err and "Traceback" not in err


def test_info_of_an_unknown_dataset_exits_2(data_dir: Path, capsys) -> None:
    assert _run("datasets", "info", "movielens") == 2
    assert "unknown dataset 'movielens'; known datasets:" in capsys.readouterr().err
