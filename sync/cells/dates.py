"""Dates as people and spreadsheets write them: date cells, serial numbers and text.

* ``a/b/yyyy`` is read day-first when ``a`` > 12, month-first when ``b`` > 12, and otherwise as
  ``dayfirst`` says, default month-first (Sheets' US default), except that dotted dates
  (``02.11.2026``) are day-first by default, as everywhere dots are used.
* Number cells are Sheets serial days since 1899-12-30 (from 61 they agree with Excel's), from
  1 (1899-12-31) to the last day pandas can hold (2262-04-11). Header cells only count as
  dates in 20000..80000 (1954..2119), so a column titled ``5`` stays a column.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import numpy.typing as npt
import pandas as pd

from sync.cells.kinds import (
    BOOL,
    DASHES,
    DATE,
    NUMBER,
    OTHER,
    TEXT,
    Bools,
    Floats,
    Objects,
    Stamps,
    as_frame,
    blank_or_formula,
    classify,
    error_column,
    fill_by_unique,
    float_or_inf,
    kind_of,
    plain_numeric,
    squash,
    to_floats,
)

SHEETS_EPOCH = dt.date(1899, 12, 30)
_EPOCH = np.datetime64("1899-12-30", "ms")
FIRST_DATE, LAST_DATE = dt.date(1677, 9, 22), dt.date(2262, 4, 10)  # what datetime64[ns] holds
_FIRST_DAY, _LAST_DAY = np.datetime64(FIRST_DATE, "s"), np.datetime64(LAST_DATE, "s")
MAX_SERIAL = int((_LAST_DAY - np.datetime64("1899-12-30", "s")) // np.timedelta64(1, "D"))
HEADER_SERIALS = (20_000, 80_000)

_MONTHS = {
    name: number
    for number, full in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
    for name in (full, full[:3], "sept" if number == 9 else full)
}
_ORDINAL = r"(?:st|nd|rd|th)?"
DATE_TEXT = re.compile(  # one pattern, one pass: each format fills its own groups
    r"\A(?:(?P<iy>[0-9]{4})(?P<isep>[-/.])(?P<im>[0-9]{1,2})(?P=isep)(?P<id>[0-9]{1,2})"  # ISO
    r"|(?P<a>[0-9]{1,2})(?P<sep>[-/.])(?P<b>[0-9]{1,2})(?P=sep)"  # m/d/Y or d/m/Y
    r"(?:(?P<y>[0-9]{4})|(?P<yy>[0-9]{2}))"
    rf"|(?P<nd>[0-9]{{1,2}}){_ORDINAL}[\s-]+(?P<nmon>[a-z]+)\.?,?[\s-]+(?P<ny>[0-9]{{4}})"
    rf"|(?P<mmon>[a-z]+)\.?\s+(?P<md>[0-9]{{1,2}}){_ORDINAL},?\s+(?P<my>[0-9]{{4}}))"
    r"(?:(?:T|\s+)(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:\.(?P<f>[0-9]{1,6})"
    r"[0-9]*)?)?(?:\s*(?P<half>[ap])\.?m\.?)?)?\Z",
    re.IGNORECASE,
)
_DATE_NUMBERS = ["iy", "im", "id", "a", "b", "y", "yy", "nd", "ny", "md", "my", "H", "M", "S"]


def _groups(pattern: re.Pattern[str], texts: pd.Series) -> dict[str, Objects]:
    """Each named group of ``pattern`` over ``texts``: the matched text, or NaN."""
    parts = texts.str.extract(pattern).to_numpy(dtype=object)
    return {name: parts[:, i - 1] for name, i in pattern.groupindex.items()}


def _month_names(g: dict[str, Objects]) -> Floats:
    """The month of ``2 Nov 2026`` / ``Nov 2, 2026`` (English names), NaN elsewhere."""
    names = pd.Series(np.where(pd.isna(g["nmon"]), g["mmon"], g["nmon"]), dtype=object)
    if names.isna().all():
        return np.full(len(names), np.nan)
    return np.array(names.str.lower().map(_MONTHS), dtype=np.float64)


def _calendar(g: dict[str, Objects], dayfirst: bool | None) -> tuple[Floats, Floats, Floats]:
    """Year, month and day of each text, whichever format it was written in.

    For a/b/Y a day above 12 decides; else ``dayfirst``; else dots mean d.m, slashes m/d.
    """
    n = {k: g[k].astype(np.float64) for k in _DATE_NUMBERS}
    prefer = g["sep"] == "." if dayfirst is None else dayfirst
    first = (n["a"] > 12) | ((n["b"] <= 12) & prefer)
    year = np.where(np.isnan(n["yy"]), n["y"], n["yy"] + np.where(n["yy"] <= 68, 2000, 1900))
    month_name = _month_names(g)
    known = ~np.isnan(month_name)  # "Week 45 2026" has the shape of "Nov 2 2026", not a month
    formats = [~np.isnan(n["iy"]), ~np.isnan(n["a"]), ~np.isnan(n["nd"]) & known,
               ~np.isnan(n["md"]) & known]  # fmt: skip
    day, month = np.where(first, n["a"], n["b"]), np.where(first, n["b"], n["a"])
    return (
        np.select(formats, [n["iy"], year, n["ny"], n["my"]], np.nan),
        np.select(formats, [n["im"], month, month_name, month_name], np.nan),
        np.select(formats, [n["id"], day, n["nd"], n["md"]], np.nan),
    )


def _clock(g: dict[str, Objects]) -> tuple[npt.NDArray[np.int64], Bools]:
    """Microseconds into the day of the optional time (12-hour clock included), and validity."""
    hour, minute, second = (np.nan_to_num(g[k].astype(np.float64)) for k in ("H", "M", "S"))
    twelve = ~pd.isna(g["half"])
    ok = ~twelve | ((hour >= 1) & (hour <= 12))
    hour = np.where(twelve, hour % 12 + np.isin(g["half"], ["p", "P"]) * 12, hour)
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    total = ((hour * 60 + minute) * 60 + second) * 1_000_000
    fraction = ~pd.isna(g["f"])
    if fraction.any():  # ".5" is 500000 microseconds
        total[fraction] += [int(f.ljust(6, "0")) for f in g["f"][fraction]]
    return np.where(ok, total, 0).astype(np.int64), np.asarray(ok, dtype=bool)


def _assemble(year: Floats, month: Floats, day: Floats) -> tuple[Stamps, Bools]:
    """Calendar parts to datetime64[D] with numpy, and which were a real day (no 30 February)."""
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)  # False where NaN
    y, m, d = (np.where(ok, part, 1).astype(np.int64) for part in (year, month, day))
    first = ((y - 1970) * 12 + m - 1).astype("datetime64[M]")
    stamps = first.astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")
    ok &= stamps.astype("datetime64[M]") == first
    return stamps, np.asarray(ok, dtype=bool)


def _to_ns(stamps: Stamps) -> tuple[Stamps, Bools]:
    """Stamps of any unit as datetime64[ns], and which fell outside what that unit can hold."""
    seconds = stamps.astype("datetime64[s]")
    outside = (seconds < _FIRST_DAY) | (seconds > _LAST_DAY)
    kept = np.where(outside, np.datetime64("NaT"), stamps)
    return kept.astype("datetime64[ns]"), outside


def _date_texts(texts: pd.Series, dayfirst: bool | None) -> tuple[Stamps, Objects]:
    """Read distinct texts as dates (ISO, m/d/Y or d/m/Y, month names); NaT when not."""
    texts = squash(texts)
    error = np.full(len(texts), "not a date", dtype=object)
    settled = blank_or_formula(texts, error)
    g = _groups(DATE_TEXT, texts)
    year, month, day = _calendar(g, dayfirst)
    days, real = _assemble(year, month, day)
    micros, on_clock = _clock(g)
    stamps, outside = _to_ns(days.astype("datetime64[us]") + micros.astype("timedelta64[us]"))
    matched = ~np.isnan(year) & ~settled
    read = matched & real & on_clock & ~outside
    stamps[~read] = np.datetime64("NaT")
    error[read] = None
    error[matched & ~(real & on_clock)] = "no such date"
    error[matched & real & on_clock & outside] = "date out of range"
    return stamps, error


def _naive(cell: object) -> object:
    """A timezone-aware datetime as its wall-clock time: the sheet showed that time."""
    if isinstance(cell, dt.datetime) and cell.tzinfo is not None:
        return cell.replace(tzinfo=None)
    return cell


def _date_objects(cells: pd.Series) -> tuple[Stamps, Objects]:
    """Distinct date/datetime/Timestamp objects as datetime64[ns]."""
    naive = pd.Series([_naive(c) for c in cells], dtype=object)  # distinct values only
    stamps, outside = _to_ns(pd.to_datetime(naive, errors="coerce").to_numpy())
    return stamps, error_column(outside, "date out of range")


def _serials(serial: Floats) -> tuple[Stamps, Objects]:
    """Sheets serial days (fractions are the time of day, to the millisecond) as datetime64[ns]."""
    usable = np.isfinite(serial) & (serial >= 1) & (serial <= MAX_SERIAL)
    millis = np.round(np.where(usable, serial, 0) * 86_400_000).astype(np.int64)
    stamps = (_EPOCH + millis.astype("timedelta64[ms]")).astype("datetime64[ns]")
    stamps[~usable] = np.datetime64("NaT")
    return stamps, error_column(~usable, f"a number, not a date serial (1..{MAX_SERIAL})")


def parse_dates(values: pd.Series, *, dayfirst: bool | None = None) -> pd.DataFrame:
    """Read a column of cells as dates: ``value`` datetime64[ns], NaT if empty/unreadable.

    Real dates pass (timezone-aware ones as their wall-clock time); numbers are Sheets serials;
    text is ISO, m/d/Y or d/m/Y (see the module notes on ambiguity) or has the month in words.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        naive = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) else values
        stamps, outside = _to_ns(naive.to_numpy())
        return as_frame(values.index, stamps, error_column(outside, "date out of range"))
    if plain_numeric(values):
        serial = values.to_numpy(dtype=np.float64, na_value=np.nan)
        stamps, error = _serials(serial)
        error[np.isnan(serial)] = None
        return as_frame(values.index, stamps, error)
    cells, kinds, _ = classify(values)
    value = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[ns]")
    error = np.full(len(cells), None, dtype=object)
    error[kinds == BOOL] = "a checkbox, not a date"
    error[kinds == OTHER] = "not a date"
    for kind, parse in (
        (NUMBER, lambda c: _serials(to_floats(c.to_numpy(dtype=object)))),
        (DATE, _date_objects),
        (TEXT, lambda t: _date_texts(t, dayfirst)),
    ):
        fill_by_unique(kinds == kind, cells, value, error, parse)
    return as_frame(values.index, value, error)


