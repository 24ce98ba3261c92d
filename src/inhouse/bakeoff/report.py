"""The bake-off report: one self-contained HTML file (inline SVG plots, inline CSS, no scripts).

>>> write_report(read_results(Path("out/bakeoff.json")), load_prices(), Path("out/report.html"))
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from inhouse.bakeoff.headline import (
    best_inhouse,
    cheapest_api,
    headline,
    published_sentence,
    savings_sentence,
)
from inhouse.bakeoff.prices import PriceTable
from inhouse.eval.results import BenchResult, SystemResult
from inhouse.files import atomic_write_text

COLORS = {
    "in-house": "#1b7f3b",
    "off-the-shelf": "#1f5fbf",
    "baseline": "#7a7a7a",
    "api-estimate": "#c0392b",
}


def _extra(row: SystemResult) -> dict[str, Any]:
    return row.model_extra or {}


def scatter_svg(result: BenchResult) -> str:
    """Accuracy (primary metric) against $ per 1,000 requests, log cost axis, as inline SVG.

    API estimates without a measured accuracy sit in a strip under the plot at their cost.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pm = result.primary_metric
    scored = [
        s
        for s in result.systems
        if s.metrics.get(pm) is not None and s.cost_usd_per_1k and s.cost_usd_per_1k > 0
    ]
    unscored = [
        s
        for s in result.systems
        if s.metrics.get(pm) is None and s.cost_usd_per_1k and s.cost_usd_per_1k > 0
    ]
    fig, (ax, strip) = plt.subplots(
        2, 1, figsize=(8, 5.2), sharex=True, gridspec_kw={"height_ratios": [5, 1]}
    )
    for kind, color in COLORS.items():
        rows = [s for s in scored if s.kind == kind]
        for published in (False, True):
            sub = [s for s in rows if bool(_extra(s).get("published")) == published]
            if not sub:
                continue
            label = "published API result" if published else kind
            ax.scatter(
                [s.cost_usd_per_1k for s in sub],
                [s.metrics[pm] for s in sub],
                c=color,
                marker="D" if published else "o",
                s=46,
                label=label,
                edgecolors="black" if published else "none",
                zorder=3,
            )
            for s in sub:
                ax.annotate(
                    s.name[:38],
                    (s.cost_usd_per_1k or 0.0, s.metrics[pm] or 0.0),
                    fontsize=7,
                    xytext=(4, 3),
                    textcoords="offset points",
                )
    if unscored:
        xs = [s.cost_usd_per_1k for s in unscored]
        strip.scatter(xs, [0.0] * len(xs), marker="|", s=300, c=COLORS["api-estimate"])
    strip.set_yticks([])
    strip.set_ylabel(
        "API est.\n(acc. not\nmeasured)", fontsize=7, rotation=0, ha="right", va="center"
    )
    ax.set_xscale("log")
    ax.set_ylabel(pm)
    ax.grid(True, which="major", alpha=0.3)
    strip.set_xlabel("$ per 1,000 requests (log scale)")
    ax.set_title(f"{result.workload} · {result.dataset}: {pm} vs cost")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(
        buf,
        format="svg",
        metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
    )
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        if x == 0:
            return "0"
        return f"{x:.{digits}f}" if abs(x) >= 10 ** (1 - digits) else f"{x:.2e}"
    return str(x)


def _section(result: BenchResult) -> dict[str, Any]:
    pm = result.primary_metric
    metric_names = sorted({m for s in result.systems for m in s.metrics}, key=lambda m: m != pm)
    measured = [s for s in result.systems if s.kind != "api-estimate"]
    measured.sort(key=lambda s: -(s.metrics.get(pm) or 0.0))
    estimates = [s for s in result.systems if s.kind == "api-estimate"]
    ours = [s for s in estimates if not _extra(s).get("published")]
    ours.sort(key=lambda s: s.cost_usd_per_1k or 0.0)
    published = [s for s in estimates if _extra(s).get("published")]
    inh, api = best_inhouse(result), cheapest_api(result)
    extra = result.model_extra or {}
    return {
        "result": result,
        "pm": pm,
        "metric_names": metric_names,
        "headline": headline(result),
        "published_sentence": published_sentence(result),
        "savings_sentence": savings_sentence(result),
        "inhouse_formula": _extra(inh).get("cost_breakdown", {}).get("formula") if inh else None,
        "inhouse_name": inh.name if inh else None,
        "cheapest_api": api,
        "measured": measured,
        # which CPU statistic the $ per 1k rests on (one per bench, several for mixed old rows)
        "cpu_bases": sorted(
            {str(_extra(r).get("cost_breakdown", {}).get("cpu_basis")) for r in measured} - {"None"}
        ),
        "ours": ours,
        "published": published,
        "svg": Markup(scatter_svg(result)),
        "fingerprints": extra.get("fingerprints", {}),
        "assumptions": extra.get("assumptions", {}),
    }


_ENV = Environment(
    loader=PackageLoader("inhouse.bakeoff", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["fmt"] = _fmt
_ENV.filters["extra"] = _extra


def render_report(results: list[BenchResult], table: PriceTable) -> str:
    """The report as one HTML string that needs nothing outside itself."""
    html = _ENV.get_template("report.html.j2").render(
        sections=[_section(r) for r in results],
        table=table,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=results[0].machine if results else None,
    )
    assert not re.search(r"<script[^>]*\bsrc=", html), "report must not load scripts"
    return html


def write_report(results: list[BenchResult], table: PriceTable, path: Path) -> None:
    """Render and write the report atomically."""
    atomic_write_text(Path(path), render_report(results, table))
