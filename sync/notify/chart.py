"""Small PNGs for the mails: a breached KPI's recent history, an objective's burn-up.

matplotlib is the optional ``charts`` extra: it is imported here, lazily, and only here.
Without it ``render_png`` returns None and the mail simply carries no chart. The import is
attempted with ``import matplotlib`` first, so setting ``sys.modules["matplotlib"] = None``
(Python's documented way to make an import fail) is the seam the tests use for that path.

The Agg canvas is driven directly (no ``pyplot``): no global figure registry, no GUI
backend chosen behind our back, safe in a long-running worker.

A first run of a big sheet mails hundreds of charts, and building a figure costs more than
drawing it (axes, ticks, markers are all made afresh). So each thread keeps one figure per
kind of chart, its lines made once, and a chart only sets the lines' data, the limits and
the ticks before the figure is saved: 15-20 ms a chart instead of 40-60.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import threading
from collections.abc import Sequence
from typing import Any, TypeVar, cast

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
_MOST_DATE_TICKS = 5

_canvases = threading.local()  # a figure is not safe to share: the worker syncs in threads


def available() -> bool:
    """Whether charts can be drawn (matplotlib importable)."""
    return _matplotlib() is not None


def render_png(item: AlertItem) -> bytes | None:
    """The item's history as PNG bytes, or None (no matplotlib, or under two points)."""
    points = tuple(sorted((day, value) for day, value in item.history if math.isfinite(value)))
    levels = [v for v in (item.warning, item.critical) if v is not None and math.isfinite(v)]
    if len(points) < 2 or any(abs(v) > _DRAWABLE for v in [*levels, *(v for _, v in points)]):
        return None
    if _matplotlib() is None:
        return None
    return _drawn(points, _finite(item.warning), _finite(item.critical))


def render_burnup(burnup: Burnup) -> bytes | None:
    """An objective's burn-up as PNG bytes: its progress so far, the expected pace and the
    forecast to the due date; None without matplotlib or with nothing to draw."""
    lines = (burnup.actual, burnup.expected, burnup.forecast)
    if not burnup.actual or not all(math.isfinite(v) for line in lines for _, v in line):
        return None
    if _matplotlib() is None:
        return None
    return _drawn_burnup(burnup)


@functools.lru_cache(maxsize=256)  # a KPI's chart goes to its owner and to the managers alike
def _drawn(
    points: tuple[tuple[dt.date, float], ...], warning: float | None, critical: float | None
) -> bytes:
    return _canvas(_KpiCanvas).draw(points, warning, critical)


@functools.lru_cache(maxsize=64)  # the same objective's chart goes to every manager
def _drawn_burnup(burnup: Burnup) -> bytes:
    return _canvas(_BurnupCanvas).draw(burnup)


def _finite(level: float | None) -> float | None:
    return level if level is not None and math.isfinite(level) else None


def _matplotlib() -> tuple[Any, Any, Any, Any] | None:
    """(Figure, FigureCanvasAgg, matplotlib.dates, matplotlib.ticker), or None when the
    extra is not installed. Typed ``Any``: parts of matplotlib's API are untyped, and it is
    optional anyway."""
    try:
        import matplotlib  # noqa: F401  (first, so a None in sys.modules stops it here)
        from matplotlib import dates, ticker
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure, FigureCanvasAgg, dates, ticker


def _canvas(kind: type[_Canvas]) -> _Canvas:
    """This thread's figure of that kind, made on first use."""
    canvas = getattr(_canvases, kind.__name__, None)
    if canvas is None:
        mpl = _matplotlib()
        assert mpl is not None  # the callers checked
        canvas = kind(mpl)
        setattr(_canvases, kind.__name__, canvas)
    return cast(_Canvas, canvas)


