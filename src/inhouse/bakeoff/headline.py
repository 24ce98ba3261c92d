"""The sentences a bake-off report leads with, computed from its rows, honest either way."""

from __future__ import annotations

from inhouse.eval.results import BenchResult, SystemResult

SAVINGS_CLAIM = 0.99  # "in-house is at least 99 % cheaper than the cheapest API approach"


def _metric(row: SystemResult, name: str) -> float | None:
    return row.metrics.get(name)


def _usd(x: float) -> str:
    if x >= 1:
        return f"${x:,.2f}"
    return f"${x:.2g}" if x >= 1e-4 else f"${x:.1e}"


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


def best_inhouse(result: BenchResult) -> SystemResult | None:
    """The in-house row with the highest primary metric."""
    return result.best("in-house")


def best_reference(result: BenchResult) -> SystemResult | None:
    """The best off-the-shelf row; a baseline where no off-the-shelf model ran."""
    return result.best("off-the-shelf") or result.best("baseline")


def savings(result: BenchResult) -> float | None:
    """1 - in-house $/1k ÷ cheapest API $/1k (0.999 = 99.9 % cheaper), if both are known."""
    inh, api = best_inhouse(result), cheapest_api(result)
    if not inh or not api or inh.cost_usd_per_1k is None or not api.cost_usd_per_1k:
        return None
    return 1.0 - inh.cost_usd_per_1k / api.cost_usd_per_1k


def headline(result: BenchResult) -> str:
    """One sentence: in-house vs off-the-shelf accuracy, and vs the cheapest API on cost."""
    pm = result.primary_metric
    inh, ref, api = best_inhouse(result), best_reference(result), cheapest_api(result)
    if inh is None:
        return f"On {result.dataset}, no in-house system was measured, so there is no comparison."
    a = _metric(inh, pm) or 0.0
    parts = [f"On {result.dataset}, in-house {inh.name} reaches {pm} {a:.3f}"]
    if ref is not None and (b := _metric(ref, pm)):
        rel = (a - b) / b * 100
        pts = (a - b) * 100
        word = "more" if a > b else "less"
        label = "off-the-shelf" if ref.kind == "off-the-shelf" else "baseline"
        if abs(a - b) < 5e-4:
            parts.append(f", level with the best {label} system ({ref.name}, {b:.3f})")
        else:
            parts.append(
                f": {abs(rel):.1f} % {word} accurate than the best {label} system "
                f"({ref.name}, {b:.3f}; {pts:+.1f} points)"
            )
    c = inh.cost_usd_per_1k
    if c is not None and api is not None and api.cost_usd_per_1k:
        d = api.cost_usd_per_1k
        if c <= d:
            parts.append(
                f", at {_usd(c)} per 1,000 requests, {(1 - c / d) * 100:.2f} % cheaper than the "
                f"cheapest API approach priced ({api.name}, {_usd(d)})"
            )
        else:
            parts.append(
                f", but at {_usd(c)} per 1,000 requests it costs {c / d:.1f}× the cheapest API "
                f"approach priced ({api.name}, {_usd(d)})"
            )
    elif c is not None:
        parts.append(f", at {_usd(c)} per 1,000 requests (no API approach was priced)")
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
        f"{_usd(top.cost_usd_per_1k or 0.0)} per 1,000 at its time's prices; {cite}); in-house is "
        f"{abs(a - b) * 100:.1f} points {word} it."
    )


def savings_sentence(result: BenchResult) -> str | None:
    """Whether in-house is at least 99 % cheaper than the cheapest API approach, with the sums."""
    s, inh, api = savings(result), best_inhouse(result), cheapest_api(result)
    if s is None or inh is None or api is None:
        return None
    verdict = "meets" if s >= SAVINGS_CLAIM else "does NOT meet"
    return (
        f"In-house {_usd(inh.cost_usd_per_1k or 0.0)} vs cheapest API "
        f"{_usd(api.cost_usd_per_1k or 0.0)} per 1,000 requests: 1 - "
        f"{inh.cost_usd_per_1k:.3g} / {api.cost_usd_per_1k:.3g} = {s * 100:.3f} % cheaper, which "
        f"{verdict} the claim of at least {SAVINGS_CLAIM * 100:.0f} % cheaper."
    )
