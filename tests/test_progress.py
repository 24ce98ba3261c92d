"""Plain progress lines off a terminal: stage, done/total, ETA; throttled; one when done."""

from __future__ import annotations

import io

from inhouse.progress import PlainProgress, progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lines_give_stage_done_total_and_eta_at_most_every_interval() -> None:
    out, clock = io.StringIO(), Clock()
    with PlainProgress(stream=out, every=10, clock=clock) as bar:
        task = bar.add_task("recommend bench on acme", total=4)
        clock.now = 5
        bar.advance(task)  # too soon after the start: no line
        clock.now = 20
        bar.advance(task)  # 2/4 after 20 s: 20 s to go
        clock.now = 21
        bar.advance(task)  # 1 s after the last line: none
        clock.now = 40
        bar.advance(task)  # done: always a line
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("recommend bench on acme: 2/4 (50%), 20 s elapsed, ETA 20 s")
    assert lines[1].endswith("recommend bench on acme: 4/4 (100%), 40 s elapsed, done")


def test_long_durations_read_as_minutes_and_hours() -> None:
    out, clock = io.StringIO(), Clock()
    bar = PlainProgress(stream=out, every=1, clock=clock)
    task = bar.add_task("embedding", total=100)
    clock.now = 125
    bar.update(task, completed=1)
    assert "1/100 (1%), 2 min 05 s elapsed, ETA 3 h 26 min" in out.getvalue()


def test_off_a_terminal_progress_is_plain_lines(capsys) -> None:
    assert isinstance(progress(), PlainProgress)  # pytest's captured stdout is not a terminal
    with progress() as bar:
        bar.advance(bar.add_task("fitting", total=1))
    assert "fitting: 1/1 (100%)" in capsys.readouterr().err
