"""Supervised fine-tuning of a sentence-transformers encoder for routing: cross-entropy on a
linear head over mean-pooled states, the lowest `frozen_layers` blocks kept fixed.

Batches are cut from length-sorted texts (little padding, much faster on CPU) and visited in
a seeded random order; warm-up 10 % then linear decay; label smoothing.

With `soft_targets` (a teacher's class probabilities, one row per text, columns in sorted class
order) the loss is knowledge distillation (Hinton et al., 2015): `distill_weight` × the
KL divergence from the teacher's distribution to the student's, both softened by
`temperature` and scaled by its square, plus the rest × the hard-label cross-entropy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from inhouse.tune.batching import length_batches
from inhouse.tune.loop import progress_bar
from inhouse.tune.schedules import planned_steps, warmup_linear


def _freeze(hf: Any, frozen_layers: int) -> None:
    """Fix the embeddings and the lowest `frozen_layers` transformer blocks."""
    layers = hf.encoder.layer
    for module in [hf.embeddings, *list(layers)[:frozen_layers]]:
        for p in module.parameters():
            p.requires_grad_(False)


def classify_tune(
    model: Any,
    texts: Sequence[str],
    intents: Sequence[str],
    epochs: float = 2.0,
    batch_size: int = 32,
    lr: float = 1e-4,
    head_lr: float = 2e-3,
    frozen_layers: int = 0,
    label_smoothing: float = 0.1,
    max_length: int = 48,
    max_steps: int | None = None,
    seed: int = 0,
    progress: bool = True,
    soft_targets: np.ndarray | None = None,
    distill_weight: float = 0.5,
    temperature: float = 2.0,
) -> dict[str, float]:
    """Tune a `SentenceTransformer` (first module a Hugging Face encoder) in place.

    Returns the step count and the mean loss of the last 50 steps. The head is thrown away:
    the router fits its own head on the tuned features afterwards.
    """
    import torch

    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    hf, tokenizer = model[0].auto_model, model.tokenizer
    classes = sorted(set(intents))
    index = {c: i for i, c in enumerate(classes)}
    y = torch.tensor([index[i] for i in intents])
    teacher = None
    if soft_targets is not None:
        if soft_targets.shape != (len(texts), len(classes)):
            expected = (len(texts), len(classes))
            raise ValueError(
                f"soft_targets has shape {soft_targets.shape}; expected {expected} "
                "(one row per text, one column per intent in sorted order)"
            )
        soft = np.log(np.clip(soft_targets, 1e-8, None)) / temperature
        teacher = torch.softmax(torch.tensor(soft, dtype=torch.float32), dim=1)
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    lengths = [len(ids) for ids in encoded]
    steps = planned_steps(len(texts), batch_size, epochs, max_steps)
    _freeze(hf, frozen_layers)
    head = torch.nn.Linear(hf.config.hidden_size, len(classes))
    trainable = [p for p in hf.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": trainable, "lr": lr},
            {"params": head.parameters(), "lr": head_lr},
        ],
        weight_decay=0.01,
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_linear(steps))
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    hf.train()
    losses: list[float] = []
    batches: list[np.ndarray] = []
    with progress_bar("fine-tuning router encoder", steps, progress) as tick:
        for _ in range(steps):
            if not batches:
                batches = length_batches(lengths, batch_size, rng)
            rows = batches.pop()
            batch = tokenizer.pad({"input_ids": [encoded[i] for i in rows]}, return_tensors="pt")
            states = hf(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            logits = head(pooled)
            loss = loss_fn(logits, y[rows])
            if teacher is not None:
                student = torch.log_softmax(logits / temperature, dim=1)
                kl = torch.nn.functional.kl_div(student, teacher[rows], reduction="batchmean")
                loss = (1 - distill_weight) * loss + distill_weight * temperature**2 * kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(float(loss.detach()))
            tick()
    hf.eval()
    for p in hf.parameters():
        p.requires_grad_(True)
    return {"steps": float(steps), "final_loss": float(np.mean(losses[-50:]))}
