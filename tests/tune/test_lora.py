"""LoRA tuning end to end on a tiny random-weight Qwen2 (2 layers, hidden 64, the real Qwen2
tokenizer): memorising 40 tickets, resuming after `kill -9`, refusing a foreign base, redacting
PII, and merging."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from inhouse.errors import InhouseError, ModelError
from inhouse.tune.adapters import (
    CONVERTER_ENV,
    RECORD,
    export_gguf,
    load_adapter,
    merge_adapter,
    read_adapter,
)
from inhouse.tune.chat_data import encode_example, prompt_ids, ticket_examples
from inhouse.tune.lora import SLEEP_AFTER_STEP_ENV, LoraSettings, checkpoint_dir, lora_tune
from tests.tiny_lora import MEMORISE, greedy, ticket_rows, write_jsonl

# the session's trained base and adapters are built on one xdist worker (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("trained-qwen")

RESUME = LoraSettings(epochs=2, lr=1e-2, rank=16, alpha=16, batch_size=4, checkpoint_every=5)
RESUME_TOLERANCE = 1e-5  # relative; CPU runs repeat bit for bit, so this is only float slack


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A registry of its own, and one torch thread: the tiny model's matrices are so small that
    a second thread only waits on the first (about 5x slower on 2 shared cores)."""
    import torch

    root = tmp_path_factory.mktemp("lora")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INHOUSE_REGISTRY", str(root / "models.json"))
        mp.setenv("OMP_NUM_THREADS", "1")  # the same in the CLI runs of the resume test
        yield root
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def base(trained_qwen_folder: Path) -> Path:
    return trained_qwen_folder


@pytest.fixture(scope="module")
def tokenizer(base: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base)


@pytest.fixture(scope="module")
def tickets(env: Path) -> Path:
    return write_jsonl(env / "tickets.jsonl", ticket_rows())


@pytest.fixture(scope="module")
def trained(env: Path, base: Path, tickets: Path) -> Any:
    return lora_tune(base, tickets, env / "adapter", MEMORISE, progress=False)


@pytest.fixture(scope="module")
def tuned(trained: Any, base: Path) -> tuple[Any, Any]:
    """The base with the trained adapter on top, and its tokenizer."""
    return load_adapter(base, trained.out)


def test_memorises_tickets(trained: Any, tuned: tuple[Any, Any]) -> None:
    first, last = trained.log[0]["train_loss"], trained.log[-1]["train_loss"]
    assert last <= 0.2 * first, f"train loss {first:.3f} -> {last:.3f} fell less than 80 %"
    assert trained.n_train == 36 and trained.n_eval == 4 and trained.skipped == 0
    assert all(row["eval_loss"] is not None for row in trained.log)
    record = read_adapter(trained.out)
    held = set(record.data["eval_ticket_ids"])
    model, tokenizer = tuned
    rows = [r for r in ticket_rows() if r["ticket_id"] not in held]
    replies = [greedy(model, tokenizer, r["text"]) for r in rows[:6]]
    assert replies == [r["resolution"] for r in rows[:6]]


def test_adapter_refused_on_another_base(trained: Any, tiny_qwen_folder: Path) -> None:
    with pytest.raises(ModelError, match=r"inhouse-adapter\.json: this LoRA adapter was trained"):
        load_adapter(tiny_qwen_folder, trained.out)  # the same tokenizer, other weights


@pytest.fixture(scope="module")
def merged(trained: Any, env: Path) -> Path:
    from inhouse.models.registry import get_model

    folder, entry = merge_adapter(trained.out, env / "merged", name="acme-merged")
    assert entry is not None and get_model("acme-merged").path == folder
    return folder


def test_merged_model_answers_as_base_plus_adapter(merged: Path, tuned: tuple[Any, Any]) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = merged
    merged_model = AutoModelForCausalLM.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    for row in ticket_rows()[:4]:
        assert greedy(merged_model, tokenizer, row["text"]) == greedy(*tuned, row["text"])


