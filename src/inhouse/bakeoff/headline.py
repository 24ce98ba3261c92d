"""The sentences a bake-off report leads with, computed from its rows, honest either way."""

from __future__ import annotations

from inhouse.bakeoff.numbers import interval, plain, usd
from inhouse.eval.results import BenchResult, SystemResult

SAVINGS_CLAIM = 0.99  # "in-house is at least 99 % cheaper than the cheapest API approach"


def _metric(row: SystemResult, name: str) -> float | None:
    return row.metrics.get(name)


def interval_of(row: SystemResult, name: str) -> tuple[float, float] | None:
    """The row's 95 % bootstrap interval of test metric `name`, if it has one."""
    pair = (row.ci95 or {}).get(name)
    return (float(pair[0]), float(pair[1])) if pair else None


def _ci(row: SystemResult, name: str, lead: str = ", ") -> str:
    pair = interval_of(row, name)
    return f"{lead}95 % CI {interval(*pair)}" if pair else ""


def api_rows(result: BenchResult, published: bool) -> list[SystemResult]:
    """The API rows: our priced estimates (`published=False`) or published figures."""
    return [
        s
        for s in result.systems
        if s.kind == "api-estimate"
        and bool((s.model_extra or {}).get("published")) == published
        and s.cost_usd_per_1k is not None
    ]


def cheapest_api(result: BenchResult) -> SystemResult | None:
    """The cheapest API approach we priced on this test set."""
    return min(api_rows(result, False), key=lambda s: s.cost_usd_per_1k or 0.0, default=None)


VALIDATION_FIELDS = ("valid_metrics", "dev_metrics")  # where a row keeps its validation figures
KIND_ORDER = ("in-house", "off-the-shelf", "baseline")


def validation_score(row: SystemResult, metric: str) -> float | None:
    """The row's `metric` on validation (or dev) data, None where it reported none."""
    for field in VALIDATION_FIELDS:
        value = ((row.model_extra or {}).get(field) or {}).get(metric)
        if value is not None:
            return float(value)
    return None


def _best(rows: list[SystemResult], metric: str) -> tuple[SystemResult | None, bool]:
    """The row best on validation, and True; where no row has a validation figure, the row best
    on test, and False (choosing on test flatters the winner: the headline says so)."""
    scored = [r for r in rows if validation_score(r, metric) is not None]
    if scored:
        return max(scored, key=lambda r: validation_score(r, metric) or 0.0), True
    tested = [r for r in rows if _metric(r, metric) is not None]
    return max(tested, key=lambda r: _metric(r, metric) or 0.0, default=None), False


def winner(result: BenchResult) -> tuple[SystemResult | None, bool]:
    """The measured system (any kind, baselines included) chosen on validation; see `_best`."""
    return _best([s for s in result.systems if s.kind != "api-estimate"], result.primary_metric)


def best_of(result: BenchResult, kind: str) -> SystemResult | None:
    """The row of `kind` chosen on validation (on test where none has validation figures)."""
    return _best([s for s in result.systems if s.kind == kind], result.primary_metric)[0]


def best_inhouse(result: BenchResult) -> SystemResult | None:
    """The in-house row chosen on validation."""
    return best_of(result, "in-house")


def savings(result: BenchResult) -> float | None:
    """1 - in-house $/1k ÷ cheapest API $/1k (0.999 = 99.9 % cheaper), if both are known."""
    inh, api = best_inhouse(result), cheapest_api(result)
    if not inh or not api or inh.cost_usd_per_1k is None or not api.cost_usd_per_1k:
        return None
    return 1.0 - inh.cost_usd_per_1k / api.cost_usd_per_1k


def _against(a: float, other: SystemResult, pm: str) -> str | None:
    """How `a` compares with `other`'s test figure, in words."""
    b = _metric(other, pm)
    if b is None:
        return None
    label = f"the best {other.kind} system ({other.name}, {b:.3f}{_ci(other, pm)}"
    if abs(a - b) < 5e-4:
        return f"level with {label})"
    if not b:
        return f"{(a - b) * 100:+.1f} points against {label})"
    word = "more" if a > b else "less"
    rel, pts = abs(a - b) / b * 100, (a - b) * 100
    return f"{rel:.1f} % {word} accurate than {label}; {pts:+.1f} points)"


