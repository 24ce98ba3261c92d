"""`inhouse recommend fit` and `for-user` end to end on checkerboard files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from inhouse.cli import main

from . import checkerboard as cb


class Result:
    def __init__(self, exit_code: int, output: str) -> None:
        self.exit_code, self.output = exit_code, output


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def invoke(args: list[str]) -> Result:
        try:
            main(args)
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
        out = capsys.readouterr()
        return Result(code, out.out + out.err)

    return invoke


def _files(tmp_path: Path) -> tuple[Path, Path]:
    catalog, events = tmp_path / "catalog.csv", tmp_path / "events.csv"
    cb.catalog().drop("tags").write_csv(catalog)
    ev = cb.events()
    ghost = ev.head(1).with_columns(pl.lit("ghost").alias("item_id"))
    pl.concat([ev, ev.head(2), ghost]).write_csv(events)
    return catalog, events


def test_fit_then_recommend_for_user_and_session(tmp_path: Path, run) -> None:
    catalog, events = _files(tmp_path)
    out = tmp_path / "rec"
    args = ["recommend", "fit", "--catalog", str(catalog), "--events", str(events)]
    result = run([*args, "--system", "cooc", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "dropped 1 events (unknown items)" in result.output
    assert "dropped 2 events (duplicates)" in result.output
    assert (out / "current").read_text().strip() == "v0001"

    result = run(["recommend", "for-user", str(out), "--user", "A0", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "orchard" in result.output and "ocean" not in result.output  # group-A titles
    assert "fallback" not in result.output

    result = run(["recommend", "for-user", str(out), "--user", "nobody", "-k", "3"])
    assert result.exit_code == 0 and "popularity fallback" in result.output

    result = run(["recommend", "for-user", str(out), "--items", "b0,zzz", "-k", "2"])
    assert result.exit_code == 0 and "zzz" in result.output and "sea" in result.output


def test_bad_requests_exit_2_with_a_message(tmp_path: Path, run) -> None:
    catalog, events = _files(tmp_path)
    args = ["recommend", "fit", "--catalog", str(catalog), "--events", str(events)]
    result = run([*args, "--system", "nope", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "unknown recommender 'nope'" in result.output
    assert not (tmp_path / "r").exists()
    result = run(["recommend", "for-user", str(tmp_path / "r"), "--user", "A0"])
    assert result.exit_code == 2 and "no saved recommender" in result.output
    result = run(["recommend", "for-user", str(tmp_path)])
    assert result.exit_code == 2 and "--user" in result.output


def test_fit_help_names_every_registered_system(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from inhouse.recommend.registry import SYSTEMS

    monkeypatch.setenv("COLUMNS", "400")
    out = " ".join(run(["recommend", "fit", "--help"]).output.split())
    assert all(name in out for name in SYSTEMS), out


def test_for_user_as_json_and_as_tab_separated_rows(tmp_path: Path, capsys) -> None:
    import json

    catalog, events = _files(tmp_path)
    out = tmp_path / "rec"
    fit = ["recommend", "fit", "--catalog", str(catalog), "--events", str(events)]

    def stdout(args: list[str]) -> str:
        capsys.readouterr()
        with pytest.raises(SystemExit) as e:
            main(args)
        assert e.value.code == 0
        return capsys.readouterr().out

    fitted = json.loads(stdout([*fit, "--system", "cooc", "--out", str(out), "--json"]))
    assert fitted["system"] == "cooc" and fitted["folder"] == str(out / "v0001")
    assert fitted["report"]["dropped_unknown_items"] == 1
    response = json.loads(
        stdout(["recommend", "for-user", str(out), "--user", "A0", "-k", "2", "--json"])
    )
    assert response["user_id"] == "A0" and response["system"] == "cooc"
    assert len(response["items"]) == 2 and not response["fallback"]
    assert all(i["item_id"].startswith("a") for i in response["items"])  # group A's items
    tsv = stdout(["recommend", "for-user", str(out), "--user", "A0", "-k", "2"])
    header, *rows = tsv.splitlines()  # not a terminal: TSV
    assert header.split("\t") == ["#", "item", "title", "score", "because of"]
    assert [r.split("\t")[1] for r in rows] == [i["item_id"] for i in response["items"]]
