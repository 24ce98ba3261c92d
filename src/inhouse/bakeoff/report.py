"""The bake-off report: one self-contained HTML file (inline SVG plots, inline CSS, no scripts).

It opens with one verdict per workload (`headline`), then per workload the plot, the measured
systems with 95 % bootstrap intervals, latency, and the API approaches folded to the 5
cheapest and 5 most accurate rows. Numbers are plain decimals with units; timings measured on
a loaded machine are marked.

>>> write_report(read_results(Path("out/bakeoff.json")), load_prices(), Path("out/report.html"))
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from inhouse.bakeoff.cost import formula
from inhouse.bakeoff.headline import (
    best_inhouse,
    headline,
    interval_of,
    published_sentence,
    savings_sentence,
    winner,
)
from inhouse.bakeoff.numbers import interval, ms, plain, seconds, usd
from inhouse.bakeoff.plot import COLORS, points, scatter_svg
from inhouse.bakeoff.prices import PriceTable
from inhouse.eval.results import BenchResult, SystemResult
from inhouse.files import atomic_write_text

FOLD = 5  # API rows shown unfolded: this many cheapest, and this many most accurate
SMALL_TEST = 100  # fewer test examples than this: the report warns that the comparison is weak
LOADED = 0.5  # 1-minute load average per core above which timings are marked "under load"
DASH = "—"


def _extra(row: SystemResult) -> dict[str, Any]:
    return row.model_extra or {}


def cell(text: str, num: bool = True, note: str | None = None, title: str | None = None) -> dict:
    """One table cell: its text, whether it is a number (right-aligned), a second line."""
    return {"text": text, "num": num, "note": note, "title": title}


def _or(x: float | None, fmt: Any) -> str:
    return DASH if x is None else fmt(x)


def load_of(row: SystemResult) -> dict[str, float] | None:
    """The machine load recorded while the row's timings were measured, if any."""
    load = _extra(row).get("timing_load")
    return load if isinstance(load, dict) and "per_core" in load else None


def under_load(row: SystemResult) -> bool:
    """Whether the row's latency and fit time were measured on a loaded machine."""
    load = load_of(row)
    return bool(load and load["per_core"] > LOADED)


def _load_text(load: dict[str, float]) -> str:
    return f"load {load['load_1min']:.2f} on {load['cores']:.0f} cores"


def _metric_cell(row: SystemResult, name: str) -> dict:
    value = row.metrics.get(name)
    pair = interval_of(row, name)
    note = f"95 % CI {interval(*pair)}" if pair and value is not None else None
    return cell(_or(value, lambda v: f"{v:.4f}"), note=note)


def _timed(text: str, row: SystemResult) -> dict:
    """A timing cell, marked † where it was measured under load."""
    if not under_load(row) or text == DASH:
        return cell(text)
    load = load_of(row) or {}
    return cell(f"{text} †", title=f"measured under load: {_load_text(load)}")


def systems_table(rows: list[SystemResult], metric_names: list[str]) -> dict:
    head = ["system", "kind", *metric_names, "$ per 1k requests", "CPU per request",
            "requests/s per core", "fit", "training $ (per 1k)"]  # fmt: skip
    body = []
    for r in rows:
        b = _extra(r).get("cost_breakdown", {})
        train, per_1k = b.get("train_usd"), b.get("train_usd_per_1k")
        body.append(
            [
                cell(r.name, False),
                cell(r.kind, False),
                *[_metric_cell(r, m) for m in metric_names],
                _timed(_or(r.cost_usd_per_1k, lambda v: usd(v, 2)), r),
                _timed(_or(b.get("cpu_ms_per_request"), ms), r),
                cell(_or(b.get("requests_per_s_per_core"), lambda v: plain(v, 3))),
                _timed(_or(r.fit_seconds, seconds), r),
                _timed(f"{_or(train, usd)} ({_or(per_1k, usd)})" if train is not None else DASH, r),
            ]
        )
    return {"cls": "systems", "head": head, "rows": body}


def latency_table(rows: list[SystemResult]) -> dict:
    head = ["system", "kind", "p50", "p95", "p99", "machine load while timed"]
    body = []
    for r in rows:
        lat = r.latency_ms
        cells = [
            _timed(ms(getattr(lat, p)), r) if lat else cell(DASH) for p in ("p50", "p95", "p99")
        ]
        load = load_of(r)
        if load is None:
            state = cell("not recorded", False)
        else:
            word = "under load" if under_load(r) else "quiet"
            state = cell(f"{load['per_core']:.2f} per core ({_load_text(load)}): {word}", False)
        body.append([cell(r.name, False), cell(r.kind, False), *cells, state])
    return {"cls": "latency", "head": head, "rows": body}


