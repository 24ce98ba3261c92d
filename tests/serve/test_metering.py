"""Spans for `--since`, and the CPU time of a thread."""

from __future__ import annotations

import time

import pytest

from inhouse.errors import InhouseError
from inhouse.serve.metering import Meter, parse_since, tokens


def test_since_spans_and_dates() -> None:
    assert parse_since("7d", now=1_000_000.0) == 1_000_000.0 - 7 * 86400
    assert parse_since("90m", now=10_000.0) == 10_000.0 - 5400
    assert parse_since("1970-01-02") == 86400
    with pytest.raises(InhouseError, match="--since 'last week'"):
        parse_since("last week")


def test_meter_counts_cpu_not_sleep_and_wall_time_of_both() -> None:
    with Meter() as meter:
        time.sleep(0.05)
    assert meter.cpu_seconds < 0.02 and meter.seconds >= 0.05
    with Meter() as busy:
        sum(i * i for i in range(300_000))
    assert busy.cpu_seconds > 0.005


def test_tokens_are_exact() -> None:
    assert tokens(["Hello world"], "o200k") == 2 and tokens([], "o200k") == 0
