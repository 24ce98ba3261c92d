"""The report renders as one self-contained HTML file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inhouse.bakeoff.prices import load_prices
from inhouse.bakeoff.report import render_report, write_report


def test_report_is_self_contained(tmp_path: Path, make_result) -> None:
    html = render_report([make_result()], load_prices())
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert html.count("<svg") == 1
    assert "16.2 % more accurate" in html
    assert "Loukas et al., ICAIF 2023" in html
    assert "2026-10-09" in html and "AWS price list" in html  # machine price date and source
    assert "approximate (o200k)" in html  # Claude / Gemini rows of the price table
    out = tmp_path / "r" / "report.html"
    write_report([make_result()], load_prices(), out)
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_report_says_which_cpu_statistic_the_cost_rests_on(make_result) -> None:
    from inhouse.bakeoff.cost import fill_costs
    from inhouse.eval.latency import CPU_STATISTIC

    result = make_result()
    rows = [
        r.model_copy(update={"cpu_ms_per_request": 0.5, "cpu_statistic": CPU_STATISTIC})
        if r.kind != "api-estimate"
        else r
        for r in result.systems
    ]
    priced = fill_costs(result.model_copy(update={"systems": rows}), load_prices())
    html = render_report([priced], load_prices())
    assert f"the basis of $ per 1k: measured: {CPU_STATISTIC}" in html


@pytest.fixture(scope="module")
def crowded_html() -> str:
    """The report of the 25-ticket bake-off, rendered once for the tests below."""
    from tests.bakeoff.conftest import crowded

    return render_report([crowded()], load_prices())


def _text(html: str) -> str:
    """The report without its inline SVG (path data is not text a reader sees)."""
    return re.sub(r"<svg.*?</svg>|<style>.*?</style>", "", html, flags=re.S)


def test_report_opens_with_one_verdict_per_workload(make_result, make_crowded) -> None:
    html = render_report([make_result(), make_crowded()], load_prices())
    first_section = html.index("<h2")
    verdicts = re.findall(r'<p class="headline">(.*?)</p>', html[:first_section], flags=re.S)
    assert len(verdicts) == 2
    assert "in-house knn router (tuned) wins" in verdicts[0]
    assert "in-house logistic router (tuned) wins" in verdicts[1]
    assert html.count('class="headline"') == 2  # said once, not again in the sections


def test_numbers_are_plain_decimals_with_units(crowded_html: str) -> None:
    text = _text(crowded_html)
    assert not re.findall(r".{30}\b\d+(?:\.\d+)?[eE][-+]?\d+\b", text)
    assert "0.72 s †" in text  # fit seconds, timed under load
    assert "$0.000080 ($0.000000080)" in text  # training $ and its share per 1k requests
    assert "0.072 ms" in text and "$0.0000021" in text


def test_every_accuracy_has_its_interval_and_a_small_test_set_is_called_weak(
    make_result, crowded_html: str
) -> None:
    html = crowded_html
    assert "reaches accuracy 0.880 (95 % CI 0.760–1.000) on test" in html
    assert html.count("95 % CI 0.680–0.960") >= 3 + 3  # table cells and the plot's key
    assert "Only 25 test examples: the comparison is weak" in html
    assert "bootstrap interval of 0.760–1.000 (24 points wide)" in html
    big = render_report([make_result()], load_prices())
    assert "the comparison is weak" not in big  # no per-example counts: no warning


def test_timings_measured_under_load_are_marked(crowded_html: str) -> None:
    html = crowded_html
    assert "† Measured under load: logistic router (tuned), knn router (tuned)" in html
    assert "1.70 per core (load 3.40 on 2 cores): under load" in html
    assert "0.10 per core (load 0.20 on 2 cores): quiet" in html
    assert html.count("1.5 ms †") == 2  # p50 of the two loaded rows only


def test_api_table_folds_to_the_cheapest_and_the_most_accurate(
    make_crowded, crowded_html: str
) -> None:
    from inhouse.bakeoff.report import fold

    rows = [s for s in make_crowded().systems if s.kind == "api-estimate"]
    shown, rest = fold(rows, "accuracy")
    assert [s.cost_usd_per_1k for s in shown] == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])
    assert len(rest) == 7
    rows[-1].metrics["accuracy"] = 0.9  # the dearest, but the only one with an accuracy
    shown, rest = fold(rows, "accuracy")
    assert len(shown) == 6 and shown[-1] is rows[-1] and len(rest) == 6
    unfolded, folded = crowded_html.split('<details class="api-more">')
    assert unfolded.count("· zero-shot with the intent list</span>") == 5
    assert folded.split("</details>")[0].count("· zero-shot with the intent list</span>") == 7
    assert "Show the other 7 API approaches" in crowded_html
