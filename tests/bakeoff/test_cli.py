"""`inhouse demo`, `inhouse bakeoff` and `inhouse bench`: user errors exit 2 with a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as e:
        main(argv)
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out + out.err


def test_demo_without_data_says_what_to_do(tmp_path: Path, capsys) -> None:
    code, text = _run(["demo", "--out", str(tmp_path / "o"), "--data-dir", str(tmp_path)], capsys)
    assert code == 2
    assert "banking77" in text and "INHOUSE_DATA_DIR" in text and "datasets download" in text
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_bench_rejects_a_dataset_of_the_other_workload(tmp_path: Path, capsys) -> None:
    code, text = _run(
        ["bench", "support", "--dataset", "goodbooks-sample", "--out", str(tmp_path / "x.json")],
        capsys,
    )
    assert code == 2 and "not a support dataset" in text


def test_bad_price_file_exits_2_with_file_and_line(tmp_path: Path, capsys) -> None:
    prices = tmp_path / "p.toml"
    prices.write_text("[models.gpt-4o]\ninput = -1\n")
    code, text = _run(
        [
            "bakeoff",
            "support",
            "--tickets",
            "t.csv",
            "--out",
            str(tmp_path),
            "--prices",
            str(prices),
        ],
        capsys,
    )
    assert code == 2 and f"{prices}:2: models.gpt-4o.input" in text.replace("\n", "")
