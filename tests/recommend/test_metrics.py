"""evaluate() on a known answer: history excluded, unanswerable cases skipped."""

from __future__ import annotations

from inhouse.datasets.types import RecCase
from inhouse.recommend.metrics import evaluate
from inhouse.recommend.registry import make

from . import checkerboard as cb


def test_evaluate_excludes_history_and_skips_unanswerable_cases() -> None:
    model = make("cooc")
    model.fit(cb.events(), cb.catalog())
    cases = [
        RecCase("x", ["a0", "a1", "a2"], ["a3"]),
        RecCase("y", ["b0"], ["b0"]),  # target in history: cannot be recommended, skipped
        RecCase("z", ["b0"], ["ghost"]),  # unknown target: skipped
    ]
    m = evaluate(model, cases)
    assert m["recall@10"] == 1.0  # only case x counts, and a3 is among the 9 unseen items
    assert evaluate(model, cases[1:]) == {k: None for k in m}
