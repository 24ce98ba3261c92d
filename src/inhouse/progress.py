"""Progress of long steps: a Rich bar on a terminal, plain lines in a log.

When stdout is not a terminal (a pipe, a file, CI), a bar draws nothing useful, so `progress()`
gives a `PlainProgress` instead: same `add_task` / `advance` / `update` calls, printing to
stderr one line per task at most every `EVERY_S` seconds and when it finishes:

    12:03:04 recommend bench on acme: 3/11 (27%), 41 s elapsed, ETA 1 min 50 s

>>> with progress() as bar:  # doctest: +SKIP
...     task = bar.add_task("embedding", total=len(batches))
...     for b in batches:
...         bar.advance(task)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from rich.progress import TaskID

if TYPE_CHECKING:
    from rich.progress import Progress

EVERY_S = 30.0  # at most one plain line per task this often (and one when it is done)


def _duration(seconds: float) -> str:
    """`7 s`, `3 min 05 s`, `1 h 02 min`."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


@dataclass
class _Task:
    description: str
    total: float | None
    started: float
    completed: float = 0.0
    printed: float = 0.0  # clock of the last line printed
    done: bool = False


@dataclass
class PlainProgress:
    """Rich's `Progress` calls, written as plain lines: stage, done/total, ETA."""

    stream: TextIO | None = None
    """Where lines go (default: stderr at the time of writing)."""
    every: float = EVERY_S
    clock: Callable[[], float] = time.monotonic
    disable: bool = False
    tasks: dict[TaskID, _Task] = field(default_factory=dict)

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = 100.0, **_: Any) -> TaskID:
        key = TaskID(len(self.tasks))
        now = self.clock()
        self.tasks[key] = _Task(description, total, now, printed=now)
        return key

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        self.update(task_id, advance=advance)

    def update(
        self,
        task_id: TaskID,
        *,
        total: float | None = None,
        completed: float | None = None,
        advance: float | None = None,
        description: str | None = None,
        **_: Any,
    ) -> None:
        task = self.tasks[task_id]
        if total is not None:
            task.total = total
        if description is not None:
            task.description = description
        if completed is not None:
            task.completed = completed
        if advance is not None:
            task.completed += advance
        now = self.clock()
        finished = task.total is not None and task.completed >= task.total
        if self.disable or task.done or not (finished or now - task.printed >= self.every):
            return
        task.printed, task.done = now, finished
        print(self.line(task, now), file=self.stream or sys.stderr, flush=True)

    @staticmethod
    def line(task: _Task, now: float) -> str:
        elapsed = now - task.started
        done = f"{task.completed:,.0f}"
        if not task.total:
            return f"{time.strftime('%H:%M:%S')} {task.description}: {done}, {_duration(elapsed)}"
        share = task.completed / task.total
        left = elapsed * (1 - share) / share if share > 0 else None
        eta = (
            "done" if share >= 1 else ("ETA unknown" if left is None else f"ETA {_duration(left)}")
        )
        return (
            f"{time.strftime('%H:%M:%S')} {task.description}: {done}/{task.total:,.0f} "
            f"({share:.0%}), {_duration(elapsed)} elapsed, {eta}"
        )


def progress(disable: bool = False, console: Any = None) -> Progress | PlainProgress:
    """A transient Rich bar when stdout is a terminal, else `PlainProgress` lines on stderr."""
    if not sys.stdout.isatty():
        return PlainProgress(disable=disable)
    from rich.progress import Progress

    return Progress(transient=True, disable=disable, **({"console": console} if console else {}))
