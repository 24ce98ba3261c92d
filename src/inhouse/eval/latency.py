"""The one per-request timing every bench uses: wall-clock p50/p95/p99 and CPU ms per request.

>>> timing = measure(lambda text: router.predict([text]), texts[:500])
>>> timing.fields()["cpu_ms_per_request"]
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from inhouse.eval.results import Latency, SystemResult

T = TypeVar("T")

# The cost figure: a server runs one request per worker thread, so the CPU a request costs is
# what its own thread spends (time.thread_time), not the whole process's (which counts other
# threads, and spin-waiting thread pools). Torch and BLAS are held at one thread while timing so
# that all of a request's work runs on that thread. The mean, not the p50: the bill is the sum.
CPU_STATISTIC = "mean thread CPU ms per request (torch and BLAS at one thread)"


@dataclass(frozen=True)
class Timing:
    """What one measurement found: wall-clock and thread-CPU ms of each request, summarised."""

    wall: Latency
    """Wall-clock latency percentiles, ms."""
    cpu: Latency
    """Thread-CPU time percentiles, ms."""
    cpu_ms_per_request: float
    """Mean thread-CPU ms per request: the figure the bake-off prices."""
    requests: int
    """How many requests were timed."""
    load: dict[str, float] | None = None
    """The machine's 1-minute load average (the higher of before and after timing; the minute
    before also covers the end of the fit), its core count and their ratio, `per_core`."""

    def fields(self) -> dict[str, Any]:
        """The bench row's timing fields: `latency_ms` plus the extra CPU fields."""
        return {
            "latency_ms": self.wall,
            "cpu_ms_per_request": round(self.cpu_ms_per_request, 4),
            "cpu_latency_ms": self.cpu.model_dump(),
            "cpu_statistic": CPU_STATISTIC,
            "timing_load": self.load,
        }

    def row(
        self,
        name: str,
        kind: str,
        metrics: Mapping[str, float | None],
        fit_seconds: float,
        **extra: Any,
    ) -> SystemResult:
        """A bench row: the system, its test metrics and fit time, these timing fields and
        `extra` (fields that document the run)."""
        return SystemResult.model_validate(
            {"name": name, "kind": kind, "metrics": dict(metrics), "fit_seconds": fit_seconds}
            | self.fields()
            | extra
        )


def cores() -> int:
    """The cores this process may run on (the affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def machine_load(before: float | None = None) -> dict[str, float] | None:
    """The 1-minute load average now (or `before`, if higher), the core count and their ratio;
    None where the platform has no load average."""
    try:
        now = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    load, n = max(now, before or 0.0), cores()
    return {"load_1min": round(load, 2), "cores": n, "per_core": round(load / n, 2)}


def percentiles(ms: Sequence[float]) -> Latency:
    """p50/p95/p99 of a list of milliseconds."""
    p50, p95, p99 = np.percentile(np.asarray(ms, dtype=float), [50, 95, 99])
    return Latency(p50=float(p50), p95=float(p95), p99=float(p99))


@contextmanager
def one_thread() -> Iterator[None]:
    """Hold torch and BLAS/OpenMP pools at one thread, as one worker per core serves."""
    import torch
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    blas = threadpool_limits(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        blas.restore_original_limits()


def measure(
    request: Callable[[T], object],
    inputs: Sequence[T],
    warmup: Callable[[], object] | None = None,
) -> Timing:
    """Run `request` on each input, one at a time, after `warmup`; time each call.

    `request` must do its work on the calling thread (torch and BLAS are held at one thread
    here); work it hands to other threads is not counted as CPU.
    """
    assert inputs, "measure needs at least one request"
    wall, cpu = [], []
    start = machine_load()
    with one_thread():
        if warmup is not None:
            warmup()
        for x in inputs:
            w0, c0 = time.perf_counter(), time.thread_time()
            request(x)
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
    return Timing(
        wall=percentiles(wall),
        cpu=percentiles(cpu),
        cpu_ms_per_request=float(np.mean(cpu)),
        requests=len(cpu),
        load=machine_load(start["load_1min"] if start else None),
    )
