"""The report opens in headless Chromium with its headline, plot and tables visible."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.bakeoff.prices import load_prices
from inhouse.bakeoff.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: apt-get install -y chromium"
)
def test_report_in_chromium(tmp_path: Path, make_result) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    report = tmp_path / "report.html"
    write_report([make_result()], load_prices(), report)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            headline = page.locator("p.headline").first
            assert headline.is_visible()
            assert "16.2 % more accurate" in headline.inner_text()
            plot = page.locator(".plot svg").first
            assert plot.is_visible()
            box = plot.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 200
            for table in ("systems", "latency", "api", "published", "prices"):
                assert page.locator(f"table.{table}").first.is_visible(), table
            assert page.locator("table.latency tr").count() == 1 + 3  # header + measured rows
            assert all(u.startswith("file:") for u in requests), requests
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
