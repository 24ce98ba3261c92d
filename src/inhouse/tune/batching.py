"""Which rows go into which batch, and in what order the batches are visited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def batches_per_epoch(n: int, batch_size: int) -> int:
    """Batches in one pass over `n` rows (the last one may be short)."""
    return (n + batch_size - 1) // batch_size


def length_batches(
    lengths: Sequence[int] | np.ndarray, batch_size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Row indices cut into batches of similar length, visited in a seeded random order.

    Rows are sorted by length (ties in random order) and cut into consecutive batches, so a
    batch pads little; the batches are then shuffled. Draws `len(lengths)` uniforms, then one
    permutation of the batches, from `rng`.
    """
    order = np.lexsort((rng.random(len(lengths)), np.asarray(lengths)))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def consecutive_batches(n: int, batch_size: int, min_size: int = 1) -> list[range]:
    """Rows 0..n-1 in order, cut into batches of `batch_size`; a last batch shorter than
    `min_size` is dropped (in-batch negatives need at least two rows)."""
    batches = [range(b, min(b + batch_size, n)) for b in range(0, n, batch_size)]
    return [b for b in batches if len(b) >= min_size]


def shuffled_batches(n: int, batch_size: int) -> Any:
    """A `torch.randperm(n)` cut into batches of `batch_size` (draws from torch's global RNG)."""
    import torch

    return torch.randperm(n).split(batch_size)
