"""`inhouse support fit-router` and `inhouse support route`: happy path and bad input."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from inhouse.cli import main
from inhouse.models.embedder import default_embedder_path
from inhouse.models.registry import add_model
from inhouse.support.route.base import read_router
from tests.support.route.test_router import TRAIN


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def write_tickets(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ticket_id", "text", "intent"])
        for i, (text, intent) in enumerate(rows):
            w.writerow([f"t{i}", text, intent])
    return path


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> tuple[Path, str]:
    """A router fitted by the CLI on tickets without intent `oos`, and what the fit printed."""
    tmp = tmp_path_factory.mktemp("cli")
    rows = [(t, intent) for intent, texts in TRAIN.items() for t in texts]
    tickets = write_tickets(tmp / "tickets.csv", rows)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main_ok(
            [
                "support",
                "fit-router",
                "--tickets",
                str(tickets),
                "--out",
                str(tmp / "r"),
                "--system",
                "logistic",
                "--valid-fraction",
                "0.25",
            ]
        )
    assert code == 0
    return tmp / "r", printed.getvalue()


@pytest.fixture(scope="module")
def router_dir(fitted) -> Path:
    return fitted[0]


@pytest.fixture(scope="module")
def router_fit(fitted) -> str:
    return fitted[1]


def main_ok(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_route_prints_intent(router_dir, capsys):
    code, out, _ = run(["support", "route", str(router_dir), "my card never arrived"], capsys)
    assert code == 0
    assert "intent: card_arrival" in out and "confidence:" in out and "escalate: no" in out


def test_route_empty_message(router_dir, capsys):
    code, _, err = run(["support", "route", str(router_dir), "   "], capsys)
    assert code == 2 and "empty" in err


def test_route_long_message_is_truncated(router_dir, capsys):
    message = "reset my password " * 300  # 5,400 characters: over MAX_CHARS, under the limit
    code, out, _ = run(["support", "route", str(router_dir), message], capsys)
    assert code == 0 and "routed on its first 2000" in out and "intent: reset_password" in out


def test_route_huge_message_is_refused(router_dir, capsys):
    code, out, err = run(["support", "route", str(router_dir), "reset my password " * 6000], capsys)
    assert code == 2 and "108,000 characters" in err and "limit of 20,000" in err
    assert "intent:" not in out


def test_route_binary_file(router_dir, tmp_path, capsys):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\xff\xfe\x00\x01binary")
    code, _, err = run(["support", "route", str(router_dir), "--file", str(blob)], capsys)
    assert code == 2 and "not UTF-8" in err


def test_route_not_a_router(tmp_path, capsys):
    code, _, err = run(["support", "route", str(tmp_path), "hello"], capsys)
    assert code == 2 and "not a router folder" in err


def test_fit_missing_intent_names_the_line(tmp_path, capsys):
    tickets = write_tickets(tmp_path / "t.csv", [("a", "x"), ("b", "y"), ("c", "")])
    code, _, err = run(
        [
            "support",
            "fit-router",
            "--tickets",
            str(tickets),
            "--out",
            str(tmp_path / "r"),
            "--system",
            "logistic",
        ],
        capsys,
    )
    assert code == 2 and "t.csv:4" in err and "intent" in err
    assert not (tmp_path / "r").exists()


def test_fit_unknown_intent_names_the_line(tmp_path, capsys):
    tickets = write_tickets(tmp_path / "t.csv", [("a", "x"), ("b", "y"), ("c", "zzz")])
    allowed = tmp_path / "intents.txt"
    allowed.write_text("x\ny\n")
    code, _, err = run(
        [
            "support",
            "fit-router",
            "--tickets",
            str(tickets),
            "--out",
            str(tmp_path / "r"),
            "--system",
            "logistic",
            "--intents",
            str(allowed),
        ],
        capsys,
    )
    assert code == 2 and "t.csv:4" in err and "zzz" in err


def test_route_a_file_prints_one_tab_separated_line_per_message(router_dir, tmp_path, capsys):
    messages = tmp_path / "messages.csv"
    messages.write_text("message_id,text\nm1,my card never arrived\nm2,I forgot my password\n")
    code, out, err = run(["support", "route", str(router_dir), "--file", str(messages)], capsys)
    assert code == 0, err
    header, *rows = out.splitlines()  # captured output is not a terminal: TSV
    assert header.split("\t") == [
        "id",
        "intent",
        "confidence",
        "out_of_scope",
        "escalate",
        "truncated_from",
    ]
    assert [r.split("\t")[:2] for r in rows] == [["m1", "card_arrival"], ["m2", "reset_password"]]
    single = run(["support", "route", str(router_dir), "--json", "my card never arrived"], capsys)
    assert json.loads(single[1])["confidence"] == float(rows[0].split("\t")[2])  # same answer


def test_route_stdin_as_json_lines(router_dir, capsys, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b"my card never arrived\n\nI forgot my password\n"))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, err = run(["support", "route", str(router_dir), "--file", "-", "--json"], capsys)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["intent"], r["escalate"]) for r in rows] == [
        ("1", "card_arrival", False),
        ("3", "reset_password", False),
    ]


def test_route_a_file_with_a_bad_line_loads_nothing(router_dir, tmp_path, capsys, monkeypatch):
    import inhouse.support.service as service

    monkeypatch.setattr(service, "SupportService", None)  # loading would fail loudly
    messages = tmp_path / "m.txt"
    messages.write_text("fine\n" + "x" * 20_001 + "\n")
    code, _, err = run(["support", "route", str(router_dir), "--file", str(messages)], capsys)
    assert code == 2 and f"{messages}:2: the message has 20,001 characters" in err


def test_a_real_route_call_prints_only_its_result(router_dir, monkeypatch):
    """No "Loading weights" bar, no library log line: stdout is the result, stderr is empty."""
    import os

    from tests.process import run_inhouse

    # no progress switches from the environment: the quiet output is the program's own doing
    for name in [k for k in os.environ if "PROGRESS" in k]:
        monkeypatch.delenv(name)
    args = ["support", "route", str(router_dir), "--json", "my card never arrived"]
    done = run_inhouse(*args, COLUMNS="200")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert json.loads(done.stdout)["intent"] == "card_arrival"


def test_fit_without_oos_tickets_names_the_method_and_how_to_do_better(router_fit, capsys):
    text = " ".join(router_fit.split())
    n = sum(len(v) for v in TRAIN.values())
    held = sum(round(len(v) * 0.25) for v in TRAIN.values())  # --valid-fraction 0.25
    assert f"{n} training tickets, {held} of them first held out" in text
    assert "set by --oos-method accuracy-drop without any ticket of intent `oos`" in text
    assert "then fitted on every ticket" in text and "add tickets with intent `oos`" in text


def test_route_escalates_the_weather_without_oos_tickets(router_dir, capsys):
    message = "what's the weather in Paris tomorrow"
    code, out, _ = run(["support", "route", str(router_dir), "--json", message], capsys)
    assert code == 0 and json.loads(out)["escalate"] is True


def test_fit_with_oos_method_off_says_detection_is_off(tmp_path, capsys):
    rows = [(t, intent) for intent, texts in TRAIN.items() for t in texts]
    tickets = write_tickets(tmp_path / "t.csv", rows)
    argv = ["support", "fit-router", "--tickets", str(tickets), "--out", str(tmp_path / "r")]
    code, out, _ = run([*argv, "--system", "logistic", "--oos-method", "off"], capsys)
    text = " ".join(out.split())
    assert code == 0 and f"{len(rows)} training tickets, 0 held out" in text
    assert "out-of-scope detection is off (--oos-method off)" in text
    assert "add tickets with intent `oos`" in text


def test_fit_with_an_unknown_oos_method_is_refused(tmp_path, capsys):
    tickets = write_tickets(tmp_path / "t.csv", [("a b", "x"), ("c d", "y")])
    argv = ["support", "fit-router", "--tickets", str(tickets), "--out", str(tmp_path / "r")]
    code, _, err = run([*argv, "--oos-method", "guess"], capsys)
    assert code == 2 and "--oos-method 'guess' is not known" in err


def test_fit_with_a_registered_embedder_saves_and_routes_with_it(tmp_path, capsys, monkeypatch):
    """`--embedder NAME`: the router encodes with that registered model, its manifest names it,
    and `route` loads it by that name."""
    monkeypatch.setenv("INHOUSE_REGISTRY", str(tmp_path / "models.json"))
    copy = shutil.copytree(default_embedder_path(), tmp_path / "weights" / "my-minilm")
    add_model(copy)
    rows = [(t, intent) for intent, texts in TRAIN.items() for t in texts]
    tickets = write_tickets(tmp_path / "t.csv", rows)
    argv = ["support", "fit-router", "--tickets", str(tickets), "--out", str(tmp_path / "r")]
    code, _, err = run([*argv, "--system", "logistic", "--embedder", "my-minilm"], capsys)
    assert code == 0, err
    _, manifest = read_router(tmp_path / "r")
    assert manifest.base_model is not None and manifest.base_model.name == "my-minilm"
    code, out, _ = run(["support", "route", str(tmp_path / "r"), "my card never arrived"], capsys)
    assert code == 0 and "intent: card_arrival" in out


def test_fit_with_an_unknown_embedder_exits_2_naming_the_registered_ones(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("INHOUSE_REGISTRY", str(tmp_path / "models.json"))
    rows = [(t, intent) for intent, texts in TRAIN.items() for t in texts]
    tickets = write_tickets(tmp_path / "t.csv", rows)
    argv = ["support", "fit-router", "--tickets", str(tickets), "--out", str(tmp_path / "r")]
    code, _, err = run([*argv, "--embedder", "no-such-model"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "'no-such-model' is not registered" in flat, err
    assert "Traceback" not in err and not (tmp_path / "r").exists()
