"""The report renders as one self-contained HTML file."""

from __future__ import annotations

import re
from pathlib import Path

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
