"""The percentile bootstrap of per-example means: seeded, shared draws, exact for 0/1 values."""

from __future__ import annotations

import numpy as np
import pytest

from inhouse.eval.bootstrap import binary_interval, intervals


def test_interval_brackets_the_mean_and_narrows_with_more_examples() -> None:
    rng = np.random.default_rng(3)
    small = (rng.random(25) < 0.8).astype(float)
    large = (rng.random(2500) < 0.8).astype(float)
    (lo_s, hi_s), (lo_l, hi_l) = intervals({"a": small})["a"], intervals({"a": large})["a"]
    assert lo_s <= small.mean() <= hi_s and lo_l <= large.mean() <= hi_l
    # the standard error falls as 1/sqrt(n): 100× the examples, about a tenth of the width
    assert 0.05 < (hi_l - lo_l) / (hi_s - lo_s) < 0.2


def test_seeded_and_the_same_draws_for_every_metric() -> None:
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    both = intervals({"x": values, "y": values})
    a = intervals({"x": values})["x"]
    assert both["x"] == both["y"] == a  # the same examples resampled for each metric
    assert intervals({"x": values})["x"] == a  # seeded: the same interval every run
    assert intervals({"x": [1.0] * 10}) == {"x": (1.0, 1.0)}
    assert intervals({"x": []}) == {}


def test_unequal_lengths_are_a_bug() -> None:
    with pytest.raises(AssertionError, match="unequal length"):
        intervals({"x": [1.0, 0.0], "y": [1.0]})


def test_a_published_accuracy_is_resampled_as_its_count_correct() -> None:
    # 0.877 of 3,080 = 2,701 correct; the interval of that 0/1 vector, about ±1.2 points
    low, high = binary_interval(0.877, 3080)
    assert low == intervals({"m": [1.0] * 2701 + [0.0] * 379})["m"][0]
    assert 0.86 < low < 0.877 < high < 0.89
