"""The transformers backend on a tiny random-weight Qwen2 with the real Qwen2 tokenizer."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from inhouse.errors import ConfigError, ModelError
from inhouse.generate.base import Generator
from inhouse.generate.hf import TransformersGenerator
from inhouse.models.adapters import RECORD, AdapterRecord, resolve_base

HELLO = [{"role": "user", "content": "Say hello to the new customer."}]
SAMPLED = {"temperature": 1.0, "seed": 7}


def test_is_a_generator(tiny: TransformersGenerator) -> None:
    assert isinstance(tiny, Generator)
    assert tiny.architecture == "Qwen2ForCausalLM"


def test_greedy_is_deterministic_and_streams_the_same_text(tiny: TransformersGenerator) -> None:
    first = tiny.chat(HELLO, max_tokens=12)
    assert first and first == tiny.chat(HELLO, max_tokens=12)
    pieces = tiny.stream(HELLO, max_tokens=12)
    parts = list(pieces)
    assert "".join(parts) == first
    assert pieces.usage.prompt_tokens > 10 and pieces.usage.completion_tokens == 12


def test_sampling_with_a_seed_repeats_and_another_seed_differs(tiny: TransformersGenerator) -> None:
    a = tiny.chat(HELLO, max_tokens=8, **SAMPLED)
    assert a == tiny.chat(HELLO, max_tokens=8, **SAMPLED)
    assert a != tiny.chat(HELLO, max_tokens=8, temperature=1.0, seed=8)
    assert a != tiny.chat(HELLO, max_tokens=8)  # greedy repeats one token on these weights
    assert "".join(tiny.stream(HELLO, max_tokens=8, **SAMPLED)) == a


def test_max_tokens_bounds_the_reply(tiny: TransformersGenerator) -> None:
    short, long = (
        tiny.stream(HELLO, max_tokens=3, **SAMPLED),
        tiny.stream(HELLO, max_tokens=9, **SAMPLED),
    )
    short_text, long_text = "".join(short), "".join(long)
    assert short.usage.completion_tokens == 3 and short.usage.finish_reason == "length"
    assert long.usage.completion_tokens == 9
    assert long_text.startswith(short_text) and len(long_text) > len(short_text)


def test_a_stop_string_cuts_the_reply_and_ends_generation(tiny: TransformersGenerator) -> None:
    full = tiny.chat(HELLO, max_tokens=16, **SAMPLED)
    stop = full[len(full) // 2 : len(full) // 2 + 3]
    assert len(stop) == 3 and stop.strip(), full
    expected = full[: full.find(stop)]
    assert tiny.chat(HELLO, max_tokens=16, stop=stop, **SAMPLED) == expected
    pieces = tiny.stream(HELLO, max_tokens=16, stop=["never appears", stop], **SAMPLED)
    assert "".join(pieces) == expected
    assert pieces.usage.finish_reason == "stop" and pieces.usage.completion_tokens < 16


def test_a_reader_that_leaves_early_frees_the_model(tiny: TransformersGenerator) -> None:
    pieces = tiny.stream(HELLO, max_tokens=200, **SAMPLED)
    next(pieces)
    pieces.close()
    assert pieces.usage.completion_tokens < 200
    assert tiny.chat(HELLO, max_tokens=2)  # the lock was released


def test_concurrent_calls_get_the_same_replies_as_one_at_a_time(
    tiny: TransformersGenerator,
) -> None:
    alone = tiny.chat(HELLO, max_tokens=8, **SAMPLED)
    got: list[str] = []
    threads = [
        threading.Thread(target=lambda: got.append(tiny.chat(HELLO, max_tokens=8, **SAMPLED)))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [alone] * 3


def test_bad_params_are_named(tiny: TransformersGenerator) -> None:
    with pytest.raises(ConfigError, match="does not take n, presence_penalty"):
        tiny.chat(HELLO, n=2, presence_penalty=1.0)
    with pytest.raises(ConfigError, match="top_p must be in"):
        tiny.chat(HELLO, top_p=0)


def test_an_unsupported_architecture_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["GPT2LMHeadModel"]}))
    with pytest.raises(ModelError, match=r"config.json:1: architecture GPT2LMHeadModel is not"):
        TransformersGenerator("gpt2", tmp_path)


def test_a_lora_adapter_is_merged_on_load(tiny_folder: Path, tiny, tmp_path: Path) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_folder)
    torch.manual_seed(0)
    config = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(base, config).save_pretrained(tmp_path / "adapter")
    with pytest.raises(ModelError, match="not an inhouse LoRA adapter"):
        TransformersGenerator("tuned", tiny_folder, device="cpu", adapter=tmp_path / "adapter")
    record = AdapterRecord(base=resolve_base(tiny_folder), settings={}, data={})
    (tmp_path / "adapter" / RECORD).write_text(record.model_dump_json())
    tuned = TransformersGenerator("tuned", tiny_folder, device="cpu", adapter=tmp_path / "adapter")
    ids = tiny.tokenizer("hello", return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        before, after = tiny.model(ids).logits, tuned.model(ids).logits
    assert not torch.allclose(before, after, atol=1e-4)
    assert "lora" not in " ".join(n for n, _ in tuned.model.named_parameters())
