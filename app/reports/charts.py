"""SVG charts with matplotlib's object API: a target's progress, a plan's verdicts per category, a status badge.

Thread safety: every chart is its own `Figure` drawn by its own SVG canvas; pyplot (and its
global current figure) is never imported. rcParams are read, never changed, while drawing; the
few settings below are fixed once at import. Drawing holds a lock: matplotlib's text layout
keeps caches that it does not promise to share safely between threads, and a chart takes
milliseconds, so serialising them costs little.
"""

from __future__ import annotations

import io
import textwrap
import threading
from datetime import date

import matplotlib
from matplotlib import dates as mdates
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from app.engine import wording
from app.reports.document import (
    STATUS_COLOURS,
    amount,
    facts,
    label,
    plan_text,
    verdict_word,
)
from app.status.models import TargetHistory, TargetStatus

matplotlib.use("Agg")  # never a GUI backend, should anything import pyplot; each chart draws on its own SVG canvas

# Same input, same bytes: ids in the SVG come from this salt, not from a random one; no date in the metadata.
matplotlib.rcParams["svg.hashsalt"] = "chitieu"
matplotlib.rcParams["svg.fonttype"] = "none"
_METADATA = {"Date": None, "Creator": "chitieu"}
_LOCK = threading.Lock()
_FONT = "DejaVu Sans"  # shipped with matplotlib; covers Vietnamese

# The order verdicts stack in the plan chart (best first).
_ORDER = (
    "exceeded",
    "achieved_early",
    "achieved",
    "on_track",
    "basically_achieved",
    "at_risk",
    "not_achieved",
    "off_track",
    "no_data",
)


def _svg(fig: Figure) -> bytes:
    FigureCanvasSVG(fig)
    buffer = io.BytesIO()
    with _LOCK:
        fig.savefig(buffer, format="svg", metadata=_METADATA)
    return buffer.getvalue()


def _numbers(lang: str) -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: wording.format_number(x, lang))


def _day_formatter(lang: str) -> FuncFormatter:
    def fmt(x, _pos):
        day = mdates.num2date(x).date()
        return day.strftime("%d/%m/%Y") if lang == "vi" else day.isoformat()

    return FuncFormatter(fmt)


def target_chart(status: TargetStatus, history: TargetHistory, *, period_end: date, lang: str) -> bytes:
    """A target's figures over time, the expected path, the goal (a band for a range), the forecast dashed, as_of marked."""
    fig = Figure(figsize=(7.2, 3.8), dpi=100)
    ax = fig.add_subplot()
    f = facts(status)
    plan = plan_text(status, lang)
    if f.comparison == "between" and f.low is not None and f.high is not None:
        ax.axhspan(f.low, f.high, color=STATUS_COLOURS["achieved"], alpha=0.15, label=f"{label('plan', lang)}: {plan}")
    elif history.goal is not None:
        ax.axhline(history.goal, color=STATUS_COLOURS["achieved"], linewidth=1.5, label=f"{label('plan', lang)}: {plan}")
    # matplotlib's stubs take no dates on an axis, but its date units convert them: hence the ignores below
    # (on the dates' own line, as `ruff format` lays these calls out).
    if history.expected_path:
        ax.plot(
            [p.date for p in history.expected_path],  # type: ignore[arg-type]
            [p.expected for p in history.expected_path],
            color="#8c959f",
            linestyle=":",
            linewidth=1.2,
            label="Tiến độ cần đạt" if lang == "vi" else "Expected path",
        )
    points = [(p.date, p.measured) for p in history.points if p.measured is not None]
    colour = STATUS_COLOURS.get(str(status.status), "#0969da")
    if points:
        ax.plot(
            [d for d, _ in points],  # type: ignore[arg-type]
            [v for _, v in points],
            color="#0969da",
            marker="o",
            linewidth=2,
            label=label("result", lang),
        )
    if status.forecast is not None and points and period_end > points[-1][0]:
        ax.plot(
            [points[-1][0], period_end],  # type: ignore[arg-type]
            [points[-1][1], status.forecast.value],
            color=colour,
            linestyle="--",
            marker="o",
            markerfacecolor="white",
            label=label("forecast", lang, value=amount(status.forecast.value, status.unit, lang)),
        )
    ax.axvline(
        status.as_of,  # type: ignore[arg-type]
        color="#57606a",
        linewidth=1,
        linestyle="-.",
        label=label("as_of", lang, day=wording.format_date(status.as_of, lang)),
    )
    title = textwrap.shorten(status.title, 70, placeholder="…")
    ax.set_title(f"{title}\n{verdict_word(str(status.status), lang)}", fontsize=10, loc="left", family=_FONT)
    ax.set_ylabel(status.unit, family=_FONT)
    ax.yaxis.set_major_formatter(_numbers(lang))
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.xaxis.set_major_formatter(_day_formatter(lang))
    ax.grid(True, color="#eaeef2")
    ax.legend(fontsize=7, loc="best", frameon=False)
    fig.subplots_adjust(left=0.11, right=0.98, top=0.86, bottom=0.09)  # fixed: tight_layout would lay the text out twice
    return _svg(fig)


def plan_chart(counts: list[tuple[str, dict[str, int]]], *, lang: str) -> bytes:
    """Verdict counts per category: one horizontal bar per category, stacked by verdict."""
    categories = [name or "—" for name, _ in counts][::-1]
    fig = Figure(figsize=(7.2, 1.6 + 0.45 * max(len(categories), 1)), dpi=100)
    ax = fig.add_subplot()
    left = [0] * len(categories)
    for status in _ORDER:
        values = [c.get(status, 0) for _, c in counts][::-1]
        if not any(values):
            continue
        ax.barh(categories, values, left=left, color=STATUS_COLOURS[status], label=verdict_word(status, lang), height=0.6)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_title(label("chart_title", lang), fontsize=11, loc="left", family=_FONT)
    ax.set_xlabel(label("chart_axis", lang), family=_FONT)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(_numbers(lang))
    ax.spines[["top", "right"]].set_visible(False)
    height = fig.get_figheight()
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.5 / height - 0.1), ncols=4, frameon=False)
    longest = max((len(c) for c in categories), default=1)
    fig.subplots_adjust(left=min(0.45, 0.03 + 0.0125 * longest), right=0.97, top=1 - 0.45 / height, bottom=1.05 / height)
    return _svg(fig)


def badge(status: TargetStatus, *, lang: str) -> bytes:
    """A small badge for portals: the target's title on grey, its figure and verdict on the verdict's colour."""
    fig = Figure(figsize=(5.0, 0.3), dpi=100)
    fig.patch.set_alpha(0)
    split = 0.54
    fig.add_artist(Rectangle((0, 0), split, 1, transform=fig.transFigure, color="#555555"))
    fig.add_artist(
        Rectangle((split, 0), 1 - split, 1, transform=fig.transFigure, color=STATUS_COLOURS.get(str(status.status), "#6e7781"))
    )
    title = textwrap.shorten(status.title, 36, placeholder="…")
    value = "" if status.measured is None else amount(status.measured, status.unit, lang) + " · "
    fig.text(0.02, 0.5, title, color="white", fontsize=8, va="center", family=_FONT)
    fig.text(
        split + 0.02,
        0.5,
        value + verdict_word(str(status.status), lang),
        color="white",
        fontsize=8,
        va="center",
        family=_FONT,
        fontweight="bold",
    )
    return _svg(fig)


def inline(svg: bytes) -> str:
    """An SVG document as markup to put inside an HTML page (without its XML declaration and doctype)."""
    text = svg.decode("utf-8")
    return text[text.index("<svg") :]
