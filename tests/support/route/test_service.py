"""`fit_router_from_tickets`: out-of-scope detection with or without `oos` tickets, and no
ticket left out of the final fit without them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from inhouse.errors import InhouseError
from inhouse.support.route.base import OUT_OF_SCOPE
from inhouse.support.route.calibrate import DEFAULT_METHOD
from inhouse.support.route.registry import load_router
from inhouse.support.route.service import FitReport, fit_router_from_tickets
from tests.support.route.test_router import QUERIES, TRAIN

OOS = ["what is the weather in paris tomorrow", "tell me a joke", "who won the match", "play music"]


def _tickets(path: Path, with_oos: bool) -> Path:
    rows = [(t, intent) for intent, texts in TRAIN.items() for t in texts]
    rows += [(t, "oos") for t in OOS] if with_oos else []
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ticket_id", "text", "intent"])
        w.writerows((f"t{i}", text, intent) for i, (text, intent) in enumerate(rows))
    return path


WEATHER = "what's the weather in Paris tomorrow"


def _fitted_on(folder: Path) -> int:
    """How many tickets the saved logistic router learnt from: its kNN bank holds each one."""
    router = load_router(folder)
    return len(router.head.vectors)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def fitted_without_oos(tmp_path_factory) -> tuple[FitReport, Path]:
    tmp = tmp_path_factory.mktemp("no-oos")
    tickets = _tickets(tmp / "t.csv", with_oos=False)
    return fit_router_from_tickets(tickets, tmp / "r", "logistic"), tmp / "r"


def test_without_oos_tickets_detection_is_on_and_every_ticket_is_fitted(
    fitted_without_oos,
) -> None:
    report, folder = fitted_without_oos
    n = sum(len(v) for v in TRAIN.values())
    assert report.oos_method == DEFAULT_METHOD and report.oos_detection is True
    assert (report.n_train, report.n_valid) == (n, len(TRAIN))  # one ticket per intent held
    assert _fitted_on(folder) == n


def test_without_oos_tickets_the_weather_escalates(fitted_without_oos) -> None:
    report, folder = fitted_without_oos
    router = load_router(folder)
    assert router.threshold == report.calibration["threshold"] > 0.0
    labels, _ = router.predict([WEATHER] + [q for q, _ in QUERIES])
    assert labels == [OUT_OF_SCOPE] + [g for _, g in QUERIES]


def test_oos_method_off_fits_every_ticket_without_detection(tmp_path) -> None:
    tickets = _tickets(tmp_path / "t.csv", with_oos=False)
    report = fit_router_from_tickets(
        tickets, tmp_path / "r", "logistic", valid_fraction=0.25, oos_method="off"
    )
    n = sum(len(v) for v in TRAIN.values())
    assert (report.n_train, report.n_valid) == (n, 0)
    assert report.oos_detection is False and report.calibration == {}
    assert load_router(tmp_path / "r").threshold == 0.0


def test_unknown_oos_method_is_refused_before_reading(tmp_path) -> None:
    with pytest.raises(InhouseError, match="--oos-method 'guess' is not known"):
        fit_router_from_tickets(tmp_path / "missing.csv", tmp_path / "r", oos_method="guess")


def test_a_hold_out_of_nothing_is_refused(tmp_path) -> None:
    tickets = _tickets(tmp_path / "t.csv", with_oos=False)
    with pytest.raises(InhouseError, match="holds out no ticket"):
        fit_router_from_tickets(tickets, tmp_path / "r", "logistic", valid_fraction=0.0)


def test_with_oos_tickets_a_share_is_held_out_to_set_the_threshold(tmp_path) -> None:
    tickets = _tickets(tmp_path / "t.csv", with_oos=True)
    report = fit_router_from_tickets(tickets, tmp_path / "r", "logistic", valid_fraction=0.25)
    assert report.oos_detection is True and report.n_valid > 0
    assert report.n_train + report.n_valid == sum(len(v) for v in TRAIN.values()) + len(OOS)
    assert "threshold" in report.calibration and report.oos_method == "oos-tickets"


def test_the_routers_own_in_scope_allowance_sets_the_threshold_without_oos(tmp_path) -> None:
    tickets = _tickets(tmp_path / "t.csv", with_oos=False)
    config = {"c": 10.0, "max_in_scope_drop": 0.3}
    report = fit_router_from_tickets(tickets, tmp_path / "r", "logistic", 0.25, config=config)
    assert report.calibration["max_in_scope_drop"] == 0.3  # not the default 0.01
