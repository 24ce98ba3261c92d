"""The report's plot: accuracy against $ per 1,000 requests as inline SVG, points tagged by
number (the names sit in an HTML key beside it, where they wrap instead of being clipped).

Tags are placed so that no two texts of the figure overlap and none leaves it: points that
coincide share one tag, and each tag takes the first free spot around its point.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from inhouse.bakeoff.headline import interval_of
from inhouse.bakeoff.numbers import plain
from inhouse.eval.results import BenchResult, SystemResult

COLORS = {
    "in-house": "#1b7f3b",
    "off-the-shelf": "#1f5fbf",
    "baseline": "#7a7a7a",
    "api-estimate": "#c0392b",
}
FONT = 10  # points, every text of the figure but the tags and the strip's label
NEAR_PX = 6.0  # points closer than this (in figure pixels) share one tag
# where a tag may go around its point: (dx, dy) in points and the text's alignment
SPOTS = [
    (6, 4, "left", "bottom"),
    (6, -4, "left", "top"),
    (-6, 4, "right", "bottom"),
    (-6, -4, "right", "top"),
    (0, 8, "center", "bottom"),
    (0, -8, "center", "top"),
]


@dataclass
class Point:
    """One plotted system: its key number (tag), row and position."""

    tag: int
    row: SystemResult
    cost: float
    value: float
    tagged: bool = True
    """False where the plot had no free spot for its tag."""

    @property
    def published(self) -> bool:
        return bool((self.row.model_extra or {}).get("published"))


def points(result: BenchResult) -> list[Point]:
    """The systems with both a primary metric and a cost, best first, numbered from 1."""
    pm = result.primary_metric
    rows = [
        s
        for s in result.systems
        if s.metrics.get(pm) is not None and s.cost_usd_per_1k and s.cost_usd_per_1k > 0
    ]
    rows.sort(key=lambda s: (-(s.metrics[pm] or 0.0), s.cost_usd_per_1k or 0.0))
    return [
        Point(i, s, float(s.cost_usd_per_1k or 0.0), float(s.metrics[pm] or 0.0))
        for i, s in enumerate(rows, 1)
    ]


def _usd_tick(v: float, _pos: object = None) -> str:
    return f"${v:,.0f}" if v >= 1 else "$" + plain(v, 1)


def _overlaps(a: Any, boxes: list[Any]) -> bool:
    return any(a.overlaps(b) for b in boxes)


def _inside(a: Any, outer: Any) -> bool:
    return bool(a.x0 >= outer.x0 and a.x1 <= outer.x1 and a.y0 >= outer.y0 and a.y1 <= outer.y1)


def _texts(fig: Any) -> list[Any]:
    """The figure's visible, non-empty texts (tick labels, axis labels, tags)."""
    from matplotlib.text import Text

    return [t for t in fig.findobj(match=Text) if t.get_visible() and t.get_text()]


def _groups(ax: Any, pts: list[Point]) -> list[list[Point]]:
    """Points that (nearly) coincide on screen, grouped; each group gets one tag."""
    groups: list[tuple[Any, list[Point]]] = []
    for p in pts:
        xy = ax.transData.transform((p.cost, p.value))
        for centre, members in groups:
            if abs(centre[0] - xy[0]) < NEAR_PX and abs(centre[1] - xy[1]) < NEAR_PX:
                members.append(p)
                break
        else:
            groups.append((xy, [p]))
    return [members for _, members in groups]


def _place_tags(fig: Any, ax: Any, pts: list[Point]) -> None:
    """Tag each group of points with its numbers at the first free spot around it, further
    out (with a leader line) when every near spot is taken; a group with no free spot at all
    stays untagged (`Point.tagged`)."""
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = [t.get_window_extent(renderer) for t in _texts(fig)]
    # the markers themselves, so a tag does not hide another point
    for p in pts:
        x, y = ax.transData.transform((p.cost, p.value))
        taken.append(_box(x - 4, y - 4, x + 4, y + 4))
    for group in _groups(ax, pts):
        label = ", ".join(str(p.tag) for p in group)
        anchor = (group[0].cost, group[0].value)
        placed = None
        for scale in (1, 2, 3, 4, 6):
            for dx, dy, ha, va in SPOTS:
                text = ax.annotate(
                    label,
                    anchor,
                    xytext=(dx * scale, dy * scale),
                    textcoords="offset points",
                    ha=ha,
                    va=va,
                    fontsize=9,
                    fontweight="bold",
                    arrowprops=dict(arrowstyle="-", lw=0.5, color="#555") if scale > 1 else None,
                    zorder=4,
                )
                box = text.get_window_extent(renderer)
                if _inside(box, frame) and not _overlaps(box, taken):
                    placed = box
                    break
                text.remove()
            if placed is not None:
                break
        if placed is None:  # nowhere free: left untagged (the key says so) rather than hidden
            for p in group:
                p.tagged = False
            continue
        taken.append(placed)


