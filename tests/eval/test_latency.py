"""The one timing of every bench: sleeping costs wall-clock time but no CPU, burning CPU costs
both, warm-up is not timed, and other threads' CPU is not the request's."""

from __future__ import annotations

import threading
import time

import pytest

from inhouse.eval.latency import CPU_STATISTIC, measure, percentiles
from inhouse.eval.results import SystemResult


def _sleep(ms: float) -> None:
    time.sleep(ms / 1000)


def _burn(ms: float) -> None:
    start = time.thread_time()
    while (time.thread_time() - start) * 1000 < ms:
        pass


def test_sleep_raises_wall_time_but_not_cpu() -> None:
    timing = measure(lambda _: _sleep(20), range(8))
    assert timing.requests == 8
    assert timing.wall.p50 >= 19.5
    assert timing.cpu_ms_per_request < 5 < timing.wall.p50


def test_burning_cpu_raises_both_and_wall_is_at_least_cpu() -> None:
    sleep, burn = measure(lambda _: _sleep(10), range(8)), measure(lambda _: _burn(10), range(8))
    assert burn.cpu_ms_per_request >= 10 > sleep.cpu_ms_per_request
    assert burn.cpu.p50 >= 10 and burn.wall.p50 >= burn.cpu.p50 - 0.5
    assert burn.wall.p50 <= burn.wall.p95 <= burn.wall.p99


def test_cpu_of_other_threads_is_not_counted() -> None:
    def hand_off(_: int) -> None:
        worker = threading.Thread(target=_burn, args=(20,))
        worker.start()
        worker.join()

    timing = measure(hand_off, range(4))
    assert timing.wall.p50 >= 19.5 and timing.cpu_ms_per_request < 10


def test_warmup_runs_first_and_is_not_timed() -> None:
    calls: list[str] = []
    timing = measure(
        lambda x: calls.append(x), ["a", "b"], warmup=lambda: (_sleep(200), calls.append("warm"))
    )
    assert calls == ["warm", "a", "b"]
    assert timing.wall.p99 < 100


def test_torch_runs_on_one_thread_while_timed_and_is_restored() -> None:
    torch = pytest.importorskip("torch")
    before, seen = torch.get_num_threads(), []
    measure(lambda _: seen.append(torch.get_num_threads()), range(2))
    assert seen == [1, 1] and torch.get_num_threads() == before


def test_fields_make_a_bench_row_that_names_its_cpu_statistic() -> None:
    fields = measure(lambda _: _burn(1), range(3)).fields()
    row = SystemResult.model_validate({"name": "x", "kind": "baseline", "metrics": {}, **fields})
    extra = row.model_extra or {}
    assert extra["cpu_statistic"] == CPU_STATISTIC and extra["cpu_ms_per_request"] >= 1
    assert row.latency_ms is not None and set(extra["cpu_latency_ms"]) == {"p50", "p95", "p99"}


def test_percentiles_by_hand() -> None:
    lat = percentiles([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (lat.p50, lat.p95) == (3.0, pytest.approx(4.8))


def test_timing_records_the_machine_load() -> None:
    from inhouse.eval.latency import cores, machine_load, measure

    load = machine_load(before=1000.0)
    assert load is not None and load["load_1min"] == 1000.0 and load["cores"] == cores()
    assert load["per_core"] == round(1000.0 / cores(), 2)
    timing = measure(lambda x: x, [1, 2, 3])
    assert timing.fields()["timing_load"]["cores"] == cores()
