"""`fit_router_from_tickets`: no ticket is left out of the fit when nothing can use a hold-out."""

from __future__ import annotations

import csv
from pathlib import Path

from inhouse.support.route.service import fit_router_from_tickets
from tests.support.route.test_router import TRAIN

OOS = ["what is the weather in paris tomorrow", "tell me a joke", "who won the match", "play music"]


def _tickets(path: Path, with_oos: bool) -> Path:
    rows = [(t, intent) for intent, texts in TRAIN.items() for t in texts]
    rows += [(t, "oos") for t in OOS] if with_oos else []
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ticket_id", "text", "intent"])
        w.writerows((f"t{i}", text, intent) for i, (text, intent) in enumerate(rows))
    return path


def test_without_oos_tickets_every_ticket_is_fitted_and_detection_is_off(tmp_path) -> None:
    tickets = _tickets(tmp_path / "t.csv", with_oos=False)
    report = fit_router_from_tickets(tickets, tmp_path / "r", "logistic", valid_fraction=0.25)
    n = sum(len(v) for v in TRAIN.values())
    assert (report.n_train, report.n_valid) == (n, 0)
    assert report.oos_detection is False and report.calibration == {}


def test_with_oos_tickets_a_share_is_held_out_to_set_the_threshold(tmp_path) -> None:
    tickets = _tickets(tmp_path / "t.csv", with_oos=True)
    report = fit_router_from_tickets(tickets, tmp_path / "r", "logistic", valid_fraction=0.25)
    assert report.oos_detection is True and report.n_valid > 0
    assert report.n_train + report.n_valid == sum(len(v) for v in TRAIN.values()) + len(OOS)
    assert "threshold" in report.calibration
