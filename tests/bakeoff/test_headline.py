"""Headline sentences for the better and the worse case, computed from the rows."""

from __future__ import annotations

from inhouse.bakeoff.headline import headline, published_sentence, savings, savings_sentence


def test_better_and_cheaper(make_result) -> None:
    text = headline(make_result(0.93, 2.7e-5))
    # (0.93 - 0.80) / 0.80 = 16.25 %; 1 - 2.7e-5 / 0.05 = 99.946 %
    assert "16.2 % more accurate than the best off-the-shelf system (zero-shot embedder" in text
    assert "+13.0 points" in text
    assert "99.95 % cheaper than the cheapest API approach priced (GPT-5-nano" in text


def test_worse_and_dearer_is_said_plainly(make_result) -> None:
    r = make_result(0.72, 0.10)
    text = headline(r)
    assert "10.0 % less accurate than the best off-the-shelf system" in text
    assert "costs 2.0× the cheapest API approach priced" in text
    assert "does NOT meet" in (savings_sentence(r) or "")
    assert savings(r) == -1.0


def test_savings_claim_and_published_comparison(make_result) -> None:
    r = make_result(0.93, 2.7e-5)
    assert "meets the claim of at least 99 %" in (savings_sentence(r) or "")
    pub = published_sentence(r) or ""
    assert "accuracy 0.877" in pub and "5.3 points above" in pub and "Loukas" in pub