@pytest.mark.slow  # about 90 s: the converter, then transformers dequantising its output
@pytest.mark.skipif(
    not os.environ.get(CONVERTER_ENV) or importlib.util.find_spec("gguf") is None,
    reason=f"needs llama.cpp's convert_hf_to_gguf.py in {CONVERTER_ENV} and gguf (docs/tune.md)",
)
def test_merged_model_converts_to_gguf(merged: Path, env: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    file = export_gguf(merged, env / "gguf" / "acme.gguf", Path(os.environ[CONVERTER_ENV]), "f32")
    assert file.read_bytes()[:4] == b"GGUF" and not list(file.parent.glob(".*.tmp"))
    from_gguf = AutoModelForCausalLM.from_pretrained(file.parent, gguf_file=file.name)
    tokenizer = AutoTokenizer.from_pretrained(file.parent, gguf_file=file.name)
    folder_model = AutoModelForCausalLM.from_pretrained(merged)
    for row in ticket_rows()[:2]:
        assert greedy(from_gguf, tokenizer, row["text"]) == greedy(
            folder_model, tokenizer, row["text"]
        )


def test_pii_never_reaches_training_examples(tokenizer: Any) -> None:
    pii = [
        "jo.smith@example.com",
        "+1 415 555 0132",
        "4111 1111 1111 1111",
        "DE89370400440532013000",
    ]
    frame = pl.DataFrame(
        {
            "ticket_id": ["a", "b"],
            "text": [f"mail me at {pii[0]} or call {pii[1]}", f"card {pii[2]} was charged"],
            "resolution": [f"We called {pii[1]}.", f"Refunded to {pii[3]}."],
        }
    )
    examples = ticket_examples(frame)
    seen = json.dumps([e.messages for e in examples])
    for e in examples:
        ids, _ = encode_example(tokenizer, e.messages, max_length=512)
        seen += tokenizer.decode(ids)
    for value in pii:
        assert value not in seen and value.replace(" ", "") not in seen.replace(" ", "")
    assert "[EMAIL]" in seen and "[PHONE]" in seen and "[CARD]" in seen and "[IBAN]" in seen


def test_reply_tokens_are_the_only_labels(tokenizer: Any) -> None:
    messages = [
        {"role": "user", "content": "my card is late"},
        {"role": "assistant", "content": "We resent your card."},
    ]
    ids, labels = encode_example(tokenizer, messages, max_length=512)
    learnt = [t for t in labels if t != -100]
    assert tokenizer.decode(learnt) == "We resent your card.<|im_end|>"
    assert ids[: len(ids) - len(learnt)] == prompt_ids(tokenizer, messages[:1])


def test_resume_after_kill_ends_at_the_same_loss(env: Path, base: Path, tickets: Path) -> None:
    reference = lora_tune(base, tickets, env / "uninterrupted", RESUME, progress=False)
    out = env / "killed"
    flags = [
        *("tune", "lora", "--base", str(base), "--data", str(tickets), "--out", str(out)),
        *("--epochs", "2", "--lr", "0.01", "--rank", "16", "--alpha", "16"),
        *("--batch-size", "4", "--checkpoint-every", "5"),
    ]
    command = [sys.executable, "-m", "inhouse", *flags]
    proc = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, SLEEP_AFTER_STEP_ENV: "7"},
    )
    try:
        assert proc.stderr is not None
        lines = []
        while (line := proc.stderr.readline()) and "sleeping after step 7" not in line:
            lines.append(line)
        assert line, "the run ended before step 7:\n" + "".join(lines)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    ckpt = checkpoint_dir(out)
    assert json.loads((ckpt / "run.json").read_text())["settings"]["checkpoint_every"] == 5
    assert not (out / RECORD).exists()  # killed at step 7: only the step-5 checkpoint is there
    with pytest.raises(InhouseError, match="add --resume to continue it"):
        lora_tune(base, tickets, out, RESUME, progress=False)
    resumed = lora_tune(base, tickets, out, RESUME, resume=True, progress=False)
    assert resumed.resumed_from == 5 and not ckpt.exists()
    assert read_adapter(out).log == resumed.log
    for a, b in zip(resumed.log, reference.log, strict=True):
        for key in ("train_loss", "eval_loss"):
            assert a[key] == pytest.approx(b[key], rel=RESUME_TOLERANCE)
    with pytest.raises(InhouseError, match="no checkpoint to resume from"):
        lora_tune(base, tickets, out, RESUME, resume=True, progress=False)
