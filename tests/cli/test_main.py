"""The root command: help lists every group, user errors exit 2 cleanly, bugs keep tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inhouse.cli import app, main
from tests.process import run_inhouse

_run = run_inhouse


def test_help_lists_every_group_with_an_example() -> None:
    from inhouse.cli.groups import GROUPS

    result = _run("--help")
    assert result.returncode == 0, result.stderr
    for name, help_text in GROUPS.values():
        assert name in result.stdout
        assert "e.g." in help_text, f"group {name} has no example in its help"


def test_user_error_is_one_message_and_exit_2(tmp_path: Path) -> None:
    result = _run("data", "check", str(tmp_path / "nope.csv"), "--kind", "catalog")
    assert result.returncode == 2
    assert "nope.csv" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_flag_exits_2() -> None:
    result = _run("data", "check", "x.csv", "--kind", "nonsense")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("a bug, not a user error")

    monkeypatch.setattr(app, "registered_commands", list(app.registered_commands))
    monkeypatch.setattr("inhouse.cli._register", lambda: app.command("broken")(broken))
    with pytest.raises(RuntimeError, match="a bug"):
        main(["broken"])


def test_user_text_in_an_error_is_printed_literally(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from inhouse.errors import InhouseError

    def bad() -> None:
        raise InhouseError("items.csv:3: title: [/x] is not allowed; [b]fix[/b] it")

    monkeypatch.setattr(app, "registered_commands", list(app.registered_commands))
    monkeypatch.setattr("inhouse.cli._register", lambda: app.command("bad")(bad))
    with pytest.raises(SystemExit) as exit_info:
        main(["bad"])
    assert exit_info.value.code == 2
    assert "[/x] is not allowed; [b]fix[/b] it" in capsys.readouterr().err


def test_log_lines_are_redacted(tmp_path: Path) -> None:
    code = (
        "import logging, sys\n"
        "from inhouse.cli import app, main\n"
        "@app.command('log')\n"
        "def log() -> None:\n"
        "    logging.getLogger('inhouse.support').warning('from ann@example.com, M-123456')\n"
        "main(sys.argv[1:])\n"
    )
    env = {"INHOUSE_PII_PATTERNS": '{"MEMBER": "M-\\\\d{6}"}', "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code, "log"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "ann@example.com" not in result.stderr and "M-123456" not in result.stderr
    assert "[EMAIL]" in result.stderr and "[MEMBER]" in result.stderr


def test_groups_are_attached_once_however_often_main_runs(capsys) -> None:
    for _ in range(3):
        with pytest.raises(SystemExit):
            main(["--version"])
    assert "inhouse" in capsys.readouterr().out
    names = [group.name for group in app.registered_groups]
    assert len(names) == len(set(names))