def fold(
    rows: list[SystemResult], pm: str, n: int = FOLD
) -> tuple[list[SystemResult], list[SystemResult]]:
    """(shown, folded): the `n` cheapest and the `n` most accurate rows (those with a `pm`),
    cheapest first; the rest."""
    cheap = sorted(rows, key=lambda s: s.cost_usd_per_1k or 0.0)
    scored = [s for s in rows if s.metrics.get(pm) is not None]
    accurate = sorted(scored, key=lambda s: -(s.metrics.get(pm) or 0.0))[:n]
    keep = {id(s) for s in cheap[:n] + accurate}
    return [s for s in cheap if id(s) in keep], [s for s in cheap if id(s) not in keep]


def api_table(rows: list[SystemResult], pm: str, cls: str) -> dict:
    head = [
        "model · approach",
        pm,
        "input tokens (mean)",
        "output tokens (mean)",
        "token count",
        "$ per 1k requests",
        "$ per 1k, prompt cache",
        "$ whole test set",
        "price per 1M tokens (source, date)",
    ]
    body = []
    for r in rows:
        e = _extra(r)
        tok, price = e.get("tokens", {}), e.get("price", {})
        body.append(
            [
                cell(r.name, False),
                _metric_cell(r, pm)
                if r.metrics.get(pm) is not None
                else cell("not measured", False),
                cell(_or(tok.get("input_mean"), lambda v: plain(v, 3))),
                cell(_or(tok.get("output_mean"), lambda v: plain(v, 2))),
                cell(str(tok.get("counting", DASH)), False),
                cell(_or(r.cost_usd_per_1k, usd)),
                cell(_or(e.get("cost_usd_per_1k_with_prompt_cache"), usd)),
                cell(_or(e.get("cost_usd_test_set"), usd)),
                cell(
                    f"{usd(price.get('input_usd_per_1m', 0))} in, "
                    f"{usd(price.get('output_usd_per_1m', 0))} out "
                    f"({price.get('source')}, {price.get('date')})",
                    False,
                ),
            ]
        )
    return {"cls": cls, "head": head, "rows": body}


def published_table(rows: list[SystemResult], pm: str) -> dict:
    head = ["system", pm, "cost as published", "$ per 1k requests", "citation"]
    body = [
        [
            cell(r.name, False),
            _metric_cell(r, pm),
            cell(
                f"{usd(_extra(r).get('published_cost_usd', 0))} for "
                f"{_extra(r).get('published_requests', 0):,} requests "
                f"({_extra(r).get('price', {}).get('source')})",
                False,
            ),  # fmt: skip
            cell(_or(r.cost_usd_per_1k, usd)),
            cell(str(_extra(r).get("citation", "")), False),
        ]
        for r in rows
    ]
    return {"cls": "published", "head": head, "rows": body}


def weak_warning(result: BenchResult) -> str | None:
    """A warning, citing the winner's interval, when the test set is too small to compare on."""
    measured = [s for s in result.systems if s.kind != "api-estimate"]
    sizes = [s.test_examples for s in measured if s.test_examples is not None]
    if not sizes or max(sizes) >= SMALL_TEST:
        return None
    n, pm = max(sizes), result.primary_metric
    top, _ = winner(result)
    text = (
        f"Only {n} test example{'s' * (n != 1)}: the comparison is weak, and differences "
        f"smaller than the intervals below are not evidence of a better system."
    )
    pair = interval_of(top, pm) if top else None
    if top is not None and pair:
        width = (pair[1] - pair[0]) * 100
        text += (
            f" The winner's {pm} {top.metrics.get(pm) or 0.0:.3f} has a 95 % bootstrap interval "
            f"of {interval(*pair)} ({width:.0f} points wide)."
        )
    return text + f" Use at least {SMALL_TEST} test examples to choose between systems."


def load_note(rows: list[SystemResult]) -> str | None:
    """Which rows were timed under load, with the figures."""
    loaded = [r for r in rows if under_load(r)]
    if not loaded:
        return None
    worst = max((load_of(r) or {}).get("per_core", 0.0) for r in loaded)
    return (
        f"† Measured under load: {', '.join(r.name for r in loaded)} were timed while the "
        f"machine's 1-minute load average was above {LOADED} per core (up to "
        f"{worst:.2f} per core). Their latency, fit time and the costs that rest on them "
        "are likely inflated; re-run on a quiet machine to compare them."
    )


def _formula(row: SystemResult) -> str | None:
    """The in-house cost formula of the row, rebuilt in plain decimals where it can be."""
    b = _extra(row).get("cost_breakdown", {})
    try:
        return formula(b)
    except (KeyError, TypeError, ValueError):  # an older or hand-written breakdown
        return b.get("formula")


