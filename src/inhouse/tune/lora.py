"""LoRA fine-tuning of a chat model on support tickets (customer text -> agent resolution), in a
plain torch loop over peft's LoRA layers, resumable after a crash.

    >>> report = lora_tune("SmolLM2-135M-Instruct", Path("tickets.jsonl"), Path("./acme-lora"))
    >>> report.log[-1]["eval_loss"]

Loss is on the assistant's tokens only. Each epoch visits the training tickets in batches of
similar length, in an order drawn from `(seed, epoch)`, so a resumed run sees exactly the
batches an uninterrupted one would. Every `checkpoint_every` steps the adapter, optimizer,
schedule, torch RNG and step go to `OUT.checkpoint/` atomically; `resume=True` continues from
there. The finished adapter is written to `OUT/` atomically, with its record
(`inhouse.tune.adapters.RECORD`), and the checkpoint is removed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inhouse.errors import ConfigError, DataError, InhouseError, Problem
from inhouse.files import atomic_dir, atomic_write_text

SLEEP_AFTER_STEP_ENV = "INHOUSE_TEST_SLEEP_AFTER_STEP"  # tests: stop (sleep) after step K
TRAINER_STATE = "trainer.pt"
RUN_FILE = "run.json"


@dataclass(frozen=True)
class LoraSettings:
    """How a LoRA run trains; the `inhouse tune lora` flags are these fields."""

    epochs: int = 3
    """Passes over the training tickets."""
    lr: float = 2e-4
    """Peak learning rate of AdamW (warm-up over the first tenth of steps, then linear decay)."""
    rank: int = 16
    """LoRA rank r of every adapted linear layer."""
    alpha: int = 32
    """LoRA alpha: the update is scaled by alpha / rank."""
    dropout: float = 0.0
    """Dropout on the LoRA path."""
    max_length: int = 512
    """Tokens per example at most (prompt and reply); longer ones are cut at the end."""
    batch_size: int = 8
    """Tickets per optimizer step."""
    eval_fraction: float = 0.1
    """Share of tickets held out (seeded) to report a held-out loss after each epoch."""
    seed: int = 0
    """Seeds the LoRA initialisation, the held-out split and every epoch's batch order."""
    checkpoint_every: int = 50
    """Steps between checkpoints (for `--resume` after a crash)."""

    def check(self) -> None:
        """A ConfigError naming the flag when a value cannot work."""
        limits = [
            ("--epochs", self.epochs >= 1, "at least 1"),
            ("--lr", self.lr > 0, "above 0"),
            ("--rank", self.rank >= 1, "at least 1"),
            ("--alpha", self.alpha > 0, "above 0"),
            ("--dropout", 0 <= self.dropout < 1, "in [0, 1)"),
            ("--max-length", self.max_length >= 8, "at least 8"),
            ("--batch-size", self.batch_size >= 1, "at least 1"),
            ("--eval-fraction", 0 <= self.eval_fraction < 1, "in [0, 1)"),
            ("--checkpoint-every", self.checkpoint_every >= 1, "at least 1"),
        ]
        for flag, ok, rule in limits:
            if not ok:
                value = getattr(self, flag[2:].replace("-", "_"))
                raise ConfigError(f"{flag} {value}: must be {rule}")


@dataclass
class TuneReport:
    """What a finished run did."""

    out: Path
    steps: int
    n_train: int
    n_eval: int
    skipped: int
    """Tickets left out: no resolution, or a prompt longer than `max_length`."""
    log: list[dict[str, float | None]] = field(default_factory=list)
    """One row per epoch: epoch, train_loss, eval_loss (None without a held-out split),
    tokens, seconds."""
    train_tokens_per_s: float = 0.0
    """Training tokens (prompt and reply, no padding) per second of this process's steps."""
    resumed_from: int = 0
    """The step the run continued from (0: a fresh start)."""


def checkpoint_dir(out: Path) -> Path:
    """Where the checkpoints of a run writing `out` live: `OUT.checkpoint` beside it."""
    return out.with_name(out.name + ".checkpoint")


def _batch_tensors(rows: list[tuple[list[int], list[int]]], pad_id: int) -> tuple[Any, ...]:
    import torch

    from inhouse.tune.chat_data import IGNORE

    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, (i, lab) in enumerate(rows):
        ids[r, : len(i)] = torch.tensor(i)
        labels[r, : len(lab)] = torch.tensor(lab)
        mask[r, : len(i)] = 1
    return ids, labels, mask


def reply_loss(causal_lm: Any, ids: Any, labels: Any, mask: Any) -> tuple[Any, int]:
    """Summed next-token cross-entropy over the labelled (reply) positions, and their count.

    The output layer runs on those positions only: with a 150k-token vocabulary, the logits of
    every prompt token would cost more than the rest of the model."""
    import torch.nn.functional as F

    from inhouse.tune.chat_data import IGNORE

    hidden = causal_lm.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state
    targets = labels[:, 1:]
    keep = targets != IGNORE
    logits = causal_lm.get_output_embeddings()(hidden[:, :-1][keep]).float()
    return F.cross_entropy(logits, targets[keep], reduction="sum"), int(keep.sum())


