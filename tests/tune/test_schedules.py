"""Step counts and the warm-up + linear-decay learning-rate multiplier."""

import pytest

from inhouse.tune.schedules import planned_steps, warmup_linear


def test_warmup_then_linear_decay_at_given_steps() -> None:
    f = warmup_linear(20)  # warm-up: a tenth of 20 steps = 2
    assert [f(s) for s in (0, 1, 2, 11, 19, 20, 25)] == pytest.approx(
        [0.5, 1.0, 1.0, 0.5, 1 / 18, 0.0, 0.0]
    )


def test_short_runs_warm_up_over_one_step() -> None:
    f = warmup_linear(5)  # 5 // 10 = 0, so one step of warm-up
    assert [f(s) for s in range(6)] == pytest.approx([1.0, 1.0, 0.75, 0.5, 0.25, 0.0])
    assert warmup_linear(1)(0) == 1.0


def test_explicit_warmup() -> None:
    f = warmup_linear(10, warmup=4)
    assert [f(0), f(3), f(4), f(7)] == pytest.approx([0.25, 1.0, 1.0, 0.5])


def test_planned_steps_round_epochs_and_cap() -> None:
    assert planned_steps(100, 32, epochs=1.0) == 4  # the last batch is short
    assert planned_steps(100, 32, epochs=1.5) == 6
    assert planned_steps(100, 32, epochs=0.01) == 1  # at least one step
    assert planned_steps(100, 32, epochs=3.0, max_steps=5) == 5
