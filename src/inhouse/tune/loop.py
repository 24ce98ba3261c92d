"""What every training loop shares: a progress bar, and a per-epoch log of loss and time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(
    description: str, total: int, enabled: bool = True
) -> Iterator[Callable[[], None]]:
    """A transient rich progress bar of `total` ticks (plain lines off a terminal, see
    `inhouse.progress`); yields the function that ticks it."""
    from inhouse.progress import progress

    with progress(disable=not enabled) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def epoch_log(epochs: int, run_epoch: Callable[[int], float]) -> list[dict[str, float]]:
    """Call `run_epoch(epoch)` (returns the epoch's loss) for each epoch from 0; the log has
    one `{"epoch": 1-based, "loss", "seconds"}` row per epoch."""
    log: list[dict[str, float]] = []
    for epoch in range(epochs):
        start = time.perf_counter()
        loss = run_epoch(epoch)
        log.append({"epoch": epoch + 1, "loss": loss, "seconds": time.perf_counter() - start})
    return log
