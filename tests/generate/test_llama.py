"""The llama.cpp backend on the real SmolLM2-135M and Qwen2.5-Coder-0.5B GGUFs (when
installed; `-m real_weights`)."""

from __future__ import annotations

import time

import pytest

from tests.generate._real import QWEN, SMOLLM2, installed_gguf, long_prefix

pytestmark = pytest.mark.real_weights
llama_cpp = pytest.importorskip("llama_cpp")

from inhouse.generate.base import Generator  # noqa: E402
from inhouse.generate.llama import LlamaCppGenerator  # noqa: E402

CAPITAL = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
STORY = [{"role": "user", "content": "Write three sentences about a cat who likes rain."}]


@pytest.fixture(scope="module")
def smol() -> LlamaCppGenerator:
    return LlamaCppGenerator("smol", installed_gguf(SMOLLM2), n_threads=1, n_ctx=2048)


def test_greedy_answer_is_deterministic_and_not_empty(smol: LlamaCppGenerator) -> None:
    assert isinstance(smol, Generator)
    first = smol.chat(CAPITAL, max_tokens=24)
    assert first.strip() and "Paris" in first
    assert smol.chat(CAPITAL, max_tokens=24) == first


def test_stream_equals_the_librarys_own_chat_completion(smol: LlamaCppGenerator) -> None:
    smol.llm.reset()  # both from an empty context
    pieces = smol.stream(STORY, max_tokens=32)
    parts = list(pieces)
    assert len(parts) > 5 and pieces.usage.completion_tokens == 32
    # llama-cpp-python's handler for the GGUF's chat template, greedy, no repeat penalty
    handler = smol.llm._chat_handlers["chat_template.default"]
    smol.llm.reset()
    reply = handler(
        llama=smol.llm, messages=STORY, temperature=0.0, max_tokens=32, repeat_penalty=1.0
    )
    assert "".join(parts) == reply["choices"][0]["message"]["content"]


def test_max_tokens_and_stop_strings_hold(smol: LlamaCppGenerator) -> None:
    full = smol.chat(STORY, max_tokens=40)
    short = smol.stream(STORY, max_tokens=6)
    text = "".join(short)
    assert short.usage.completion_tokens == 6 and short.usage.finish_reason == "length"
    assert full.startswith(text) and len(text) < len(full)
    word = full.split()[len(full.split()) // 2]
    cut = smol.stream(STORY, max_tokens=40, stop=[word])
    assert "".join(cut) == full[: full.find(word)]
    assert cut.usage.finish_reason == "stop" and cut.usage.completion_tokens < 40


def test_sampling_with_a_seed_repeats(smol: LlamaCppGenerator) -> None:
    a = smol.chat(STORY, max_tokens=24, temperature=1.0, seed=11)
    assert a == smol.chat(STORY, max_tokens=24, temperature=1.0, seed=11)
    others = {smol.chat(STORY, max_tokens=24, temperature=1.0, seed=s) for s in (12, 13, 14)}
    assert others - {a}


def test_a_shared_prefix_is_evaluated_once(smol: LlamaCppGenerator) -> None:
    system = {"role": "system", "content": long_prefix()}
    first = [system, {"role": "user", "content": "What is the first module about?"}]
    second = [system, {"role": "user", "content": "Which backend runs GGUF files?"}]

    def first_token(messages: list) -> tuple[float, object]:
        llama_cpp.llama_perf_context_reset(smol.llm.ctx)
        start = time.perf_counter()
        pieces = smol.stream(messages, max_tokens=1)
        "".join(pieces)
        return time.perf_counter() - start, pieces.usage

    smol.llm.reset()
    cold_s, cold = first_token(first)
    warm_s, warm = first_token(second)
    assert cold.prompt_tokens > 300  # type: ignore[attr-defined]
    assert cold.prompt_evaluated == cold.prompt_tokens  # type: ignore[attr-defined]
    assert warm.prompt_evaluated < 30  # type: ignore[attr-defined]
    # llama.cpp's own count of the prompt tokens it computed agrees
    perf = llama_cpp.llama_perf_context(smol.llm.ctx)
    assert perf.n_p_eval == warm.prompt_evaluated  # type: ignore[attr-defined]
    assert warm_s < cold_s / 2


def test_qwen_answers_two_plus_two() -> None:
    qwen = LlamaCppGenerator("qwen", installed_gguf(QWEN), n_threads=1, n_ctx=1024)
    reply = qwen.chat([{"role": "user", "content": "What is 2+2?"}], max_tokens=24)
    assert "4" in reply
