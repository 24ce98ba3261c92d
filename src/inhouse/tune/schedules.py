"""How many optimizer steps a run takes, and how the learning rate moves over them."""

from __future__ import annotations

from collections.abc import Callable

from inhouse.tune.batching import batches_per_epoch


def planned_steps(n: int, batch_size: int, epochs: float, max_steps: int | None = None) -> int:
    """Steps for `epochs` passes over `n` rows in batches of `batch_size` (at least one),
    capped at `max_steps`.

    >>> planned_steps(100, 32, epochs=1.5)   # 4 batches an epoch
    6
    """
    steps = max(1, int(round(epochs * batches_per_epoch(n, batch_size))))
    return steps if max_steps is None else min(steps, max_steps)


def warmup_linear(steps: int, warmup: int | None = None) -> Callable[[int], float]:
    """The learning-rate multiplier for step `s` (from 0) of `steps`: up linearly over `warmup`
    steps (default a tenth of them, at least one), then down linearly to 0 at `steps`.

    For `torch.optim.lr_scheduler.LambdaLR`:
    >>> f = warmup_linear(20)
    >>> f(0), f(1), f(11), f(20)
    (0.5, 1.0, 0.5, 0.0)
    """
    rise = max(1, steps // 10) if warmup is None else warmup

    def multiplier(s: int) -> float:
        return min((s + 1) / rise, max(0.0, (steps - s) / max(1, steps - rise)))

    return multiplier