def _box(x0: float, y0: float, x1: float, y1: float) -> Any:
    from matplotlib.transforms import Bbox

    return Bbox([[x0, y0], [x1, y1]])


def _log_ticks(fig: Any, ax: Any) -> None:
    """Dollar tick labels at powers of ten, as few decades apart as keeps them from touching."""
    import math

    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    renderer = fig.canvas.get_renderer()
    ax.autoscale_view()
    lo, hi = ax.get_xlim()
    first, last = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    decades = max(math.log10(hi / lo), 1e-9)
    width = ax.get_window_extent(renderer).width
    font = FontProperties(size=FONT)
    widest = max(
        renderer.get_text_width_height_descent(_usd_tick(10.0**k), font, ismath=False)[0]
        for k in range(first, last + 1)
    )
    gap = renderer.points_to_pixels(8)
    step = next(s for s in range(1, 40) if width * s / decades >= widest + gap)
    ticks = [10.0**k for k in range(first, last + 1) if (k - first) % step == 0]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(_usd_tick))
    ax.xaxis.set_minor_locator(NullLocator())  # unlabelled, and slow to lay out over decades


def scatter_svg(result: BenchResult) -> tuple[str, list[Point]]:
    """The plot as an SVG string, and its points (tag numbers for the key).

    API estimates without a measured accuracy sit in a strip under the plot at their cost. Every
    text of the figure is an SVG group with id `label-N`, for the browser test.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullLocator

    pm = result.primary_metric
    pts = points(result)
    unscored = [
        s.cost_usd_per_1k
        for s in result.systems
        if s.metrics.get(pm) is None and s.cost_usd_per_1k and s.cost_usd_per_1k > 0
    ]
    with plt.rc_context(
        {
            "font.size": FONT,
            "xtick.labelsize": FONT,
            "ytick.labelsize": FONT,
            "svg.fonttype": "path",
        }
    ):
        fig, (ax, strip) = plt.subplots(
            2, 1, figsize=(5.6, 4.2), sharex=True, gridspec_kw={"height_ratios": [5, 1]}
        )
        for p in pts:
            pair = interval_of(p.row, pm)
            if pair:  # the 95 % bootstrap interval as a vertical bar
                ax.plot([p.cost, p.cost], pair, color=COLORS[p.row.kind], lw=1.2, alpha=0.6)
            ax.scatter(
                [p.cost],
                [p.value],
                c=COLORS[p.row.kind],
                marker="D" if p.published else "o",
                s=40,
                edgecolors="black" if p.published else "none",
                zorder=3,
            )
        if unscored:
            strip.scatter(
                unscored, [0.0] * len(unscored), marker="|", s=300, c=COLORS["api-estimate"]
            )
        strip.set_yticks([])
        strip.set_ylabel("API\nestimates", fontsize=8, rotation=0, ha="right", va="center")
        ax.set_xscale("log")
        ax.set_ylabel(pm)
        ax.grid(True, which="major", alpha=0.3)
        ax.margins(x=0.12, y=0.12)
        strip.set_xlabel("$ per 1,000 requests (log scale)")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(_usd_tick))
        fig.tight_layout()
        _log_ticks(fig, ax)
        fig.canvas.draw()
        _place_tags(fig, ax, pts)
        for i, t in enumerate(_texts(fig)):
            t.set_gid(f"label-{i}")
        buf = io.StringIO()
        fig.savefig(
            buf,
            format="svg",
            metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
        )
        plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg") :], pts