def parse_header_date(cell: object, *, dayfirst: bool | None = None) -> dt.date | None:
    """The date a header cell names, if it names one: the wide layout's history columns.

    Stricter than ``parse_dates`` for numbers: only serials in 20000..80000 (1954..2119) count,
    so headers like ``5`` or ``2026`` stay ordinary columns. Anything unreadable is None.
    Called once per header cell, so the common cases skip the column machinery.
    """
    kind = kind_of(type(cell))
    if kind == NUMBER:
        serial = float_or_inf(cell)
        return serial_to_date(serial) if _header_serial(serial) else None
    if kind == DATE and isinstance(cell, dt.date) and not pd.isna(cell):
        day = cell.date() if isinstance(cell, dt.datetime) else cell
        return day if FIRST_DATE <= day <= LAST_DATE else None
    looks_like_a_date = kind == TEXT and DATE_TEXT.fullmatch(DASHES.sub("-", str(cell).strip()))
    if not (looks_like_a_date or kind == DATE):  # "KPI", "Q3", a list: no column machinery
        return None
    stamp = parse_dates(pd.Series([cell], dtype=object), dayfirst=dayfirst)["value"].iloc[0]
    return None if pd.isna(stamp) else pd.Timestamp(stamp).date()


def _header_serial(serial: float) -> bool:
    """Is this number in the serial range a date header plausibly holds?"""
    low, high = HEADER_SERIALS
    return low <= serial <= high


def serial_to_date(serial: float) -> dt.date:
    """The calendar day of a Sheets/Excel serial number (days since 1899-12-30; time dropped).

    Raises ValueError for NaN, infinity, or a day outside Python's calendar.
    """
    if not math.isfinite(serial):
        raise ValueError(f"not a date serial: {serial!r}")
    try:
        return SHEETS_EPOCH + dt.timedelta(days=math.floor(serial))
    except OverflowError as err:
        raise ValueError(f"date serial out of range: {serial!r}") from err
