"""Out-of-scope thresholds from in-scope tickets only, on the tiny banking-like set."""

from __future__ import annotations

import numpy as np
import pytest

from inhouse.errors import InhouseError
from inhouse.models.load import load_embedder
from inhouse.support.route.base import OUT_OF_SCOPE, choose_threshold
from inhouse.support.route.calibrate import METHODS, calibrate_without_oos
from inhouse.support.route.registry import make_router
from tests.support.route.test_router import QUERIES, TRAIN

WEATHER = "what's the weather in Paris tomorrow"
VALID = [(q, g) for q, g in QUERIES]


@pytest.fixture(scope="module")
def embedder():
    return load_embedder()


def _calibrate(embedder, method: str, **parameters) -> dict[str, float]:
    texts = [t for ts in TRAIN.values() for t in ts]
    intents = [i for i, ts in TRAIN.items() for _ in ts]
    return calibrate_without_oos(
        method,
        lambda: make_router("logistic", embedder),
        texts,
        intents,
        [q for q, _ in VALID],
        [g for _, g in VALID],
        **parameters,
    )


@pytest.fixture(scope="module")
def fitted(embedder):
    """The final router: fitted on every ticket, held-out ones included, as
    `fit_router_from_tickets` does."""
    texts = [t for ts in TRAIN.values() for t in ts] + [q for q, _ in VALID]
    intents = [i for i, ts in TRAIN.items() for _ in ts] + [g for _, g in VALID]
    return make_router("logistic", embedder).fit(texts, intents)


@pytest.mark.parametrize("method", [m for m in METHODS if m != "off"])
def test_each_method_sets_a_threshold_that_flags_the_weather(embedder, fitted, method) -> None:
    parameters = {"folds": 2} if method == "held-out-intents" else {}  # two fits, not four
    calibration = _calibrate(embedder, method, **parameters)
    router = fitted
    router.threshold = calibration["threshold"]
    labels, _ = router.predict([WEATHER, *(q for q, _ in QUERIES)])
    assert labels[0] == OUT_OF_SCOPE
    assert labels[1:] == [g for _, g in QUERIES]  # fitted on them too: confident now
    assert 0.0 < calibration["threshold"] < 1.0


def test_off_sets_no_threshold(embedder) -> None:
    assert _calibrate(embedder, "off") == {"threshold": 0.0}


def test_quantile_rejects_its_share_of_held_out_tickets(embedder) -> None:
    calibration = _calibrate(embedder, "quantile", quantile=0.5)
    router = make_router("logistic", embedder).fit(
        [t for ts in TRAIN.values() for t in ts], [i for i, ts in TRAIN.items() for _ in ts]
    )
    _, conf = router.predict([q for q, _ in VALID])
    assert calibration["threshold"] == pytest.approx(float(np.median(conf)), abs=1e-6)


def test_held_out_intents_needs_three_intents(embedder) -> None:
    two = {k: TRAIN[k] for k in list(TRAIN)[:2]}
    texts = [t for ts in two.values() for t in ts]
    intents = [i for i, ts in two.items() for _ in ts]
    with pytest.raises(InhouseError, match="at least 3 intents"):
        calibrate_without_oos(
            "held-out-intents", lambda: make_router("logistic", embedder), texts, intents, [], []
        )


def test_choose_threshold_in_scope_only_applies_the_same_floor() -> None:
    best = ["a", "a", "b", "b"]
    conf = np.array([0.9, 0.3, 0.8, 0.4])
    gold = ["a", "b", "b", "b"]  # the 0.3 answer is wrong: rejecting it costs no accuracy
    assert choose_threshold(best, conf, gold)["threshold"] == 0.0  # no oos rows: off
    out = choose_threshold(best, conf, gold, max_in_scope_drop=0.0, in_scope_only=True)
    assert out == {"threshold": 0.4, "val_in_scope_accuracy": 0.75}
    with_oos = choose_threshold(best + ["a"], np.append(conf, 0.2), gold + [OUT_OF_SCOPE], 0.0)
    assert with_oos["threshold"] == 0.4  # the same threshold as with the oos row
