"""Contrastive tuning of a sentence-transformers encoder on (query, positive) text pairs: the
other positives of a batch are the negatives (as `MultipleNegativesRankingLoss` computes it).
A plain loop: the library's Trainer would pull in `datasets` and `accelerate` for a few hundred
steps."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from inhouse.tune.batching import batches_per_epoch, consecutive_batches
from inhouse.tune.loop import epoch_log, progress_bar


def in_batch_negatives_loss(queries: Any, docs: Any, scale: float = 20.0) -> Any:
    """Mean cross-entropy of each query picking its own doc (same row) among all docs of the
    batch, on cosine similarities times `scale`. Tensors of shape (batch, dim)."""
    import torch
    import torch.nn.functional as F

    scores = torch.mm(F.normalize(queries, p=2, dim=-1), F.normalize(docs, p=2, dim=-1).T) * scale
    rows = torch.arange(len(scores))
    return -(scores[rows, rows] - torch.logsumexp(scores, dim=1)).mean()


def contrastive_tune(
    model: Any,
    pairs: Sequence[tuple[str, str]],
    epochs: int = 1,
    batch_size: int = 32,
    lr: float = 3e-5,
    shuffle_seed: int | None = None,
    description: str = "contrastive tuning",
    progress: bool = True,
) -> list[dict[str, float]]:
    """Tune a `SentenceTransformer` in place with AdamW; returns a row per epoch with the sum of
    its batch losses.

    Batches are consecutive runs of `pairs` (a last single pair is skipped: it has no negative).
    With `shuffle_seed`, the pairs are shuffled before epoch `e` by `random.Random(seed + e)`,
    each epoch from the previous one's order. Dropout draws from torch's global RNG: seed it
    before calling.
    """
    import torch

    order = list(pairs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()

    def embed(texts: list[str]) -> Any:
        return model(model.preprocess(texts))["sentence_embedding"]

    with progress_bar(
        description, epochs * batches_per_epoch(len(order), batch_size), progress
    ) as tick:

        def run_epoch(epoch: int) -> float:
            if shuffle_seed is not None:
                random.Random(shuffle_seed + epoch).shuffle(order)
            total = 0.0
            for rows in consecutive_batches(len(order), batch_size, min_size=2):
                batch = [order[i] for i in rows]
                queries = embed([q for q, _ in batch])
                loss = in_batch_negatives_loss(queries, embed([p for _, p in batch]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item()
                tick()
            return total

        log = epoch_log(epochs, run_epoch)
    model.eval()
    return log
