"""POST /v1/chat/completions with a generator of `[generators]`: a tiny random-weight Qwen2
run in the server, served by name beside the assistant, whole and streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from inhouse.serve.config import ServeConfig
from inhouse.serve.loaded import Models
from tests.serve.conftest import Http, in_process

SCOPES = ["chat", "support", "admin"]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> ServeConfig:
    from inhouse.generate.tiny import tiny_qwen

    root = tmp_path_factory.mktemp("gen")
    tiny = tiny_qwen(root / "tiny-qwen")
    return ServeConfig.model_validate(
        {
            "state": root / "state.sqlite3",
            "audit_log": root / "audit.jsonl",
            "embedders": [],
            "generators": {"tiny": {"model": str(tiny), "max_tokens": 6}},
        }
    )


@pytest.fixture(scope="module")
def served(config: ServeConfig) -> Models:
    return Models.load(config)


@pytest.fixture
def http(config: ServeConfig, served: Models) -> Iterator[Http]:
    yield from in_process(config, served)


def ask(http: Http, **body: object) -> dict:
    messages = [{"role": "user", "content": "my card has not arrived"}]
    response = http.post("/v1/chat/completions", {"model": "tiny", "messages": messages, **body})
    assert response.status_code == 200, response.text
    return response.json() if not body.get("stream") else {"events": response.text}


def test_a_generator_is_listed_and_answers_greedily_within_max_tokens(http: Http) -> None:
    listed = http.client.get("/v1/models", headers={"Authorization": f"Bearer {http.key()}"})
    card = next(c for c in listed.json()["data"] if c["id"] == "tiny")
    assert card["kind"] == "generator" and card["system"] == "transformers"
    assert len(card["sha256"]) == 64
    one, two = ask(http), ask(http)
    assert one["choices"][0]["message"]["content"] == two["choices"][0]["message"]["content"]
    assert one["choices"][0]["finish_reason"] == "length"  # random weights never end a turn
    assert one.get("inhouse") is None  # the extension field is the assistant's
    usage = one["usage"]
    assert usage["completion_tokens"] > 0 and usage["prompt_tokens"] > 0


def test_the_stream_is_the_whole_answer_piece_by_piece(http: Http) -> None:
    whole = ask(http)["choices"][0]["message"]["content"]
    events = ask(http, stream=True, stream_options={"include_usage": True})["events"]
    chunks = [e.removeprefix("data: ") for e in events.strip().split("\n\n")]
    assert chunks[-1] == "[DONE]"
    parsed = [json.loads(c) for c in chunks[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in parsed if c["choices"])
    assert text == whole
    assert parsed[-1]["usage"]["completion_tokens"] > 0


def test_unknown_chat_models_name_the_loaded_ones(http: Http) -> None:
    body = {"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}
    response = http.post("/v1/chat/completions", body)
    assert response.status_code == 404 and "tiny" in response.json()["error"]["message"]


def test_a_generator_run_here_takes_no_api_key_env(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="api_key_env is for a backend at base_url"):
        ServeConfig.model_validate(
            {"generators": {"g": {"model": "x", "api_key_env": "KEY"}}, "embedders": []}
        )
