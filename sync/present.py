"""Figures as a person reads them: in notes, on the Status tab, in mails and in the terminal.

One place for how a number, a change, a progress or a score is written, so that ``12 %`` in a
mail is ``12 %`` on the Status tab too. Pure and scalar: a column is ``series.map(fmt)`` or a
list comprehension; ten thousand KPIs cost a few milliseconds either way.
"""

from __future__ import annotations

import math

from sync.cells import cell_text

BAR_WIDTH = 10


def fmt(value: float, unit: str = "") -> str:
    """A number as a person writes it: ``412``, ``1,200.5``, ``$1,200``, ``3.4 %``.

    A ``%`` KPI holds fractions, as Sheets stores percentages (``12%`` is 0.12).
    """
    if value is None or math.isnan(value):
        return ""
    value = float(value)  # Python floats overflow to inf quietly; numpy's warn
    if unit == "%":
        return f"{_number(value * 100)} %"
    text = _number(value)
    if unit == "$":
        return f"-${text[1:]}" if text.startswith("-") else f"${text}"
    return f"{text} {unit}".strip()


def _number(value: float) -> str:
    if value.is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.4g}"


def percent_change(fraction: float) -> str:
    """``-17.6 %``; a change that rounds to nothing is ``+0.0 %``, never ``-0.0 %``."""
    return f"{round(float(fraction) * 100, 1) + 0.0:+.1f} %"


def percent(fraction: float) -> str:
    """A progress or an expected progress: ``52 %`` ("" for none)."""
    return "" if math.isnan(fraction) else f"{fraction * 100:.0f} %"


def bar(progress: float) -> str:
    """``▓▓▓▓▓░░░░░ 52 %``: readable in any font, on any backend, without charts.

    The bar is clamped to 0..100 %; the figure is the raw progress (``▓▓▓▓▓▓▓▓▓▓ 107 %``).
    """
    if math.isnan(progress):
        return ""
    filled = math.floor(min(max(progress, 0.0), 1.0) * BAR_WIDTH + 0.5)  # half a block up
    return "▓" * filled + "░" * (BAR_WIDTH - filled) + " " + percent(progress)


def as_typed(value: object) -> str:
    """A cell as a person typed it: ``7`` not ``7.0``; text trimmed; "" for empty."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return cell_text(value)


def figure(value: float) -> str:
    """A key result's figure, compactly: ``12``, ``0.35``, ``1,200``, ``0.9995``."""
    if math.isnan(value):
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
