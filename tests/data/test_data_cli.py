"""`inhouse data check`: a summary table for a good file; every problem and exit 2 for a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.cli import groups, main
from tests.process import run_inhouse

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def only_the_data_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register only `inhouse data`, so these tests do not depend on the other groups."""
    monkeypatch.setattr(groups, "GROUPS", {"data": groups.GROUPS["data"]})


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(["data", "check", *args])
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return int(e.value.code or 0), out, err


def test_good_events_print_rows_users_items_and_time_span(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,item_id,timestamp\n"
        "u1,mug-1,2024-03-01T10:00:00Z\n"
        "u2,mug-2,2024-03-05T10:00:00Z\n"
        "u2,lamp-1,1709373600\n"
    )
    catalog = str(FIXTURES / "catalog_good.csv")
    code, out, err = run(capsys, str(path), "--kind", "events", "--catalog", catalog)
    assert (code, err) == (0, "")
    assert "events, no problems found" in out
    for measure, value in [
        ("rows", "3"),
        ("users", "2"),
        ("items", "3"),
        ("first", "2024-03-01T10:00:00Z"),
        ("last", "2024-03-05T10:00:00Z"),
        ("span_days", "4.0"),
    ]:
        assert any(measure in line and value in line for line in out.splitlines()), measure


def test_bad_file_lists_every_problem_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "events_bad_timestamps.jsonl"
    code, out, err = run(capsys, str(path), "--kind", "events")
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().removeprefix("error: ").splitlines()
    assert [line.split(": ")[0] for line in lines] == [f"{path}:{n}" for n in (2, 3, 4)]
    assert f"{path}:2: timestamp: cannot read timestamp 'yesterday'; use ISO-8601" in err


def test_unknown_items_against_a_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    events, catalog = FIXTURES / "events_unknown_items.csv", FIXTURES / "catalog_good.csv"
    code, _, err = run(capsys, str(events), "--kind", "events", "--catalog", str(catalog))
    assert code == 2
    assert f"{events}:3: item_id: item 'sofa-9' is not in the catalog ({catalog})" in err


def test_catalog_flag_only_for_events(capsys: pytest.CaptureFixture[str]) -> None:
    good = str(FIXTURES / "catalog_good.csv")
    code, _, err = run(capsys, good, "--kind", "catalog", "--catalog", good)
    assert code == 2
    assert "--catalog only applies to --kind events" in err


def test_default_cap_matches_the_library() -> None:
    from inhouse.cli.data import MAX_PROBLEMS
    from inhouse.data import DEFAULT_MAX_PROBLEMS

    assert MAX_PROBLEMS == DEFAULT_MAX_PROBLEMS


def test_the_installed_command_exits_2_without_a_traceback() -> None:
    """End to end through `python -m inhouse`, every command group registered."""
    path = FIXTURES / "catalog_truncated.csv"
    done = run_inhouse("data", "check", str(path), "--kind", "catalog")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{path}:3: a quoted field starts here but the file ends before" in done.stderr
