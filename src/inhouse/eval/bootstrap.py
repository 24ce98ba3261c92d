"""95 % percentile-bootstrap intervals of test metrics that are means over examples.

>>> intervals({"accuracy": [1, 1, 0, 1]})["accuracy"]  # (low, high)
(0.25, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

RESAMPLES = 1000
SEED = 0
LEVEL = 0.95
CHUNK = 4_000_000  # resampled values drawn at a time, to bound memory on large test sets


def intervals(
    per_example: Mapping[str, Sequence[float] | np.ndarray],
    resamples: int = RESAMPLES,
    seed: int = SEED,
    level: float = LEVEL,
) -> dict[str, tuple[float, float]]:
    """metric -> (low, high): the percentile bootstrap of the mean of its per-example values.

    Every metric is resampled with the same seeded draws of examples (the metrics of one system
    share their examples); a metric with no example gets no interval.
    """
    values = {m: np.asarray(v, dtype=float) for m, v in per_example.items() if len(v)}
    if not values:
        return {}
    sizes = {len(v) for v in values.values()}
    assert len(sizes) == 1, f"per-example values of unequal length: {sizes}"
    n = sizes.pop()
    rng = np.random.default_rng(seed)
    means: dict[str, list[np.ndarray]] = {m: [] for m in values}
    step = max(1, CHUNK // n)
    for start in range(0, resamples, step):
        picks = rng.integers(0, n, size=(min(step, resamples - start), n), dtype=np.int64)
        for m, v in values.items():
            means[m].append(v[picks].mean(axis=1))
    tail = (1.0 - level) / 2 * 100
    out = {}
    for m, chunks in means.items():
        low, high = np.percentile(np.concatenate(chunks), [tail, 100 - tail])
        out[m] = (float(low), float(high))
    return out


def binary_interval(
    value: float, n: int, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float]:
    """The bootstrap interval of an accuracy `value` reported on `n` examples (a published
    figure): the per-example values are round(value·n) ones and the rest zeros, which is all
    a bootstrap of a mean of 0/1 values depends on."""
    k = round(value * n)
    return intervals({"m": [1.0] * k + [0.0] * (n - k)}, resamples, seed)["m"]
