"""User-facing errors: each says what is wrong, where, and how to fix it.

The CLI prints an `InhouseError` without a traceback and exits 2. Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class InhouseError(Exception):
    """A problem the user can fix: bad input, unknown model, missing data, wrong flag."""

    exit_code = 2


class ConfigError(InhouseError):
    """Settings or flags that do not fit together."""


class ModelError(InhouseError):
    """A model that is unknown, missing, unverified or incompatible."""


class UpstreamError(InhouseError):
    """A backend we call (a generator server) that is down, too slow, or not allowed."""


class DatasetError(InhouseError):
    """A benchmark dataset that is missing, unknown or fails its checksum."""


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: `file:line: column: reason`."""

    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"
        )


class DataError(InhouseError):
    """Malformed company data. Carries every problem found, up to a cap."""

    def __init__(self, problems: list[Problem], truncated: int = 0) -> None:
        assert problems, "DataError needs at least one problem"
        self.problems = problems
        self.truncated = truncated
        lines = [str(p) for p in problems]
        if truncated:
            lines.append(f"... and {truncated} more problems not shown")
        super().__init__("\n".join(lines))