def _percent(fraction: float) -> str:
    """99.95, or 99.998 where two decimals would round up to 100.00."""
    value = fraction * 100
    return f"{value:.2f}" if value < 99.995 else f"{value:.3f}"


def _cost(row: SystemResult, api: SystemResult | None) -> str:
    c = row.cost_usd_per_1k
    if c is None:
        return ""
    if api is None or not api.cost_usd_per_1k:
        return f", at {usd(c)} per 1,000 requests (no API approach was priced)"
    d = api.cost_usd_per_1k
    if c <= d:
        return (
            f", at {usd(c)} per 1,000 requests, {_percent(1 - c / d)} % cheaper than the "
            f"cheapest API approach priced ({api.name}, {usd(d)})"
        )
    return (
        f", but at {usd(c)} per 1,000 requests it costs {c / d:.1f}× the cheapest API "
        f"approach priced ({api.name}, {usd(d)})"
    )


def headline(result: BenchResult) -> str:
    """One sentence: the system chosen on validation, its test figure against the best row of
    every other kind (baselines included), and its cost against the cheapest API priced. When
    a baseline or an off-the-shelf model wins, it says so, and where in-house stands."""
    pm = result.primary_metric
    top, on_validation = winner(result)
    if top is None:
        return f"On {result.dataset}, no system was measured, so there is no comparison."
    a = _metric(top, pm) or 0.0
    how = "on validation" if on_validation else "on test (no system reported validation figures)"
    lead = "in-house" if top.kind == "in-house" else f"a{'n' * (top.kind[0] in 'aeio')} {top.kind}"
    opening = f"On {result.dataset}, {lead} {top.name} wins {how}"
    ci = f" ({_ci(top, pm, '')})" if interval_of(top, pm) else ""
    parts = [f"{opening} and reaches {pm} {a:.3f}{ci} on test"]
    others = [best_of(result, kind) for kind in KIND_ORDER if kind != top.kind]
    compared = [t for o in others if o is not None and (t := _against(a, o, pm))]
    if compared:
        parts.append(": " + "; ".join(compared))
    parts.append(_cost(top, cheapest_api(result)))
    return "".join(parts) + "."


def published_sentence(result: BenchResult) -> str | None:
    """In-house against the best published API figure on the same test set, if there is one."""
    pm = result.primary_metric
    pub = [s for s in api_rows(result, True) if _metric(s, pm) is not None]
    inh = best_inhouse(result)
    if not pub or inh is None or _metric(inh, pm) is None:
        return None
    top = max(pub, key=lambda s: _metric(s, pm) or 0.0)
    a, b = _metric(inh, pm) or 0.0, _metric(top, pm) or 0.0
    word = "above" if a >= b else "below"
    cite = (top.model_extra or {}).get("citation", "")
    return (
        f"The best published API result on this test set is {pm} {b:.3f} ({top.name}, at "
        f"{usd(top.cost_usd_per_1k or 0.0)} per 1,000 at its time's prices; {cite}); in-house is "
        f"{abs(a - b) * 100:.1f} points {word} it."
    )


def savings_sentence(result: BenchResult) -> str | None:
    """Whether in-house is at least 99 % cheaper than the cheapest API approach, with the sums."""
    s, inh, api = savings(result), best_inhouse(result), cheapest_api(result)
    if s is None or inh is None or api is None:
        return None
    verdict = "meets" if s >= SAVINGS_CLAIM else "does NOT meet"
    return (
        f"In-house {usd(inh.cost_usd_per_1k or 0.0)} vs cheapest API "
        f"{usd(api.cost_usd_per_1k or 0.0)} per 1,000 requests: 1 - "
        f"{plain(inh.cost_usd_per_1k or 0.0)} / {plain(api.cost_usd_per_1k or 0.0)} = "
        f"{s * 100:.3f} % cheaper, which "
        f"{verdict} the claim of at least {SAVINGS_CLAIM * 100:.0f} % cheaper."
    )
