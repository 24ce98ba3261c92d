"""Results for scripts: tab-separated rows off a terminal, JSON with --json, a table on one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inhouse.cli import main, output

ROWS = [
    {"name": "a", "ok": True, "path": "/a very/long path", "note": None},
    {"name": "b\tc", "ok": False, "path": "x\ny", "note": "n"},
]


def test_off_a_terminal_rows_are_tab_separated_one_line_each(capsys) -> None:
    output.emit(ROWS, "t")
    assert capsys.readouterr().out.splitlines() == [
        "name\tok\tpath\tnote",
        "a\ttrue\t/a very/long path\t",
        "b c\tfalse\tx y\tn",  # a tab or newline inside a value never splits a row
    ]


def test_json_is_the_rows(capsys) -> None:
    output.emit(ROWS, "t", as_json=True)
    assert json.loads(capsys.readouterr().out) == ROWS


def test_on_a_terminal_a_table(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output.console, "_force_terminal", True)
    output.emit(ROWS[:1], "Models")
    text = capsys.readouterr().out
    assert "Models" in text and ("┃" in text or "│" in text)


def test_models_list_in_a_pipe_is_plain_rows(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("INHOUSE_REGISTRY", str(tmp_path / "models.json"))
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as e:
        main(["models", "list"])
    assert e.value.code == 0
    header, *rows = capsys.readouterr().out.splitlines()
    columns = ["name", "format", "task", "size", "status", "catalogue", "source", "path"]
    assert header.split("\t") == columns
    assert rows  # the default embedder registers itself
    for row in rows:  # never a squeezed cell
        cells = row.split("\t")
        assert len(cells) == 8 and "…" not in row and cells[4] in {"verified", "not verified"}


def _stdout(capsys, *args: str) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(list(args))
    assert e.value.code == 0
    return capsys.readouterr().out


def test_data_check_and_datasets_list_as_json(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "m.csv").write_text("text\nhello\nhow are you\n")
    checked = json.loads(
        _stdout(capsys, "data", "check", str(tmp_path / "m.csv"), "--kind", "messages", "--json")
    )
    assert checked == {"file": str(tmp_path / "m.csv"), "kind": "messages", "summary": {"rows": 2}}
    listed = json.loads(_stdout(capsys, "datasets", "list", "--data-dir", str(tmp_path), "--json"))
    assert {d["name"] for d in listed} >= {"banking77", "goodbooks-sample"}
    assert not any(d["present"] for d in listed)  # an empty folder holds none of them


def test_support_index_as_json(tmp_path: Path, capsys) -> None:
    from tests.support.retrieve.test_retrieve import articles_frame

    articles_frame().write_ndjson(tmp_path / "articles.jsonl")
    args = ["support", "index", "--articles", str(tmp_path / "articles.jsonl")]
    out = _stdout(capsys, *args, "--out", str(tmp_path / "kb"), "--system", "bm25", "--json")
    assert json.loads(out) == {
        "system": "bm25",
        "articles": articles_frame().height,
        "folder": str(tmp_path / "kb" / "v0001"),
    }
