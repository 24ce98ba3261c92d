"""The README's tour runs as written: every command of its first bash block, in order, in
this process, on the company files under `examples/`; the commands it leaves out still parse.

A README command whose flag was renamed, or whose file is gone, fails here, not for a reader.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from inhouse.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLES = ROOT / "examples"
TOUR = "## A one-screen tour"
# the command groups the tour shows; one dropped from the tour fails here
GROUPS = {"data", "datasets", "models", "support", "recommend", "artifacts", "bakeoff"}


def commands(block: str) -> list[list[str]]:
    """The argv of each command in a bash block: comments dropped, `\\` continuations joined."""
    found = []
    for line in block.replace("\\\n", " ").splitlines():
        argv = shlex.split(line, comments=True)
        if argv:
            found.append(argv)
    return found


def tour_blocks(text: str) -> list[list[list[str]]]:
    """Every bash block of the tour section: the first is run, the others are only parsed."""
    assert TOUR in text, f"README.md has no {TOUR!r} section"
    section = text.split(TOUR, 1)[1].split("\n## ", 1)[0]
    return [commands(b) for b in re.findall(r"^```bash\n(.*?)^```", section, re.S | re.M)]


def test_blocks_are_read_as_a_reader_reads_them() -> None:
    text = (
        f"{TOUR}\n\n```bash\n# a comment\ninhouse a --b 'c d'  # note\n\ninhouse e \\\n  --f\n```\n"
    )
    text += "prose\n```bash\ninhouse g\n```\n## Next\n```bash\ninhouse h\n```\n"
    assert tour_blocks(text) == [
        [["inhouse", "a", "--b", "c d"], ["inhouse", "e", "--f"]],
        [["inhouse", "g"]],
    ]


def test_the_tour_is_commands_of_every_group() -> None:
    blocks = tour_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2, "the tour has a run block and a block of commands it leaves out"
    tour = blocks[0]
    assert len(tour) >= 10, tour
    for argv in [c for b in blocks for c in b]:
        assert argv[0] == "inhouse", f"not an inhouse command: {shlex.join(argv)}"
    missing = GROUPS - {argv[1] for argv in tour}
    assert not missing, f"the tour no longer shows inhouse {', '.join(sorted(missing))}"


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory holding examples/ as the repository does, with a registry, cache,
    settings and data folder of its own, so nothing is written outside it."""
    from transformers.utils import logging as hf_logging

    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INHOUSE_REGISTRY", str(tmp_path / "registry" / "models.json"))
    monkeypatch.setenv("INHOUSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("INHOUSE_CONFIG", str(tmp_path / "inhouse.toml"))
    monkeypatch.setenv("INHOUSE_DATA_DIR", str(tmp_path / "datasets"))
    monkeypatch.setenv("COLUMNS", "200")
    hf_logging.disable_progress_bar()
    yield tmp_path
    hf_logging.enable_progress_bar()


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """`inhouse ARGV...` in this process: its exit code, stdout and stderr."""
    capsys.readouterr()
    code = 0
    try:
        main(argv)
    except SystemExit as e:
        code = 0 if e.code is None else e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_every_tour_command_runs_as_written(
    repo_copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from inhouse.support.route import evaluate

    # the one change to what a reader runs: the routing bake-off times 50 messages a router,
    # not 500 (seconds of CPU per router); no score depends on it
    timed = evaluate.measure_latency
    monkeypatch.setattr(evaluate, "measure_latency", lambda r, texts, n=50: timed(r, texts, 50))
    tour = tour_blocks(README.read_text(encoding="utf-8"))[0]
    for argv in tour:
        shown = shlex.join(argv)
        code, out, err = run(capsys, argv[1:])
        assert code == 0, f"`{shown}` exited {code}:\n{out}\n{err}"
        assert "Traceback" not in out + err, f"`{shown}`:\n{err}"
        if "--json" in argv:  # one JSON document, or one object a line
            try:
                json.loads(out)
            except json.JSONDecodeError:
                rows = [json.loads(line) for line in out.splitlines() if line.strip()]
                assert rows, f"`{shown}` printed no JSON"
        folder = option(argv, "--out")
        if folder is not None:  # written inside the working directory, nowhere else
            assert not Path(folder).is_absolute() and ".." not in Path(folder).parts, shown
            assert (repo_copy / folder).exists(), f"`{shown}` wrote nothing to {folder}"


def usage_error(argv: list[str]) -> str | None:
    """Parse `inhouse ARGV...` as the command line would, down to its command, without running
    it: the message of click's usage error (an unknown command or flag, a bad value), or None.

    Typer bundles its own copy of click, so groups and errors are known by what they do."""
    from inhouse.cli import _register, app

    _register()
    command, args = typer.main.get_command(app), list(argv)
    ctx = command.context_class(command, info_name="inhouse")
    try:
        while hasattr(command, "resolve_command"):  # a group: on to the named command
            name, sub, args = command.resolve_command(ctx, args)
            assert sub is not None and name is not None, argv
            command = sub
            ctx = command.context_class(command, info_name=name, parent=ctx)
        command.make_context(ctx.info_name, args, parent=ctx.parent)
    except Exception as e:
        code = getattr(e, "exit_code", None)
        if code == 0:  # --help, which prints and stops: parsed
            return None
        if code == 2 and hasattr(e, "format_message"):
            return str(e.format_message())
        raise
    return None


def test_every_command_of_the_tour_parses() -> None:
    """Those left out of the run too: a renamed flag in them fails here, in a second."""
    every = [c for b in tour_blocks(README.read_text(encoding="utf-8")) for c in b]
    assert every
    for argv in every:
        assert usage_error(argv[1:]) is None, f"`{shlex.join(argv)}`: {usage_error(argv[1:])}"


def test_parsing_refuses_a_renamed_flag_or_command() -> None:
    assert usage_error(["recommend", "for-user", "./rec", "--user", "u01"]) is None
    assert "--customer" in str(usage_error(["recommend", "for-user", "./rec", "--customer", "u"]))
    assert usage_error(["models", "fetch", "x"]) is not None
    assert usage_error(["bench", "support", "--dataset", "banking77"]) is not None  # no --out


def test_the_examples_are_what_their_script_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written = script.files()
    assert sorted(written) == sorted(
        p.name for p in EXAMPLES.glob("*.*") if p.suffix != ".py" and p.name != "README.md"
    )
    for name, text in written.items():
        shipped = (EXAMPLES / name).read_text(encoding="utf-8")
        assert shipped == text, f"examples/{name} differs; run python examples/make_examples.py"
