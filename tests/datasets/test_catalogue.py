"""The dataset records, the data-directory resolution order, and the pinned sha256 of real files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from inhouse.datasets import CATALOGUE, resolve_dir
from inhouse.datasets.checksums import dumps, mismatches
from inhouse.errors import DatasetError

README_NAMES = [
    "amazon-scientific",
    "goodbooks-sample",
    "online-retail",
    "banking77",
    "clinc150",
    "bank-help-center",
    "bitext-support",
]
PINNED_RAW = re.compile(r"^https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/")


def test_catalogue_holds_the_seven_readme_datasets() -> None:
    assert CATALOGUE.names() == README_NAMES
    workloads = {r.name: r.workload for r in CATALOGUE}
    assert [n for n, w in workloads.items() if w == "recommend"] == README_NAMES[:3]


@pytest.mark.parametrize("name", README_NAMES)
def test_every_file_is_pinned_and_downloadable(name: str) -> None:
    record = CATALOGUE[name]
    assert record.files, f"{name}: no files in files.json"
    assert all(PINNED_RAW.match(url) for url in record.urls.values())
    downloadable = {f.path for f, _ in record.download_files()}
    assert downloadable | set(record.converted) == {f.path for f in record.files}
    assert set(record.required_paths()) <= {f.path for f in record.files}
    assert callable(record.loader_function())


def test_folder_urls_are_quoted_per_file() -> None:
    urls = dict((f.path, url) for f, url in CATALOGUE["bank-help-center"].download_files())
    assert len(urls) == 699
    doc = "documents/doc_bank_accounts_bank_accounts_(general)_001.json"
    assert urls[doc].endswith(
        "/banking_knowledge/documents/doc_bank_accounts_bank_accounts_%28general%29_001.json"
    )


def test_unknown_dataset_lists_the_known_ones() -> None:
    with pytest.raises(DatasetError, match="unknown dataset 'movielens'; known datasets: amazon"):
        resolve_dir("movielens")


def _fake_data_dir(root: Path, name: str = "clinc150") -> Path:
    for path in CATALOGUE[name].required_paths():
        (root / name / path).parent.mkdir(parents=True, exist_ok=True)
        (root / name / path).write_text("{}")
    return root


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("INHOUSE_DATA_DIR", raising=False)
    monkeypatch.setenv("INHOUSE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("INHOUSE_CACHE_DIR", str(tmp_path / "cache"))
    return monkeypatch


def test_explicit_data_dir_wins_over_the_environment(tmp_path: Path, env) -> None:
    flag = _fake_data_dir(tmp_path / "flag")
    env.setenv("INHOUSE_DATA_DIR", str(_fake_data_dir(tmp_path / "env")))
    assert resolve_dir("clinc150", flag) == flag / "clinc150"


def test_environment_wins_over_the_cache(tmp_path: Path, env) -> None:
    env.setenv("INHOUSE_DATA_DIR", str(_fake_data_dir(tmp_path / "env")))
    assert resolve_dir("clinc150") == tmp_path / "env" / "clinc150"


def test_inhouse_toml_data_dir_is_used(tmp_path: Path, env) -> None:
    root = _fake_data_dir(tmp_path / "toml")
    config = tmp_path / "inhouse.toml"
    config.write_text(f'data_dir = "{root}"\n')
    env.setenv("INHOUSE_CONFIG", str(config))
    assert resolve_dir("clinc150") == root / "clinc150"


def test_without_a_data_dir_the_cache_is_used(tmp_path: Path, env) -> None:
    assert resolve_dir("clinc150", download=False) == tmp_path / "cache" / "datasets" / "clinc150"


def test_incomplete_data_dir_names_the_missing_file_and_the_fix(tmp_path: Path, env) -> None:
    (tmp_path / "flag" / "banking77").mkdir(parents=True)
    (tmp_path / "flag" / "banking77" / "train.csv").write_text("text,category\n")
    with pytest.raises(DatasetError) as e:
        resolve_dir("banking77", tmp_path / "flag")
    message = str(e.value)
    assert "missing test.csv, categories.json" in message and "--data-dir" in message
    env.setenv("INHOUSE_DATA_DIR", str(tmp_path / "flag"))
    with pytest.raises(DatasetError, match="Point INHOUSE_DATA_DIR at"):
        resolve_dir("banking77")


def test_files_json_is_what_the_generator_writes() -> None:
    import json

    from inhouse.datasets.catalogue import FILES_FILE

    text = FILES_FILE.read_text(encoding="utf-8")
    assert dumps(json.loads(text)) == text


@pytest.mark.skipif(not os.environ.get("INHOUSE_DATA_DIR"), reason="INHOUSE_DATA_DIR is not set")
@pytest.mark.parametrize("name", README_NAMES)
def test_real_files_match_their_sha256(name: str) -> None:
    folder = Path(os.environ["INHOUSE_DATA_DIR"]) / name
    assert mismatches(CATALOGUE[name], folder) == []


def test_a_changed_file_is_reported(tmp_path: Path) -> None:
    record = CATALOGUE["clinc150"]
    _fake_data_dir(tmp_path)
    assert mismatches(record, tmp_path / "clinc150") == [
        f"{tmp_path}/clinc150/data_full.json: sha256 differs from the catalogue's "
        f"{record.files[0].sha256[:12]}…"
    ]
    (tmp_path / "clinc150" / "data_full.json").unlink()
    assert mismatches(record, tmp_path / "clinc150") == [
        f"{tmp_path}/clinc150/data_full.json: missing"
    ]
