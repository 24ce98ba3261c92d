"""`inhouse chat MODEL "question"` end to end on the tiny model (beside the tiny-model fixture;
the command lives in src/inhouse/cli/chat.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.cli import main
from inhouse.generate.hf import TransformersGenerator


@pytest.fixture(autouse=True)
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INHOUSE_REGISTRY", str(tmp_path / "registry" / "models.json"))
    monkeypatch.setenv("INHOUSE_CONFIG", str(tmp_path / "no-inhouse.toml"))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_chat_streams_the_reply_and_prints_its_speed(
    tiny_folder: Path, tiny: TransformersGenerator, capsys
) -> None:
    sampled = ["--temperature", "1", "--seed", "5", "--max-tokens", "6"]
    code, out, err = _run(capsys, "chat", str(tiny_folder), "Hello!", *sampled)
    expected = tiny.chat(
        [{"role": "user", "content": "Hello!"}], max_tokens=6, temperature=1.0, seed=5
    )
    assert code == 0 and out == expected + "\n"
    assert "6 tokens," in err and "tokens/s decoding" in err and "finish: length" in err


def test_chat_without_streaming_with_a_system_message(
    tiny_folder: Path, tiny: TransformersGenerator, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import inhouse.generate.registry

    def loaded(model: str, max_tokens: int) -> TransformersGenerator:
        assert model == str(tiny_folder)  # loading itself is the test above's
        tiny.max_tokens = max_tokens
        return tiny

    monkeypatch.setattr(inhouse.generate.registry, "load_generator", loaded)
    monkeypatch.setattr(tiny, "max_tokens", tiny.max_tokens)
    args = ["--system", "Be brief.", "--max-tokens", "4", "--no-stream"]
    code, out, err = _run(capsys, "chat", str(tiny_folder), "Hi", *args)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert code == 0 and out == tiny.chat(messages, max_tokens=4) + "\n"
    assert "4 tokens," in err


def test_chat_with_an_unknown_model(capsys) -> None:
    code, _, err = _run(capsys, "chat", "no-such-model", "Hi")
    assert code == 2 and "no-such-model: no registered model of that name" in err
