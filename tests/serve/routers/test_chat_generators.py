"""POST /v1/chat/completions with a generator of `[generators]`: a tiny random-weight Qwen2
run in the server, served by name beside the assistant, whole and streamed; and two LoRA
adapters served on one base as `NAME:ADAPTER`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from inhouse.serve.config import ServeConfig
from inhouse.serve.loaded import Models
from tests.serve.conftest import Http, in_process

SCOPES = ["chat", "support", "admin"]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory, tiny_qwen_folder: Path) -> ServeConfig:
    root = tmp_path_factory.mktemp("gen")
    return ServeConfig.model_validate(
        {
            "state": root / "state.sqlite3",
            "audit_log": root / "audit.jsonl",
            "embedders": [],
            "generators": {"tiny": {"model": str(tiny_qwen_folder), "max_tokens": 6}},
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


@pytest.fixture(scope="module")
def adapted(
    tmp_path_factory: pytest.TempPathFactory, trained_qwen_folder: Path, two_adapters: dict
) -> Iterator[Http]:
    """A server of the trained base `qwen` with both adapters, one resident at a time."""
    root = tmp_path_factory.mktemp("adapted")
    adapters = {name: folder for name, (folder, _) in two_adapters.items()}
    generator = {"model": str(trained_qwen_folder), "max_tokens": 16, "max_adapters": 1}
    config = ServeConfig.model_validate(
        {
            "state": root / "state.sqlite3",
            "audit_log": root / "audit.jsonl",
            "embedders": [],
            "generators": {"qwen": {**generator, "adapters": adapters}},
        }
    )
    yield from in_process(config, Models.load(config))


@pytest.mark.xdist_group("trained-qwen")  # shares the trained adapters with tests/generate
def test_adapters_are_served_as_name_colon_adapter(adapted: Http, two_adapters: dict) -> None:
    from inhouse.models.weights import sha256_file

    listed = adapted.client.get("/v1/models", headers={"Authorization": f"Bearer {adapted.key()}"})
    cards = {c["id"]: c for c in listed.json()["data"]}
    assert [c for c in cards if c.startswith("qwen")] == ["qwen", "qwen:support", "qwen:billing"]
    for name, (folder, _) in two_adapters.items():
        card = cards[f"qwen:{name}"]
        assert card["kind"] == "adapter" and card["base_model"] == "qwen"
        assert card["sha256"] == sha256_file(folder / "adapter_model.safetensors")
    jobs = [(name, text) for text in list(two_adapters["support"][1])[:3] for name in two_adapters]
    got: dict[int, str] = {}

    def run(i: int) -> None:
        name, text = jobs[i]
        body = {"model": f"qwen:{name}", "messages": [{"role": "user", "content": text}]}
        if i % 2:
            body |= {"stream": True}
        response = adapted.post("/v1/chat/completions", body)
        assert response.status_code == 200, response.text
        if i % 2:
            chunks = [e.removeprefix("data: ") for e in response.text.strip().split("\n\n")]
            got[i] = "".join(
                json.loads(c)["choices"][0]["delta"].get("content") or ""
                for c in chunks[:-1]
                if json.loads(c)["choices"]
            )
        else:
            got[i] = response.json()["choices"][0]["message"]["content"]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {i: two_adapters[name][1][text] for i, (name, text) in enumerate(jobs)}
    body = {"model": "qwen:legal", "messages": [{"role": "user", "content": "hi"}]}
    response = adapted.post("/v1/chat/completions", body)
    message = response.json()["error"]["message"]
    assert response.status_code == 404 and "qwen:support, qwen:billing" in message


def test_adapters_need_a_base_run_here_without_a_merged_adapter() -> None:
    for extra in ({"adapter": "merged"}, {"base_url": "http://gpu:8000/v1"}):
        with pytest.raises(ValueError, match="adapters go on a base model run in this process"):
            ServeConfig.model_validate(
                {"generators": {"g": {"model": "x", "adapters": {"a": "a"}, **extra}}}
            )
    with pytest.raises(ValueError, match="adapter name 'a:b'"):
        ServeConfig.model_validate({"generators": {"g": {"model": "x", "adapters": {"a:b": "a"}}}})
