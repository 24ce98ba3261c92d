"""The LoRA memorisation recipe the tests share: tickets with distinct resolutions, a tiny Qwen2
at a trained model's weight scale, and greedy replies to compare with what was learnt."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inhouse.generate.tiny import tiny_qwen
from inhouse.tune.lora import LoraSettings

THINGS = ["card", "parcel", "refund", "invoice", "password", "account", "order", "voucher"]
ISSUES = ["is late", "is missing", "was charged twice", "will not load", "is wrong"]
FIXES = ["We resent your", "We refunded the", "We reset your", "We fixed the", "We cancelled the"]
# every training ticket's exact resolution comes back for seeds 0, 1 and 2 (36/36 each)
MEMORISE = LoraSettings(epochs=12, lr=1e-2, rank=16, alpha=16, batch_size=4, eval_fraction=0.1)


def ticket_rows() -> list[dict[str, str]]:
    """40 tickets: a thing and an issue in, a short fix of that thing out (40 distinct pairs)."""
    return [
        {
            "ticket_id": f"t{i}",
            "text": f"my {THINGS[i % 8]} {ISSUES[i // 8]}",
            "resolution": f"{FIXES[i // 8]} {THINGS[i % 8]}.",
        }
        for i in range(40)
    ]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def trained_scale(src: Path, dst: Path, seed: int = 0) -> Path:
    """`tiny_qwen` with weights at a trained model's scale. Its std-0.02 init caps every logit
    near 1.3, too flat for a 150k-token vocabulary to be learnt in a few epochs; linear layers
    x6 (std 0.12, about 1/sqrt(64)) and embeddings x20 make the logits able to peak."""
    import torch
    from transformers import AutoModelForCausalLM

    tiny_qwen(src, seed=seed)
    model = AutoModelForCausalLM.from_pretrained(src)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "embed" in name:
                p.mul_(20.0)
            elif p.ndim == 2:
                p.mul_(6.0)
    model.save_pretrained(dst)
    for f in src.iterdir():
        if f.name.startswith("tokenizer") or f.suffix == ".jinja":
            shutil.copy(f, dst / f.name)
    return dst


def greedy(model: Any, tokenizer: Any, text: str) -> str:
    """The greedy reply (16 tokens at most) of a causal LM to one user message."""
    import torch

    from inhouse.tune.chat_data import prompt_ids

    ids = torch.tensor([prompt_ids(tokenizer, [{"role": "user", "content": text}])])
    out = model.generate(
        input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=16, do_sample=False
    )
    return str(tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)).strip()


# 8 texts, each answered differently by the two adapters (the fixes shifted by two)
TWO_ADAPTERS = {"support": 0, "billing": 2}
# every one of the 8 resolutions comes back, for both adapters, for LoRA seeds 0 and 1 on
# the seed-0 base (a step per epoch; /tmp measurements in the report of issue 12 item 4)
TWO_ADAPTER_SETTINGS = LoraSettings(
    epochs=24, lr=2e-2, rank=16, alpha=32, batch_size=8, eval_fraction=0.0
)


def adapter_rows(shift: int) -> list[dict[str, str]]:
    """One ticket per thing, all "is late"; the resolution's fix depends on `shift`."""
    return [
        {
            "ticket_id": f"t{i}",
            "text": f"my {t} is late",
            "resolution": f"{FIXES[(i + shift) % 5]} {t}.",
        }
        for i, t in enumerate(THINGS)
    ]


@contextmanager
def one_thread() -> Iterator[None]:
    """One torch thread: the tiny model's matrices are so small that a second thread only
    waits on the first (about 5x slower on 2 shared cores)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def train_adapters(base: Path, root: Path) -> dict[str, tuple[Path, dict[str, str]]]:
    """The adapters of `TWO_ADAPTERS` trained on `base` under `root`."""
    from inhouse.tune.lora import lora_tune

    out = {}
    with one_thread():
        for name, shift in TWO_ADAPTERS.items():
            rows = adapter_rows(shift)
            tickets = write_jsonl(root / f"{name}.jsonl", rows)
            lora_tune(base, tickets, root / name, TWO_ADAPTER_SETTINGS, progress=False)
            out[name] = (root / name, {r["text"]: r["resolution"] for r in rows})
    return out