def _section(result: BenchResult) -> dict[str, Any]:
    pm = result.primary_metric
    metric_names = sorted({m for s in result.systems for m in s.metrics}, key=lambda m: m != pm)
    measured = [s for s in result.systems if s.kind != "api-estimate"]
    measured.sort(key=lambda s: -(s.metrics.get(pm) or 0.0))
    estimates = [s for s in result.systems if s.kind == "api-estimate"]
    ours = [s for s in estimates if not _extra(s).get("published")]
    shown, folded = fold(ours, pm)
    published = [s for s in estimates if _extra(s).get("published")]
    inh = best_inhouse(result)
    svg, pts = scatter_svg(result) if points(result) else ("", [])
    extra = result.model_extra or {}
    return {
        "result": result,
        "id": f"{result.workload}-{result.dataset}",
        "pm": pm,
        "headline": headline(result),
        "weak": weak_warning(result),
        "published_sentence": published_sentence(result),
        "savings_sentence": savings_sentence(result),
        "inhouse_formula": _formula(inh) if inh else None,
        "inhouse_name": inh.name if inh else None,
        "systems": systems_table(measured, metric_names),
        "latency": latency_table(measured),
        "load_note": load_note(measured),
        "no_interval": [
            r.name for r in measured if r.metrics.get(pm) is not None and not interval_of(r, pm)
        ],
        # which CPU statistic the $ per 1k rests on (one per bench, several for mixed old rows)
        "cpu_bases": sorted(
            {str(_extra(r).get("cost_breakdown", {}).get("cpu_basis")) for r in measured} - {"None"}
        ),
        "api": api_table(shown, pm, "api"),
        "api_more": api_table(folded, pm, "api api-more") if folded else None,
        "api_count": len(ours),
        "api_models": {_extra(s).get("model") for s in shown},
        "output_assumption": _extra(ours[0]).get("output_assumption") if ours else None,
        "published": published_table(published, pm) if published else None,
        "svg": Markup(svg) if svg else None,
        "key": [
            {
                "tag": p.tag,
                "name": p.row.name,
                "kind": p.row.kind,
                "color": COLORS[p.row.kind],
                "value": f"{pm} {p.value:.3f}",
                "ci": interval(*pair) if (pair := interval_of(p.row, pm)) else None,
                "cost": f"{usd(p.cost)} per 1k requests",
                "tagged": p.tagged,
            }
            for p in pts
        ],
        "fingerprints": extra.get("fingerprints", {}),
        "assumptions": extra.get("assumptions", {}),
    }


def price_tables(table: PriceTable, shown_models: set[str]) -> tuple[dict, dict | None, dict]:
    """(models priced in the rows shown, the other models or None, machines)."""
    head = ["model", "input", "output", "cached input", "token count", "source", "date read"]

    def row(m: Any) -> list[dict]:
        return [
            cell(m.label, False),
            cell(usd(m.input)),
            cell(usd(m.output)),
            cell(DASH if m.cached_input is None else usd(m.cached_input)),
            cell("exact" if m.exact_tokens else "approximate (o200k)", False),
            cell(m.source, False),
            cell(m.date, False),
        ]

    first = [m for k, m in table.models.items() if k in shown_models]
    rest = [m for k, m in table.models.items() if k not in shown_models]
    if not first:  # nothing priced here: show the first rows of the table
        first, rest = rest[:FOLD], rest[FOLD:]
    machines = {
        "cls": "machines",
        "head": ["machine", "per hour", "source", "date read"],
        "rows": [
            [
                cell(m.label, False),
                cell(usd(m.usd_per_hour)),
                cell(m.source, False),
                cell(m.date, False),
            ]
            for m in table.machines.values()
        ],
    }
    more = {"cls": "prices prices-more", "head": head, "rows": [row(m) for m in rest]}
    return (
        {"cls": "prices", "head": head, "rows": [row(m) for m in first]},
        (more if rest else None),
        machines,
    )


_ENV = Environment(
    loader=PackageLoader("inhouse.bakeoff", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_report(results: list[BenchResult], table: PriceTable) -> str:
    """The report as one HTML string that needs nothing outside itself."""
    sections = [_section(r) for r in results]
    shown = set().union(*(s["api_models"] for s in sections)) if sections else set()
    prices, prices_more, machines = price_tables(table, shown)
    html = _ENV.get_template("report.html.j2").render(
        sections=sections,
        table=table,
        prices=prices,
        prices_more=prices_more,
        machines=machines,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=results[0].machine if results else None,
    )
    assert not re.search(r"<script[^>]*\bsrc=", html), "report must not load scripts"
    return html


def write_report(results: list[BenchResult], table: PriceTable, path: Path) -> None:
    """Render and write the report atomically."""
    atomic_write_text(Path(path), render_report(results, table))
