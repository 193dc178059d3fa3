"""Period headers as people write them: months, quarters, ISO weeks, a day without its year.

``Jan``, ``January``, ``Jan 2026``, ``Jan-26``, ``2026-01``; ``Q4``, ``Q4 2026``, ``2026 Q4``;
``W45``, ``Week 45``, ``2026-W45``; ``26 Oct``. A header without a year takes the year written
above the header (``Year: 2026``), else it is the latest such period begun by the as-of day.
A period's value is dated at its last day (today while it is under way), so October's figure
is not stale in mid-November. Pure: the as-of day is passed in.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sync.grid import Cell

_MONTHS = {
    name: i
    for i in range(1, 13)
    for name in (calendar.month_name[i].lower(), calendar.month_abbr[i].lower())
} | {"sept": 9}
_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH = rf"(?P<month>{_NAMES})\.?"
_YEAR = r"(?P<year>[0-9]{4}|'?[0-9]{2})"
_SEP = r"[\s\-/.,']*"
_WEEK = r"(?:w|wk|week)\s*(?P<week>[0-9]{1,2})"
_QUARTER = r"q(?P<quarter>[1-4])"
_FORMS = [
    ("month", rf"{_MONTH}(?:{_SEP}{_YEAR})?"),
    ("month", r"(?P<year>[0-9]{4})[-/.](?P<num>[0-9]{1,2})"),
    ("month", rf"(?P<year>[0-9]{{4}}){_SEP}{_MONTH}"),
    ("quarter", rf"{_QUARTER}(?:{_SEP}{_YEAR})?"),
    ("quarter", rf"(?P<year>[0-9]{{4}}){_SEP}{_QUARTER}"),
    ("week", rf"{_WEEK}(?:{_SEP}{_YEAR})?"),
    ("week", rf"(?P<year>[0-9]{{4}}){_SEP}{_WEEK}"),
    ("day", rf"(?P<day>[0-9]{{1,2}}){_SEP}{_MONTH}"),
]
_PATTERNS = [(kind, re.compile(rf"\A{form}\Z", re.IGNORECASE)) for kind, form in _FORMS]
_LOOKS = re.compile(
    rf"\b(?:{_NAMES}|q[0-9]|w[0-9]{{1,2}}|week|month|quarter|h[12])\b"
    r"|\A[0-9]{4}[-/.][0-9]{1,2}\Z",
    re.IGNORECASE,
)
_YEAR_LINE = re.compile(r"\b(?:year|fy)\s*[:=]?\s*(?P<year>[0-9]{4})\b", re.IGNORECASE)


_Maker = Callable[[int], "Period | None"]


@dataclass(frozen=True)
class Period:
    """A period a header names: its first and last day (inclusive)."""

    start: dt.date
    end: dt.date

    def dated(self, today: dt.date) -> dt.date:
        """The day its value counts for: the last day, or today while it is under way."""
        return today if self.start <= today < self.end else self.end


def read_period(cell: Cell, *, year: int | None, today: dt.date) -> Period | None:
    """The period a header names, or None if it names none this module can place."""
    if not isinstance(cell, str):
        return None
    text = " ".join(cell.split())
    for kind, pattern in _PATTERNS:
        if m := pattern.match(text):
            return _place(kind, m.groupdict(), year, today)
    return None


def looks_like_period(cell: Cell) -> bool:
    """Does this header read as a period or a date to a person (so ignoring it would hide
    data)? Checked for headers ``read_period`` could not place."""
    return isinstance(cell, str) and bool(_LOOKS.search(" ".join(cell.split())))


def year_above(rows: Iterable[Iterable[Cell]]) -> int | None:
    """The year written above a header: ``Year: 2026``, ``(Year: 2026)``, ``FY 2026``, or a
    ``Year`` cell with the year in the next cell; the lowest such line wins."""
    found = None
    for row in rows:
        cells = list(row)
        for i, cell in enumerate(cells):
            text = str(cell) if isinstance(cell, str) else ""
            if m := _YEAR_LINE.search(text):
                found = int(m["year"])
            elif text.strip().rstrip(":").casefold() == "year" and i + 1 < len(cells):
                nxt = cells[i + 1]
                if isinstance(nxt, int | str) and re.fullmatch(r"\s*[0-9]{4}\s*", str(nxt)):
                    found = int(str(nxt))
    return found


def _place(kind: str, g: dict[str, str | None], year: int | None, today: dt.date) -> Period | None:
    written = _year(g.get("year"))
    if kind == "week":
        return _latest(lambda y: _week(y, int(g["week"] or 0)), written or year, today, iso=True)
    if kind == "quarter":
        q = int(g["quarter"] or 0)
        return _latest(lambda y: _months(y, 3 * q - 2, 3), written or year, today)
    if kind == "day":
        on, day = _MONTHS[(g["month"] or "").lower()], int(g["day"] or 0)
        return _latest(lambda y: _day(y, on, day), year, today)
    num = g.get("num")
    month = int(num) if num else _MONTHS[(g["month"] or "").lower()]
    if not 1 <= month <= 12:
        return None
    return _latest(lambda y: _months(y, month, 1), written or year, today)


def _latest(make: _Maker, year: int | None, today: dt.date, *, iso: bool = False) -> Period | None:
    """The period in ``year``, else the latest of this year's and last year's begun by today."""
    if year is not None:
        return make(year)
    this = today.isocalendar().year if iso else today.year
    for y in (this, this - 1):
        period = make(y)
        if period is not None and period.start <= today:
            return period
    return None


def _months(year: int, first: int, count: int) -> Period:
    last = first + count - 1
    return Period(dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1]))


def _week(year: int, week: int) -> Period | None:
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError:  # week 0, or 53 in a year of 52
        return None
    return Period(monday, monday + dt.timedelta(days=6))


def _day(year: int, month: int, day: int) -> Period | None:
    try:
        d = dt.date(year, month, day)
    except ValueError:
        return None
    return Period(d, d)


def _year(text: str | None) -> int | None:
    if not text:
        return None
    digits = text.lstrip("'")
    return int(digits) if len(digits) == 4 else 2000 + int(digits)
