"""The report opens in headless Chromium at 1280 px and at 390 px wide: verdicts, plots and
tables visible, no text overflowing its box, no plot label clipped or on top of another."""

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
WIDTHS = (1280, 390)

# Every visible element that holds text must fit its own box and its parent's (1 px slack);
# the page must not scroll sideways. Returns a list of problems, empty when none.
OVERFLOW_JS = """() => {
  const bad = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    bad.push(`page is ${doc.scrollWidth} px wide in a ${window.innerWidth} px window`);
  const sel = "h1,h2,h3,p,li,th,td,summary,small,span,code,a";
  for (const el of document.body.querySelectorAll(sel)) {
    if (el.closest("svg") || !el.getClientRects().length) continue;  // hidden, or in a plot
    const text = el.textContent.trim().slice(0, 60);
    if (!text) continue;
    const style = getComputedStyle(el);
    if (style.display !== "inline" && el.scrollWidth > el.clientWidth + 1)
      bad.push(`overflows itself (${el.scrollWidth} > ${el.clientWidth} px): ${text}`);
    const box = el.getBoundingClientRect(), outer = el.parentElement.getBoundingClientRect();
    if (box.left < outer.left - 1 || box.right > outer.right + 1)
      bad.push(`leaves its container: ${text}`);
  }
  return bad;
}"""

# Each plot's texts (groups with id label-N) inside the plot and not on top of each other.
LABELS_JS = """() => {
  const bad = [];
  let count = 0;
  for (const [i, svg] of [...document.querySelectorAll(".plot svg")].entries()) {
    const frame = svg.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll('g[id^="label-"]')]
      .map(g => [g.id, g.getBoundingClientRect()])
      .filter(([, b]) => b.width > 0 && b.height > 0);
    count += boxes.length;
    for (const [id, b] of boxes)
      if (b.left < frame.left - .5 || b.right > frame.right + .5 ||
          b.top < frame.top - .5 || b.bottom > frame.bottom + .5)
        bad.push(`plot ${i}: ${id} is clipped`);
    for (let a = 0; a < boxes.length; a++)
      for (let b = a + 1; b < boxes.length; b++) {
        const [p, q] = [boxes[a][1], boxes[b][1]];
        const dx = Math.min(p.right, q.right) - Math.max(p.left, q.left);
        const dy = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
        if (dx > .5 && dy > .5) bad.push(`plot ${i}: ${boxes[a][0]} overlaps ${boxes[b][0]}`);
      }
  }
  return {bad, count};
}"""


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: apt-get install -y chromium"
)
def test_report_in_chromium(tmp_path: Path, make_result, make_crowded) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    report = tmp_path / "report.html"
    write_report([make_result(), make_crowded()], load_prices(), report)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())  # one load; the second width is a resize
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                verdicts = page.locator("section.verdicts p.headline")
                assert verdicts.count() == 2  # one verdict per workload, before any section
                assert "16.2 % more accurate" in verdicts.first.inner_text()
                assert page.locator("section.verdicts p.warn").first.is_visible()  # 25 tickets
                plot = page.locator(".plot svg").first
                assert plot.is_visible()
                box = plot.bounding_box()
                assert box is not None and box["width"] > 0.8 * min(width, 700) - 40
                for table in ("systems", "latency", "api", "published", "prices"):
                    assert page.locator(f"table.{table}").first.is_visible(), (width, table)
                # the full names, in the key beside the plot (nothing cut at 38 characters)
                key = page.locator("ul.key").first.inner_text()
                assert "GPT-4, 20 retrieved examples (published)" in key
                assert page.evaluate(OVERFLOW_JS) == [], width
                labels = page.evaluate(LABELS_JS)
                assert labels["count"] > 10 and labels["bad"] == [], (width, labels["bad"])
                page.screenshot(path=str(ARTIFACTS / f"report-{width}.png"), full_page=True)
            # the folded API rows: hidden until their summary is clicked (no script needed)
            more = page.locator("details.api-more table").first
            assert not more.is_visible()
            page.locator("details.api-more summary").first.click()
            assert more.is_visible()
            assert page.locator("table.latency tr").count() == 1 + 3 + 1 + 7  # 2 heads, 10 rows
            assert all(u.startswith("file:") for u in requests), requests
        finally:
            browser.close()
    assert all((ARTIFACTS / f"report-{w}.png").stat().st_size > 10_000 for w in WIDTHS)
