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
the ticks before the figure is saved: about 13 ms a chart instead of 40-60.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import threading
from collections.abc import Sequence
from typing import Any, NamedTuple, TypeVar, cast

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
    warning, critical = _finite(item.warning), _finite(item.critical)
    levels = [v for v in (warning, critical) if v is not None]
    if len(points) < 2 or any(abs(v) > _DRAWABLE for v in [*levels, *(v for _, v in points)]):
        return None
    if _matplotlib() is None:
        return None
    return _drawn(points, warning, critical)


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


class _Mpl(NamedTuple):
    """The parts of matplotlib drawn with. Typed ``Any``: parts of its API are untyped, and
    it is optional anyway."""

    figure: Any
    canvas: Any
    dates: Any
    ticker: Any


def _matplotlib() -> _Mpl | None:
    """matplotlib's parts, or None when the extra is not installed."""
    try:
        import matplotlib  # noqa: F401  (first, so a None in sys.modules stops it here)
        from matplotlib import dates, ticker
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return _Mpl(Figure, FigureCanvasAgg, dates, ticker)


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

    def __init__(self, mpl: _Mpl) -> None:
        self.mpl = mpl
        self.figure = mpl.figure(figsize=_SIZE_INCHES, dpi=_DPI)
        mpl.canvas(self.figure)
        self.axes = self.figure.add_subplot(1, 1, 1)
        self.figure.subplots_adjust(left=0.1, right=0.98, top=0.95, bottom=0.14)
        self.axes.tick_params(labelsize=7)
        self.axes.grid(alpha=0.25)
        for side in ("top", "right"):
            self.axes.spines[side].set_visible(False)
        self.axes.yaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=4))
        for axis in (self.axes.xaxis, self.axes.yaxis):  # no axis titles: nothing to place
            axis.set_label_coords(0, 0)  # (and placing them measures every tick label)
        self.keys: list[tuple[Any, Any, Any]] = []

    def line(self, colour: str, style: str, width: float, label: str = "", **marker: Any) -> Any:
        """A line for the data, with its key in the legend if it has a label."""
        (made,) = self.axes.plot([], [], color=colour, linestyle=style, linewidth=width, **marker)
        return self.key(made, label) if label else made

    def key(self, line: Any, label: str) -> Any:
        """The line's key: a short stretch of the line itself and its label, in axes
        coordinates; placed by ``legend``."""
        at = self.axes.transAxes
        (sample,) = self.axes.plot(
            [0.015, 0.04, 0.065],
            [0, 0, 0],
            color=line.get_color(),
            linestyle=line.get_linestyle(),
            linewidth=line.get_linewidth(),
            marker=line.get_marker(),
            markersize=line.get_markersize(),
            markevery=[1],  # one marker, mid-sample, as a legend shows it
            transform=at,
        )
        text = self.axes.text(0.08, 0, label, fontsize=7, va="center", transform=at)
        self.keys.append((line, sample, text))
        return line

    def legend(self) -> None:
        """Keys of the lines shown, top left, one under the other. matplotlib's own legend
        packs its boxes again at every draw, a fifth of each chart; these are made once."""
        slot = 0
        for line, sample, text in self.keys:
            shown = line.get_visible()
            sample.set_visible(shown)
            text.set_visible(shown)
            sample.set_ydata([0.92 - 0.1 * slot] * 3)
            text.set_y(0.92 - 0.1 * slot)
            slot += shown

    def date_ticks(self, first: dt.date, last: dt.date) -> None:
        """At most five short labels (``Nov 17``), whole weeks apart counting back from the
        newest day, so that weekly data is labelled at its own dates; a fixed locator, as
        matplotlib's date locators cost a tenth of each chart."""
        span = (last - first).days
        weeks = max(1, math.ceil(span / 7 / (_MOST_DATE_TICKS - 1)))
        back = [n * weeks for n in range(_MOST_DATE_TICKS) if n * weeks * 7 <= span]
        shown = [last - dt.timedelta(weeks=w) for w in reversed(back)]  # none before ``first``
        labels = [day.strftime("%b %d") for day in shown]
        ticker = self.mpl.ticker
        self.axes.xaxis.set_major_locator(ticker.FixedLocator(self.mpl.dates.date2num(shown)))
        self.axes.xaxis.set_major_formatter(ticker.FixedFormatter(labels))

    def png(self, first: dt.date, last: dt.date) -> bytes:
        self.legend()
        self.date_ticks(first, last)
        self.axes.relim(visible_only=True)
        self.axes.autoscale_view()
        buffer = io.BytesIO()
        # No "Software" metadata: the bytes depend on the data only, not on the matplotlib
        # build. zlib level 1: a tenth of the chart's time at level 6, for 5 % more bytes.
        self.figure.savefig(
            buffer, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": 1}
        )
        return buffer.getvalue()


_Canvas = TypeVar("_Canvas", bound=_Figure)


class _KpiCanvas(_Figure):
    """History line, the newest point marked, warning and critical levels dashed."""

    def __init__(self, mpl: _Mpl) -> None:
        super().__init__(mpl)
        self.history = self.line(_LINE, "-", 1.6, marker="o", markersize=3)
        self.newest = self.line(_LINE, "", 1.6, marker="o", markersize=7)
        self.levels = [
            self.key(self.axes.axhline(0, color=colour, linestyle="--", linewidth=1.2), label)
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
        return self.png(days[0], days[-1])


class _BurnupCanvas(_Figure):
    """Expected pace dashed, progress with its points, the forecast dotted; y in per cent."""

    def __init__(self, mpl: _Mpl) -> None:
        super().__init__(mpl)
        self.expected = self.line(_EXPECTED, "--", 1.6, "expected")
        self.actual = self.line(_LINE, "-", 1.6, "progress", marker="o", markersize=3)
        self.forecast = self.line(_FORECAST, ":", 1.6, "forecast")
        self.axes.yaxis.set_major_formatter(lambda v, _: f"{v * 100:.0f} %")
        steps = [1, 2.5, 5, 10]  # quarters of the goal: 0, 25, 50, 75, 100 %
        self.axes.yaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=5, steps=steps))

    def draw(self, burnup: Burnup) -> bytes:
        lines = (burnup.expected, burnup.actual, burnup.forecast)
        for line, points in zip((self.expected, self.actual, self.forecast), lines, strict=True):
            _set(line, points)
        top = max(1.0, *(v for line in (burnup.actual, burnup.forecast) for _, v in line))
        self.axes.set_ylim(0, top * 1.05)
        days = [day for line in lines for day, _ in line]
        return self.png(min(days), max(days))


def _set(line: Any, points: Line) -> None:
    line.set_visible(bool(points))
    line.set_data([day for day, _ in points], [value for _, value in points])
