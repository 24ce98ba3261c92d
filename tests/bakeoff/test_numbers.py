"""Plain decimals with units, never scientific notation."""

from __future__ import annotations

from inhouse.bakeoff.numbers import interval, ms, plain, seconds, usd


def test_small_and_large_numbers_read_as_plain_decimals() -> None:
    assert usd(7.98e-05) == "$0.000080"
    assert usd(2.7e-5) == "$0.000027" and usd(0.05) == "$0.050" and usd(87.66) == "$87.66"
    assert usd(12345.678) == "$12,345.68"
    assert seconds(0.722) == "0.72 s" and seconds(12.0) == "12 s" and seconds(1234.4) == "1,234 s"
    assert ms(0.0723) == "0.072 ms" and ms(1.5) == "1.5 ms"
    assert plain(1e-9, 2) == "0.0000000010" and plain(0) == "0" and plain(-0.5) == "-0.500"
    assert interval(0.76, 1.0) == "0.760–1.000"
