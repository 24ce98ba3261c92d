"""Every known bad input to the CLI: exit 2, one `error:` line on stderr, no traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from inhouse.cli import main
from tests.process import run_inhouse
from tests.recommend import checkerboard as cb
from tests.support.retrieve.test_retrieve import articles_frame, shared_embedder
from tests.support.route.test_router import TRAIN

HUGE = "my card has not arrived " * 4200  # 100,800 characters, about 100 kB


@pytest.fixture(autouse=True)
def quiet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No weight-loading progress bars on stderr, and a registry of this test's own."""
    from transformers.utils import logging as hf_logging

    monkeypatch.setenv("INHOUSE_REGISTRY", str(tmp_path / "registry" / "models.json"))
    monkeypatch.setenv("INHOUSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("INHOUSE_CONFIG", str(tmp_path / "no-inhouse.toml"))
    monkeypatch.setenv("COLUMNS", "400")  # one line stays one line
    hf_logging.disable_progress_bar()
    yield
    hf_logging.enable_progress_bar()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Good and bad company files, a fitted router and a hybrid index."""
    from inhouse.support.retrieve.registry import make_retriever
    from inhouse.support.route.registry import make_router

    tmp = tmp_path_factory.mktemp("errors")
    cb.catalog().drop("tags").write_csv(tmp / "catalog.csv")
    cb.events().write_csv(tmp / "events.csv")
    lines = (tmp / "catalog.csv").read_text().splitlines()
    lines.insert(3, 'x1,"a title with an unclosed quote,1')  # file line 4
    (tmp / "bad_catalog.csv").write_text("\n".join(lines) + "\n")
    articles_frame().write_csv(tmp / "articles.csv")
    texts = [t for ts in TRAIN.values() for t in ts]
    intents = [i for i, ts in TRAIN.items() for _ in ts]
    ids = [f"t{n}" for n in range(len(texts))]
    pl.DataFrame({"ticket_id": ids, "text": texts, "intent": intents}).write_csv(
        tmp / "tickets.csv"
    )
    make_router("logistic", shared_embedder()).fit(texts, intents).save(tmp / "router")
    retriever = make_retriever("hybrid", shared_embedder())
    retriever.index(articles_frame())
    retriever.save(tmp / "index")
    return tmp


def assert_user_error(capsys: pytest.CaptureFixture[str], code: int, *expected: str) -> str:
    out, err = capsys.readouterr()
    assert code == 2, out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in out + err
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> int:
    """`inhouse ARGS...` in this process (output left in `capsys`): its exit code."""
    capsys.readouterr()
    try:
        main(list(args))
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_malformed_csv_row_names_file_and_line(files: Path, capsys, tmp_path: Path) -> None:
    code = cli(
        capsys,
        *("recommend", "fit", "--catalog", str(files / "bad_catalog.csv")),
        *("--events", str(files / "events.csv"), "--out", str(tmp_path / "rec")),
    )
    assert_user_error(capsys, code, "bad_catalog.csv:4:", "quot")
    assert not (tmp_path / "rec").exists()


def test_unknown_model_id(capsys) -> None:
    code = cli(capsys, "models", "verify", "no-such-model")
    assert_user_error(capsys, code, "'no-such-model'", "inhouse models add")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("recommend", "fit", "--system", "nope"), "unknown recommender 'nope'"),
        (("support", "index", "--system", "nope"), "unknown retrieval system 'nope'"),
        (("support", "fit-router", "--system", "nope"), "unknown router system 'nope'"),
    ],
)
def test_unknown_system_name(files: Path, capsys, tmp_path, args, expected) -> None:
    inputs = {
        "fit": ("--catalog", str(files / "catalog.csv"), "--events", str(files / "events.csv")),
        "index": ("--articles", str(files / "articles.csv")),
        "fit-router": ("--tickets", str(files / "tickets.csv")),
    }[args[1]]
    code = cli(capsys, *args, *inputs, "--out", str(tmp_path / "out"))
    assert_user_error(capsys, code, expected, "choose one of")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("system", "param", "expected"),
    [
        ("cooc", "bogus=1", "cooc has no such parameter; it takes: window, decay"),
        ("cooc", "window=abc", "expects a whole number"),
        (
            "two-tower",
            "epochs=abc",
            "two-tower expects a whole number here, e.g. --param epochs=10",
        ),
        ("sasrec", "threads=abc", "sasrec expects a whole number"),
        ("blend", "weights=0.5", "blend expects a JSON list"),
    ],
)
def test_bad_hyper_parameter(files: Path, capsys, tmp_path, system, param, expected) -> None:
    code = cli(
        capsys,
        *("recommend", "fit", "--catalog", str(files / "catalog.csv")),
        *("--events", str(files / "events.csv"), "--out", str(tmp_path / "rec")),
        *("--system", system, "--param", param),
    )
    assert_user_error(capsys, code, f"--param {param.split('=')[0]}", expected)
    assert not (tmp_path / "rec").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("bakeoff", "foo"), "unknown workload foo; use support or recommend"),
        (("bakeoff", "support", "--catalog", "c.csv"), "--catalog: not a flag of the support"),
        (("bakeoff", "recommend", "--articles", "a.jsonl"), "--tickets, --articles: not flags of"),
        (("bakeoff", "support", "--systems", "foo"), "--systems: unknown support system(s) foo"),
        (("bench", "support", "--dataset", "banking77", "--systems", "foo"), "unknown support"),
    ],
)
def test_bad_bakeoff_flags_are_refused_before_data_is_read(capsys, tmp_path, args, expected):
    """The tickets file does not even exist: nothing is read before the flags are checked."""
    given = (*args, "--tickets", str(tmp_path / "missing.csv")) if args[0] == "bakeoff" else args
    code = cli(capsys, *given, "--out", str(tmp_path / "out"))
    assert_user_error(capsys, code, expected)
    assert not (tmp_path / "out").exists()


def test_router_loaded_with_the_wrong_embedder(files: Path, capsys, tmp_path: Path) -> None:
    import shutil

    router = shutil.copytree(files / "router", tmp_path / "router")
    (file,) = router.glob("v*/manifest.json")
    meta = json.loads(file.read_text())
    meta["base_model"]["sha256"] = "01" * 32  # trained on other weights
    file.write_text(json.dumps(meta))
    code = cli(capsys, "support", "route", str(router), "my card has not arrived")
    assert_user_error(capsys, code, "was made with embedder", "or rebuild the router")


def test_index_loaded_with_the_wrong_embedder(files: Path, capsys, tmp_path: Path) -> None:
    import shutil

    index = shutil.copytree(files / "index", tmp_path / "index")
    (dense,) = index.glob("v*/part1/manifest.json")
    manifest = json.loads(dense.read_text())
    manifest["base_model"]["name"] = "bge-small-en-v1.5"  # built with another embedder
    dense.write_text(json.dumps(manifest))
    code = cli(capsys, "support", "ask", str(index), "my card has not arrived")
    assert_user_error(capsys, code, "built with embedder bge-small-en-v1.5", "not registered")


def test_corrupt_index_manifest_names_file_and_line(files: Path, capsys, tmp_path) -> None:
    import shutil

    index = shutil.copytree(files / "index", tmp_path / "index")
    (manifest,) = index.glob("v*/manifest.json")
    manifest.write_text('{"system": "hybrid",\n oops}')
    code = cli(capsys, "support", "ask", str(index), "my card has not arrived")
    assert_user_error(capsys, code, "manifest.json:2:", "rebuild it with `inhouse support index")


def test_embedder_folder_that_is_not_a_model(files: Path, capsys, tmp_path: Path) -> None:
    (tmp_path / "not-a-model").mkdir()
    code = cli(
        capsys,
        *("support", "index", "--articles", str(files / "articles.csv")),
        *("--out", str(tmp_path / "ix"), "--embedder", str(tmp_path / "not-a-model")),
    )
    assert_user_error(capsys, code, "not-a-model: not a model folder")


@pytest.mark.parametrize("command", ["route", "ask"])
@pytest.mark.parametrize(("message", "expected"), [("  ", "empty"), (HUGE, "100,800 characters")])
def test_bad_message(files: Path, capsys, command, message, expected) -> None:
    folder = files / ("router" if command == "route" else "index")
    code = cli(capsys, "support", command, str(folder), message)
    assert_user_error(capsys, code, expected)


def test_bad_settings_file(files: Path, capsys, tmp_path, monkeypatch) -> None:
    (tmp_path / "inhouse.toml").write_text("log_level = [\n")
    monkeypatch.setenv("INHOUSE_CONFIG", str(tmp_path / "inhouse.toml"))
    code = cli(capsys, "data", "check", str(files / "catalog.csv"), "--kind", "catalog")
    assert_user_error(capsys, code, "inhouse.toml: not valid TOML")


def test_a_real_process_exits_2_without_a_traceback(files: Path, tmp_path: Path) -> None:
    """The same through the installed entry point: a bad file, then a 100 kB message."""
    message = tmp_path / "message.txt"
    message.write_text(HUGE)
    for args in [
        ("data", "check", str(files / "bad_catalog.csv"), "--kind", "catalog"),
        ("support", "route", str(files / "router"), "--file", str(message)),
    ]:
        result = run_inhouse(*args, HF_HUB_DISABLE_PROGRESS_BARS="1", COLUMNS="400")
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2, result.stderr
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert "Traceback" not in result.stderr