def _sha256(path: Path) -> str:
    from inhouse.models.weights import sha256_file

    return sha256_file(path, progress=False)


def lora_tune(
    base: str | Path,
    tickets: Path,
    out: Path,
    settings: LoraSettings | None = None,
    resume: bool = False,
    progress: bool = True,
) -> TuneReport:
    """Train a LoRA adapter of `base` (registry name, HF folder or .gguf) on the resolved
    tickets in `tickets` and write it to `out`; see the module docstring."""
    import numpy as np
    import torch
    from peft import LoraConfig, get_peft_model

    from inhouse.data import read_tickets
    from inhouse.tune.adapters import RECORD, AdapterRecord, load_base, resolve_base
    from inhouse.tune.batching import batches_per_epoch, length_batches
    from inhouse.tune.chat_data import encode_example, split_indices, ticket_examples
    from inhouse.tune.schedules import warmup_linear

    s = settings or LoraSettings()
    s.check()
    out, ckpt = Path(out), checkpoint_dir(Path(out))
    _check_folders(out, ckpt, resume)
    frame = read_tickets(tickets)
    examples = ticket_examples(frame)
    if not examples:
        raise DataError(
            [Problem(str(tickets), None, "resolution", "no ticket has a resolution to learn")]
        )
    ref = resolve_base(base)
    model, tokenizer = load_base(ref)
    encoded = [encode_example(tokenizer, e.messages, s.max_length) for e in examples]
    usable = [i for i, (_, lab) in enumerate(encoded) if any(x >= 0 for x in lab[1:])]
    if not usable:
        raise ConfigError(
            f"--max-length {s.max_length}: every prompt is longer than this, so no reply token "
            "is left to learn; raise it"
        )
    train_pos, eval_pos = split_indices(len(usable), s.eval_fraction, s.seed)
    train = [encoded[usable[i]] for i in train_pos]
    held = [encoded[usable[i]] for i in eval_pos]
    run = {
        "base_sha256": ref.sha256,
        "data_sha256": _sha256(Path(tickets)),
        "settings": asdict(s),
    }
    per_epoch = batches_per_epoch(len(train), s.batch_size)
    total = s.epochs * per_epoch

    torch.manual_seed(s.seed)
    config = LoraConfig(
        r=s.rank,
        lora_alpha=s.alpha,
        lora_dropout=s.dropout,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    tuned = get_peft_model(model, config)
    causal_lm = tuned.get_base_model()
    trainable = [p for p in tuned.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=s.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_linear(total))
    state: dict[str, Any] = {"step": 0, "log": [], "loss_sum": 0.0, "labels": 0, "tokens": 0}
    if resume:
        state = _load_checkpoint(ckpt, run, tuned, optimizer, schedule)
    resumed_from = state["step"]
    pad = tokenizer.pad_token_id

    def evaluate() -> float | None:
        if not held:
            return None
        tuned.eval()
        total_loss, count = 0.0, 0
        with torch.no_grad():
            for b in range(0, len(held), s.batch_size):
                loss, n = reply_loss(causal_lm, *_batch_tensors(held[b : b + s.batch_size], pad))
                total_loss, count = total_loss + float(loss), count + n
        tuned.train()
        return total_loss / max(1, count)

    lengths = [len(ids) for ids, _ in train]
    order: tuple[int, list[Any]] = (-1, [])
    sleep_after = int(os.environ.get(SLEEP_AFTER_STEP_ENV, "0") or 0)
    step_seconds, step_tokens, epoch_start = 0.0, 0, time.perf_counter()
    tuned.train()
    with _bar(total, state["step"], progress) as tick:
        for step in range(state["step"], total):
            epoch, index = divmod(step, per_epoch)
            if order[0] != epoch:
                order = (epoch, length_batches(lengths, s.batch_size, _rng(np, s.seed, epoch)))
            rows = [train[int(i)] for i in order[1][index]]
            start = time.perf_counter()
            ids, labels, mask = _batch_tensors(rows, pad)
            loss_sum, n = reply_loss(causal_lm, ids, labels, mask)
            (loss_sum / max(1, n)).backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            tokens = int(mask.sum())
            step_seconds += time.perf_counter() - start
            step_tokens += tokens
            state["loss_sum"] += float(loss_sum.detach())
            state["labels"] += n
            state["tokens"] += tokens
            state["step"] = step + 1
            if index == per_epoch - 1:
                state["log"].append(
                    {
                        "epoch": epoch + 1,
                        "train_loss": state["loss_sum"] / max(1, state["labels"]),
                        "eval_loss": evaluate(),
                        "tokens": state["tokens"],
                        "seconds": time.perf_counter() - epoch_start,
                    }
                )
                state.update(loss_sum=0.0, labels=0, tokens=0)
                epoch_start = time.perf_counter()
            if state["step"] % s.checkpoint_every == 0 and state["step"] < total:
                _save_checkpoint(ckpt, run, tuned, optimizer, schedule, state)
            tick(epoch, float(loss_sum.detach()) / max(1, n), step_tokens / max(step_seconds, 1e-9))
            if state["step"] == sleep_after:
                print(f"sleeping after step {sleep_after}", file=sys.stderr, flush=True)
                time.sleep(3600)

    tuned.eval()
    record = AdapterRecord(
        base=ref,
        settings=asdict(s),
        data={
            "file": str(tickets),
            "sha256": run["data_sha256"],
            "n_train": len(train),
            "n_eval": len(held),
            "skipped": frame.height - len(usable),
            "eval_ticket_ids": [examples[usable[i]].ticket_id for i in eval_pos],
        },
        log=state["log"],
    )
    with atomic_dir(out) as tmp:
        tuned.save_pretrained(str(tmp))
        atomic_write_text(tmp / RECORD, record.model_dump_json(indent=2) + "\n")
    shutil.rmtree(ckpt, ignore_errors=True)
    return TuneReport(
        out=out,
        steps=total,
        n_train=len(train),
        n_eval=len(held),
        skipped=frame.height - len(usable),
        log=state["log"],
        train_tokens_per_s=step_tokens / max(step_seconds, 1e-9),
        resumed_from=resumed_from,
    )


def _rng(np: Any, seed: int, epoch: int) -> Any:
    """The batch order of `epoch` depends on (seed, epoch) only, never on earlier epochs."""
    return np.random.default_rng([seed, epoch])


def _check_folders(out: Path, ckpt: Path, resume: bool) -> None:
    from inhouse.tune.adapters import RECORD

    if resume and not ckpt.is_dir():
        done = " (the run finished: its adapter is there)" if (out / RECORD).is_file() else ""
        raise InhouseError(f"{ckpt}: no checkpoint to resume from{done}; drop --resume")
    if not resume and ckpt.is_dir():
        raise InhouseError(
            f"{ckpt}: a checkpoint of an interrupted run is here; add --resume to continue it, "
            "or delete the folder to start again"
        )
    if not resume and out.exists() and any(out.iterdir()):
        raise InhouseError(f"{out}: exists and is not empty; choose another --out or delete it")


def _save_checkpoint(
    ckpt: Path, run: dict, tuned: Any, optimizer: Any, schedule: Any, state: dict
) -> None:
    import torch

    with atomic_dir(ckpt) as tmp:
        tuned.save_pretrained(str(tmp))
        torch.save(
            {
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "state": state,
            },
            tmp / TRAINER_STATE,
        )
        atomic_write_text(tmp / RUN_FILE, json.dumps(run, indent=2) + "\n")


def _load_checkpoint(ckpt: Path, run: dict, tuned: Any, optimizer: Any, schedule: Any) -> dict:
    """Put the checkpoint's adapter, optimizer, schedule and RNG back; returns its loop state.
    A checkpoint of another base, data file or settings is refused."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    saved = json.loads((ckpt / RUN_FILE).read_text(encoding="utf-8"))
    for key, what in (("base_sha256", "base model"), ("data_sha256", "tickets file")):
        if saved[key] != run[key]:
            raise InhouseError(
                f"{ckpt / RUN_FILE}: the checkpoint was made with another {what}; resume with "
                "the same --base and --data, or delete the checkpoint to start again"
            )
    changed = [k for k in run["settings"] if saved["settings"].get(k) != run["settings"][k]]
    if changed:
        flags = ", ".join(f"--{k.replace('_', '-')} {saved['settings'].get(k)}" for k in changed)
        raise ConfigError(
            f"{ckpt / RUN_FILE}: the checkpoint was made with {flags}; resume with those"
        )
    set_peft_model_state_dict(tuned, load_file(str(ckpt / "adapter_model.safetensors")))
    trainer = torch.load(ckpt / TRAINER_STATE, weights_only=True)
    optimizer.load_state_dict(trainer["optimizer"])
    schedule.load_state_dict(trainer["schedule"])
    torch.set_rng_state(trainer["torch_rng"])
    return dict(trainer["state"])


@contextmanager
def _bar(total: int, done: int, enabled: bool) -> Iterator[Callable[[int, float, float], None]]:
    """A progress bar over the run's steps showing epoch, loss and tokens/s, with Rich's ETA
    (or `PlainProgress` lines off a terminal)."""
    from inhouse.progress import progress

    with progress(disable=not enabled) as bar:
        task = bar.add_task("LoRA tuning", total=total)
        if done:
            bar.update(task, completed=done)

        def tick(epoch: int, loss: float, tokens_per_s: float) -> None:
            bar.update(
                task,
                advance=1,
                description=f"LoRA epoch {epoch + 1} loss {loss:.3f} {tokens_per_s:,.0f} tok/s",
            )

        yield tick
