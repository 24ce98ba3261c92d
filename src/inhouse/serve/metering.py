"""What one request costs: exact tokens in and out, CPU seconds of its own thread, and USD.

    >>> with Meter() as meter:
    ...     vectors = embedder.embed(texts)
    >>> meter.cpu_seconds, meter.seconds
    (0.0123, 0.0125)

Tokens are counted with the bake-off's tokenizers (`inhouse.bakeoff.tokens`), in the family the
config names, so usage compares to the per-token prices of the APIs the server replaces.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType

from inhouse.bakeoff.prices import Tokenizer
from inhouse.bakeoff.tokens import count_tokens
from inhouse.errors import InhouseError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass
class Meter:
    """CPU time of the current thread (`time.thread_time`) and wall time between enter and exit,
    added up over each use. The wall time of a request's model calls is what the server reports
    as `x-inhouse-compute-ms`; its CPU seconds are what its usage row bills."""

    cpu_seconds: float = 0.0
    seconds: float = 0.0
    _start: tuple[float, float] = field(default=(0.0, 0.0), repr=False, compare=False)

    def __enter__(self) -> Meter:
        self._start = time.thread_time(), time.perf_counter()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cpu_seconds += time.thread_time() - self._start[0]
        self.seconds += time.perf_counter() - self._start[1]


def tokens(texts: Sequence[str], tokenizer: Tokenizer) -> int:
    """Total tokens of `texts` in `tokenizer`'s family."""
    return sum(count_tokens(list(texts), tokenizer)) if texts else 0


def parse_since(text: str, now: float | None = None) -> float:
    """`7d`, `12h`, `30m`, `2w` or an ISO date (`2026-12-01`) as a unix time."""
    now = time.time() if now is None else now
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if m:
        return now - float(m.group(1)) * UNITS[m.group(2)]
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InhouseError(
            f"--since {text!r}: give a span such as 7d, 12h or 30m, or a date such as 2026-12-01"
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
