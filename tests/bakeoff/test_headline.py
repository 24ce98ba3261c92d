"""Headline sentences for the better and the worse case, computed from the rows."""

from __future__ import annotations

from inhouse.bakeoff.headline import (
    headline,
    published_sentence,
    savings,
    savings_sentence,
    winner,
)


def test_better_and_cheaper(make_result) -> None:
    text = headline(make_result(0.93, 2.7e-5))
    # (0.93 - 0.80) / 0.80 = 16.25 %; 1 - 2.7e-5 / 0.05 = 99.946 %
    assert "16.2 % more accurate than the best off-the-shelf system (zero-shot embedder" in text
    assert "+13.0 points" in text
    assert "99.95 % cheaper than the cheapest API approach priced (GPT-5-nano" in text


def test_dearer_is_said_plainly(make_result) -> None:
    r = make_result(0.93, 0.10)
    assert "costs 2.0× the cheapest API approach priced" in headline(r)
    assert "does NOT meet" in (savings_sentence(r) or "")
    assert savings(r) == -1.0


def test_a_baseline_that_wins_is_named_the_winner(make_result) -> None:
    text = headline(make_result(0.72, 0.10))
    assert text.startswith("On banking77, a baseline tf-idf + logreg wins")
    # the winner against the best row of every other kind, in-house included
    assert "18.1 % more accurate than the best in-house system (knn router (tuned), 0.720" in text
    assert "6.2 % more accurate than the best off-the-shelf system (zero-shot embedder" in text


def test_the_winner_is_chosen_on_validation_not_test(make_result) -> None:
    r = make_result(0.93, 2.7e-5)  # in-house is best on test ...
    for s in r.systems:  # ... but the baseline was best on validation
        valid = {"knn router (tuned)": 0.80, "tf-idf + logreg": 0.90, "zero-shot embedder": 0.70}
        if s.name in valid:
            s.valid_metrics = {"accuracy": valid[s.name]}
    assert winner(r) == (next(s for s in r.systems if s.name == "tf-idf + logreg"), True)
    text = headline(r)
    assert (
        "a baseline tf-idf + logreg wins on validation and reaches accuracy 0.850 on test" in text
    )
    assert "8.6 % less accurate than the best in-house system (knn router (tuned), 0.930" in text


def test_savings_claim_and_published_comparison(make_result) -> None:
    r = make_result(0.93, 2.7e-5)
    assert "meets the claim of at least 99 %" in (savings_sentence(r) or "")
    pub = published_sentence(r) or ""
    assert "accuracy 0.877" in pub and "5.3 points above" in pub and "Loukas" in pub


def test_headline_gives_the_intervals_it_has(make_result) -> None:
    r = make_result(0.93, 2.7e-5)
    for s in r.systems:
        if s.name in ("knn router (tuned)", "zero-shot embedder"):
            s.ci95 = {"accuracy": (0.91, 0.95) if s.kind == "in-house" else (0.78, 0.82)}
    text = headline(r)
    assert "reaches accuracy 0.930 (95 % CI 0.910–0.950) on test" in text
    assert "(zero-shot embedder, 0.800, 95 % CI 0.780–0.820; +13.0 points)" in text
    assert "(tf-idf + logreg, 0.850; +8.0 points)" in text  # no interval recorded: none shown
