"""`inhouse bakeoff support|recommend`: each workload's own help, systems and flags."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from inhouse.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out, out.err


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")


def test_support_help_lists_its_systems_and_only_its_flags(capsys) -> None:
    from inhouse.support.retrieve.registry import SYSTEMS as RETRIEVERS
    from inhouse.support.route.registry import SYSTEMS as ROUTERS

    code, out, _ = _run(capsys, "bakeoff", "support", "--help")
    assert code == 0
    assert all(name in out for name in [*ROUTERS, *RETRIEVERS])
    assert "--tickets" in out and "--test-tickets" in out and "--articles" in out
    assert "--catalog" not in out and "--events" not in out and "banking77" in out
    assert "goodbooks-sample" not in out


def test_recommend_help_lists_its_systems_and_only_its_flags(capsys) -> None:
    from inhouse.recommend.registry import SYSTEMS

    code, out, _ = _run(capsys, "bakeoff", "recommend", "--help")
    assert code == 0
    assert all(name in out for name in SYSTEMS)
    assert "--catalog" in out and "--events" in out and "--test-events" in out
    assert "--tickets" not in out and "banking77" not in out and "goodbooks-sample" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("support", "--test-events", "e.csv"), "--test-events: not a flag of the support"),
        (("recommend", "--test-tickets", "t.csv"), "--test-tickets: not a flag of the recommend"),
        (("recommend", "--test-events", "e.csv"), "--test-events is a test split of your own"),
        (("support", "--test-tickets", "t.csv"), "--test-tickets is a test split of your own"),
    ],
)
def test_test_split_flags_are_checked_before_data(capsys, tmp_path: Path, args, expected) -> None:
    code, _, err = _run(capsys, "bakeoff", *args, "--out", str(tmp_path / "out"))
    assert code == 2 and expected in " ".join(err.split()), err
    assert not (tmp_path / "out").exists()


def test_results_print_as_rows_and_the_headline_or_as_json(capsys) -> None:
    from inhouse.bakeoff.headline import headline
    from inhouse.cli.bench import show
    from tests.bakeoff.conftest import synthetic

    result = synthetic()
    show([result], as_json=False)
    lines = capsys.readouterr().out.splitlines()  # off a terminal: tab-separated rows
    assert lines[0].split("\t") == ["system", "kind", "accuracy", "$ per 1k", "p50 ms"]
    assert len(lines) == 1 + len(result.systems) + 1 and lines[-1] == headline(result)
    assert not re.search(r"\de-\d", "".join(lines[1:-1]))  # plain decimals
    show([result], as_json=True)
    (back,) = json.loads(capsys.readouterr().out)  # stdout is the JSON alone
    assert back["workload"] == result.workload and len(back["systems"]) == len(result.systems)
