"""Small PNGs for the mails: a breached KPI's recent history, an objective's burn-up.

matplotlib is the optional ``charts`` extra: it is imported here, lazily, and only here.
Without it ``render_png`` returns None and the mail simply carries no chart. The import is
attempted with ``import matplotlib`` first, so setting ``sys.modules["matplotlib"] = None``
(Python's documented way to make an import fail) is the seam the tests use for that path.

The Agg canvas is driven directly (no ``pyplot``): no global figure registry, no GUI
backend chosen behind our back, safe in a long-running worker.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
from typing import Any

from sync.burnup import Burnup, Line
from sync.notices import AlertItem

_LINE = "#1f5fa8"
_WARNING = "#d08700"
_CRITICAL = "#c62828"
_EXPECTED = "#9e9e9e"
_FORECAST = "#2e7d32"
_SIZE_INCHES = (5.0, 1.8)
_DPI = 100
_DRAWABLE = 1e300  # larger figures overflow matplotlib's axis margins: no chart for those


def available() -> bool:
    """Whether charts can be drawn (matplotlib importable)."""
    return _matplotlib() is not None


def render_png(item: AlertItem) -> bytes | None:
    """The item's history as PNG bytes, or None (no matplotlib, or under two points)."""
    points = tuple(sorted((day, value) for day, value in item.history if math.isfinite(value)))
    levels = [v for v in (item.warning, item.critical) if v is not None and math.isfinite(v)]
    if len(points) < 2 or any(abs(v) > _DRAWABLE for v in [*levels, *(v for _, v in points)]):
        return None
    mpl = _matplotlib()
    if mpl is None:
        return None
    return _drawn(points, item.warning, item.critical, mpl)


@functools.lru_cache(maxsize=256)  # a KPI's chart goes to its owner and to the managers alike
def _drawn(
    points: tuple[tuple[dt.date, float], ...],
    warning: float | None,
    critical: float | None,
    mpl: tuple[Any, Any, Any],
) -> bytes:
    figure, axes = _axes(mpl)
    _draw(axes, list(points), warning, critical)
    return _png(figure, axes, mpl)


def _axes(mpl: tuple[Any, Any, Any]) -> tuple[Any, Any]:
    """A chart's figure, on an Agg canvas of its own, and its one set of axes."""
    figure_cls, canvas_cls, _ = mpl
    figure = figure_cls(figsize=_SIZE_INCHES, dpi=_DPI)
    canvas_cls(figure)
    return figure, figure.add_subplot(1, 1, 1)


def _png(figure: Any, axes: Any, mpl: tuple[Any, Any, Any]) -> bytes:
    """The dated axis, the margins and the PNG bytes, the same for every chart."""
    _date_axis(axes, mpl[2])
    # Fixed margins rather than tight_layout(): the layout solver cost a third of each chart,
    # and a first run mails hundreds of them.
    figure.subplots_adjust(left=0.1, right=0.98, top=0.95, bottom=0.14)
    buffer = io.BytesIO()
    # No "Software" metadata: the bytes depend on the data only, not on the matplotlib build.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _matplotlib() -> tuple[Any, Any, Any] | None:
    """(Figure, FigureCanvasAgg, matplotlib.dates), or None when the extra is not installed.

    Typed ``Any``: parts of matplotlib's API are untyped, and it is optional anyway.
    """
    try:
        import matplotlib  # noqa: F401  (first, so a None in sys.modules stops it here)
        from matplotlib import dates
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure, FigureCanvasAgg, dates


def _draw(
    axes: Any, points: list[tuple[dt.date, float]], warning: float | None, critical: float | None
) -> None:
    """History line, threshold lines, the newest point marked."""
    days = [day for day, _ in points]
    values = [value for _, value in points]
    axes.plot(days, values, color=_LINE, linewidth=1.6, marker="o", markersize=3)
    axes.plot(days[-1:], values[-1:], color=_LINE, marker="o", markersize=7)
    for level, colour, label in ((warning, _WARNING, "warning"), (critical, _CRITICAL, "critical")):
        if level is not None and math.isfinite(level):
            axes.axhline(level, color=colour, linestyle="--", linewidth=1.2, label=label)
    if warning is not None or critical is not None:
        axes.legend(loc="upper left", fontsize=7, frameon=False)  # "best" searches: slow
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.25)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _date_axis(axes: Any, dates: Any) -> None:
    """A few short date labels (``Nov 09``) instead of a crowded row of ISO dates."""
    locator = dates.AutoDateLocator(minticks=3, maxticks=6)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    axes.xaxis.get_offset_text().set_fontsize(7)


def render_burnup(burnup: Burnup) -> bytes | None:
    """An objective's burn-up as PNG bytes: its progress so far, the expected pace and the
    forecast to the due date; None without matplotlib or with nothing to draw."""
    lines = (burnup.actual, burnup.expected, burnup.forecast)
    if not burnup.actual or not all(math.isfinite(v) for line in lines for _, v in line):
        return None
    mpl = _matplotlib()
    if mpl is None:
        return None
    return _drawn_burnup(burnup, mpl)


@functools.lru_cache(maxsize=64)  # the same objective's chart goes to every manager
def _drawn_burnup(burnup: Burnup, mpl: tuple[Any, Any, Any]) -> bytes:
    figure, axes = _axes(mpl)
    _line(axes, burnup.expected, _EXPECTED, "--", "expected")
    _line(axes, burnup.actual, _LINE, "-", "progress", marker="o")
    _line(axes, burnup.forecast, _FORECAST, ":", "forecast")
    top = max(1.0, *(v for line in (burnup.actual, burnup.forecast) for _, v in line))
    axes.set_ylim(0, top * 1.05)
    axes.yaxis.set_major_formatter(lambda v, _: f"{v * 100:.0f} %")
    axes.legend(loc="upper left", fontsize=7, frameon=False)
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.25)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _png(figure, axes, mpl)


def _line(axes: Any, line: Line, colour: str, style: str, label: str, *, marker: str = "") -> None:
    if line:
        days, values = [d for d, _ in line], [v for _, v in line]
        axes.plot(
            days,
            values,
            color=colour,
            linestyle=style,
            linewidth=1.6,
            marker=marker or None,
            markersize=3,
            label=label,
        )