class _Figure:
    """One figure and its axes, styled once: grid, no top or right spine, fixed margins
    (the layout solver cost a third of each chart), small tick labels, dated x axis."""

    def __init__(self, mpl: tuple[Any, Any, Any, Any]) -> None:
        figure_cls, canvas_cls, self._dates, self._ticker = mpl
        self.figure = figure_cls(figsize=_SIZE_INCHES, dpi=_DPI)
        canvas_cls(self.figure)
        self.axes = self.figure.add_subplot(1, 1, 1)
        self.figure.subplots_adjust(left=0.1, right=0.98, top=0.95, bottom=0.14)
        self.axes.tick_params(labelsize=7)
        self.axes.grid(alpha=0.25)
        for side in ("top", "right"):
            self.axes.spines[side].set_visible(False)
        self.axes.yaxis.set_major_locator(self._ticker.MaxNLocator(nbins=4))

    def line(self, colour: str, style: str, width: float, **marker: Any) -> Any:
        (made,) = self.axes.plot([], [], color=colour, linestyle=style, linewidth=width, **marker)
        return made

    def date_ticks(self, first: dt.date, last: dt.date) -> None:
        """At most five short labels (``Nov 17``), whole weeks apart counting back from the
        newest day, so that weekly data is labelled at its own dates; a fixed locator, as
        matplotlib's date locators cost a tenth of each chart."""
        weeks = max(1, math.ceil((last - first).days / 7 / (_MOST_DATE_TICKS - 1)))
        ticks = [last - dt.timedelta(weeks=weeks * n) for n in range(_MOST_DATE_TICKS)]
        shown = [day for day in reversed(ticks) if day >= first]
        labels = [day.strftime("%b %d") for day in shown]
        self.axes.xaxis.set_major_locator(self._ticker.FixedLocator(self._dates.date2num(shown)))
        self.axes.xaxis.set_major_formatter(self._ticker.FixedFormatter(labels))

    def png(self, first: dt.date, last: dt.date) -> bytes:
        self.date_ticks(first, last)
        self.axes.relim(visible_only=True)
        self.axes.autoscale_view()
        buffer = io.BytesIO()
        # No "Software" metadata: the bytes depend on the data only, not on the matplotlib build.
        self.figure.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()

    def legend(self, lines: Sequence[Any]) -> None:
        """The legend of the lines shown ("best" placement searches: slow)."""
        shown = [line for line in lines if line.get_visible()]
        legend = self.axes.get_legend()
        if legend is not None:
            legend.remove()
        if shown:
            labels = [line.get_label() for line in shown]
            self.axes.legend(shown, labels, loc="upper left", fontsize=7, frameon=False)


_Canvas = TypeVar("_Canvas", bound=_Figure)


class _KpiCanvas(_Figure):
    """History line, the newest point marked, warning and critical levels dashed."""

    def __init__(self, mpl: tuple[Any, Any, Any, Any]) -> None:
        super().__init__(mpl)
        self.history = self.line(_LINE, "-", 1.6, marker="o", markersize=3)
        self.newest = self.line(_LINE, "", 1.6, marker="o", markersize=7)
        self.levels = [
            self.axes.axhline(0, color=colour, linestyle="--", linewidth=1.2, label=label)
            for colour, label in ((_WARNING, "warning"), (_CRITICAL, "critical"))
        ]

    def draw(
        self,
        points: Sequence[tuple[dt.date, float]],
        warning: float | None,
        critical: float | None,
    ) -> bytes:
        days = [day for day, _ in points]
        values = [value for _, value in points]
        self.history.set_data(days, values)
        self.newest.set_data(days[-1:], values[-1:])
        for line, level in zip(self.levels, (warning, critical), strict=True):
            line.set_visible(level is not None)
            line.set_ydata([level or 0.0] * 2)
        self.legend(self.levels)
        return self.png(days[0], days[-1])


class _BurnupCanvas(_Figure):
    """Expected pace dashed, progress with its points, the forecast dotted; y in per cent."""

    def __init__(self, mpl: tuple[Any, Any, Any, Any]) -> None:
        super().__init__(mpl)
        self.expected = self.line(_EXPECTED, "--", 1.6, label="expected")
        self.actual = self.line(_LINE, "-", 1.6, marker="o", markersize=3, label="progress")
        self.forecast = self.line(_FORECAST, ":", 1.6, label="forecast")
        self.axes.yaxis.set_major_formatter(lambda v, _: f"{v * 100:.0f} %")

    def draw(self, burnup: Burnup) -> bytes:
        lines = (burnup.expected, burnup.actual, burnup.forecast)
        for line, points in zip((self.expected, self.actual, self.forecast), lines, strict=True):
            _set(line, points)
        top = max(1.0, *(v for line in (burnup.actual, burnup.forecast) for _, v in line))
        self.axes.set_ylim(0, top * 1.05)
        self.legend([self.expected, self.actual, self.forecast])
        days = [day for line in lines for day, _ in line]
        return self.png(min(days), max(days))


def _set(line: Any, points: Line) -> None:
    line.set_visible(bool(points))
    line.set_data([day for day, _ in points], [value for _, value in points])
