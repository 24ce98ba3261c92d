"""Numbers as people read them: plain decimals with units, never scientific notation.

>>> usd(7.98e-05), seconds(0.722), plain(0.00012345, 3)
('$0.000080', '0.72 s', '0.000123')
"""

from __future__ import annotations

import math


def plain(x: float, sig: int = 3) -> str:
    """`x` as a decimal with at least `sig` significant digits, thousands separated, no exponent.

    >>> plain(1234.5), plain(0.5), plain(0)
    ('1,234', '0.500', '0')
    """
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    decimals = max(0, sig - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}"


def usd(x: float, sig: int = 2) -> str:
    """Dollars: cents from $1 up, `sig` significant digits below ($0.000080)."""
    return f"${x:,.2f}" if abs(x) >= 1 else "$" + plain(x, sig)


def seconds(x: float) -> str:
    """0.72 s, 12 s, 1,234 s."""
    return f"{plain(x, 2)} s"


def ms(x: float) -> str:
    """1.5 ms, 0.031 ms."""
    return f"{plain(x, 2)} ms"


def interval(low: float, high: float, digits: int = 3) -> str:
    """A 95 % interval, as `0.910–0.948`."""
    return f"{low:.{digits}f}–{high:.{digits}f}"
