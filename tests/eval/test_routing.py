"""Routing metrics against hand-computed values."""

from __future__ import annotations

import pytest

from inhouse.eval.routing import routing_metrics


def test_metrics_by_hand() -> None:
    pred = ["a", "b", "oos", "a", "oos", "b"]
    gold = ["a", "a", "b", "a", "oos", "oos"]
    m = routing_metrics(pred, gold, oos_label="oos", out_of_scope="oos")
    assert m["accuracy"] == pytest.approx(3 / 6)
    assert m["in_scope_accuracy"] == pytest.approx(2 / 4)
    assert m["oos_recall"] == pytest.approx(1 / 2)
    # per class F1: a = 2*(2/2*2/3)/(1+2/3) = 0.8, b = 0 (0 right), oos = 2*(.5*.5)/1 = 0.5
    assert m["macro_f1"] == pytest.approx((0.8 + 0.0 + 0.5) / 3)
    assert "oos_recall" not in routing_metrics(["a"], ["a"], out_of_scope="oos")


def test_gold_out_of_scope_label_maps_to_the_routers_label() -> None:
    m = routing_metrics(["OUT", "a"], ["oos", "a"], oos_label="oos", out_of_scope="OUT")
    assert m["accuracy"] == 1.0 and m["oos_recall"] == 1.0


def test_intervals_of_accuracy_and_of_each_subset() -> None:
    from inhouse.eval.routing import routing_correct, routing_intervals

    pred, gold = ["a", "oos", "b", "oos"], ["a", "oos", "c", "b"]
    assert routing_correct(pred, gold, "oos", out_of_scope="oos").tolist() == [1, 1, 0, 0]
    ci = routing_intervals(pred, gold, "oos", out_of_scope="oos")
    assert set(ci) == {"accuracy", "in_scope_accuracy", "oos_recall"}
    assert ci["oos_recall"] == (1.0, 1.0)  # its one out-of-scope message was caught
    assert ci["accuracy"][0] <= 0.5 <= ci["accuracy"][1]
    assert ci["in_scope_accuracy"][0] <= 1 / 3 <= ci["in_scope_accuracy"][1]
    assert set(routing_intervals(pred, gold, out_of_scope="oos")) == {"accuracy"}
