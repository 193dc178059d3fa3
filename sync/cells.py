"""Reading cell values the way a person reads them: in one place, a whole column at a time.

Every tab (KPIs, OKRs, the KPI log) holds numbers, dates and check marks typed by people, and
the same text must mean the same thing everywhere: ``12%`` is 0.12 in a threshold and in a
history column alike. So every reader lives here, and the rule modules never look at raw text.

A parser takes a ``pd.Series`` of raw cells (None, str, bool, int, float, date, datetime: what
the backends hand over) and returns a frame with the same index and two columns: ``value`` and
``error``. A cell is *empty* (no value, no error), *readable* (a value, no error) or
*unreadable* (no value, a short reason the rules put in the row's note, prefixed by its ``a1``).

Decisions a user can see (for the README):

* Bools are checkboxes, never numbers: ``parse_numbers`` says "a checkbox, not a number";
  ``parse_flags`` reads them as 1/0.
* A float NaN is pandas' marker for a missing cell (a frame built from rows turns None into
  NaN), so it is *empty*; a spreadsheet cannot hold NaN. Infinity is "not a finite number".
* ``1,234.5`` is 1234.5. ``1,5`` is refused ("ambiguous decimal comma"): nobody means 15, and
  guessing 1.5 would silently misread every ``1,234``. ``decimal_comma=True`` swaps the roles
  (``1.234,5`` = 1234.5) and then refuses ``1.5`` the same way.
* Spaces, no-break and thin spaces and apostrophes group thousands in both modes (``1 200``).
* ``12%`` is 0.12 (Sheets stores percentages as fractions); ``k``, ``m``/``mn``, ``b``/``bn`` scale
  by 10³, 10⁶, 10⁹. The scale is applied to the decimal text, so ``1.1k`` is exactly 1100.
* Dates written ``a/b/yyyy`` are read day-first when ``a`` > 12, month-first when ``b`` > 12, and
  otherwise as ``dayfirst`` says, default month-first (Sheets' US default), except that dotted
  dates (``02.11.2026``) are day-first by default, as everywhere dots are used.
* Number cells in a date column are Sheets serial days since 1899-12-30 (serials from 61 agree
  with Excel's), from 1 (1899-12-31) to the last day pandas can hold (2262-04-11). Header cells
  only count as dates in 20000..80000 (1954..2119), so a column titled ``5`` stays a column.
* Check marks: Yes/No, Y/N, Done/Not done, Complete/Incomplete, TRUE/FALSE, 1/0, ✓ ✔ ☑ ✅ and
  ``x`` (a box marked with an x) are done; ✗ ✘ ☐ ❌ are not done. Case and spacing do not matter.
* ``n/a``, ``NA``, ``-``, ``—``, ``–``, ``none``, ``null`` and blank text are empty everywhere;
  ``#REF!``, ``#N/A`` and the other error values are "formula error #REF!" everywhere.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from itertools import repeat
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "is_flag_like",
    "parse_dates",
    "parse_flags",
    "parse_header_date",
    "parse_numbers",
    "serial_to_date",
]

Floats = npt.NDArray[np.float64]
Objects = npt.NDArray[np.object_]
Bools = npt.NDArray[np.bool_]
Stamps = npt.NDArray[np.datetime64]

# What kind of Python value a cell holds (see _classify).
EMPTY, NUMBER, BOOL, TEXT, DATE, OTHER = range(6)
_RARE, _FLOAT = 6, 7  # for _classify only: a type to look at closer; a float, maybe NaN
# The exact types of nearly every cell (a subclass, such as pd.Timestamp, is _RARE). Of these
# only a float can be missing (NaN); _classify checks those.
_COMMON_KINDS: Final[Mapping[type, int]] = {
    type(None): EMPTY, float: _FLOAT, int: NUMBER, str: TEXT, bool: BOOL,
    dt.date: DATE, dt.datetime: DATE,
}  # fmt: skip

SHEETS_EPOCH = dt.date(1899, 12, 30)
_EPOCH = np.datetime64("1899-12-30", "ms")
FIRST_DATE, LAST_DATE = dt.date(1677, 9, 22), dt.date(2262, 4, 10)  # what datetime64[ns] holds
_FIRST_DAY, _LAST_DAY = np.datetime64(FIRST_DATE, "s"), np.datetime64(LAST_DATE, "s")
MAX_SERIAL = int((_LAST_DAY - np.datetime64("1899-12-30", "s")) // np.timedelta64(1, "D"))
HEADER_SERIALS = (20_000, 80_000)

NO_VALUE = frozenset({"", "n/a", "na", "-", "—", "–", "none", "null"})
_FORMULA_ERROR = re.compile(r"#(?:N/A|GETTING_DATA|[A-Z0-9/_]+[!?])")  # matched upper-cased
_DASHES = re.compile("[\u2212\u2013]")  # Unicode minus, and an en dash used as one

NOT_A_NUMBER = "not a number"
NOT_FINITE = "not a finite number"
AMBIGUOUS = {
    False: "ambiguous decimal comma; set kpi.decimal_comma",
    True: "decimal point, but kpi.decimal_comma is set",
}


# --- shared plumbing -------------------------------------------------------------------------


def _kind_of(kind: type) -> int:
    """Classify one Python type; bool first, since bool is an int to Python but not to a person."""
    if issubclass(kind, bool | np.bool_):
        return BOOL
    if issubclass(kind, str):
        return TEXT
    if issubclass(kind, dt.date | np.datetime64):  # datetime and pd.Timestamp are dates
        return DATE
    if issubclass(kind, numbers.Real | decimal.Decimal):
        return NUMBER
    return OTHER


def _float_or_inf(cell: object) -> float:
    """One odd number (a huge int, a signalling Decimal) as a float; inf/NaN get reported."""
    try:
        return float(cell)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf
    except (TypeError, ValueError):
        return math.nan


def _classify(values: pd.Series) -> tuple[Objects, npt.NDArray[np.int8], Floats]:
    """The cells as an object array, one kind code per cell, and each NUMBER cell as a float.

    The types backends hand over (float, int, str, None...) are looked up in a dict, one
    look-up per cell run in C by ``map`` and ``bytearray``; only cells of other types (a
    handful: Decimal, Timestamp, numpy scalars) go through ``_classify_rare``. The numbers are
    converted here, once, because that conversion is also what finds the float NaNs (empty).
    """
    cells = values.to_numpy(dtype=object)
    codes = bytearray(map(_COMMON_KINDS.get, map(type, cells), repeat(_RARE)))  # codes < 256
    kinds = np.frombuffer(codes, dtype=np.int8)  # no copy, and writable: a bytearray is
    rare = np.flatnonzero(kinds == _RARE)
    if len(rare):
        cells = cells.copy()  # Decimals become floats: never write into the caller's frame
        cells[rare], kinds[rare] = _classify_rare(cells[rare])
    num = np.flatnonzero((kinds == NUMBER) | (kinds == _FLOAT))
    numbers = np.full(len(cells), np.nan)
    numbers[num] = _to_floats(cells[num])
    missing = (kinds[num] == _FLOAT) & np.isnan(numbers[num])  # what pd.isna says of a float
    kinds[num] = np.where(missing, EMPTY, NUMBER)
    return cells, kinds, numbers


def _classify_rare(cells: Objects) -> tuple[Objects, npt.NDArray[np.int8]]:
    """Kind codes of cells whose type is not in ``_COMMON_KINDS``, each distinct type once.

    Decimals become floats first: pandas' missing-value check raises on a signalling NaN, and
    floats are what we want.
    """
    types: Objects = np.asarray(np.frompyfunc(type, 1, 1)(cells), dtype=object)
    codes, uniques = pd.factorize(types)
    decimals = [i for i, t in enumerate(uniques) if issubclass(t, decimal.Decimal)]
    if decimals:
        exact = np.isin(codes, decimals)
        cells[exact] = np.array([_float_or_inf(c) for c in cells[exact]], dtype=np.float64)
    table = np.array([_kind_of(t) for t in uniques] + [OTHER], dtype=np.int8)
    kinds = table[codes]
    kinds[pd.isna(cells)] = EMPTY
    return cells, kinds


def _fill_by_unique(
    mask: Bools,
    cells: Objects,
    value: npt.NDArray[Any],
    error: Objects,
    parse: Callable[[pd.Series], tuple[npt.NDArray[Any], Objects]],
) -> None:
    """Parse the cells under ``mask``, each distinct one once, into ``value`` and ``error``.

    Sheets repeat themselves (``n/a``, ``Done``, dates), and a column with no text at all
    costs nothing here.
    """
    if not mask.any():
        return
    codes, uniques = pd.factorize(cells[mask])
    parsed, notes = parse(pd.Series(uniques, dtype=object))
    value[mask], error[mask] = parsed[codes], notes[codes]


def _frame(index: pd.Index, value: npt.NDArray[Any], error: Objects) -> pd.DataFrame:
    """The shape every parser returns: the caller's index, ``value`` and an object ``error``."""
    return pd.DataFrame(  # the arrays are the parser's own: pandas need not copy them
        {"value": value, "error": pd.Series(error, index=index, dtype=object, copy=False)},
        index=index,
        copy=False,
    )


def _notes(mask: Bools, note: str) -> Objects:
    """An error column: ``note`` where ``mask`` holds, None elsewhere."""
    error = np.full(len(mask), None, dtype=object)
    error[mask] = note
    return error


def _squash(texts: pd.Series) -> pd.Series:
    """Text as a person sees it: no surrounding spaces, typographic minus signs as ``-``."""
    return texts.str.strip().str.replace(_DASHES, "-", regex=True)


def _blank_or_formula(texts: pd.Series, errors: Objects) -> Bools:
    """Mark ``n/a``-like text as empty and ``#REF!``-like text as a formula error, in place.

    Returns the mask of cells settled here, so the caller reads only the rest.
    """
    blank = texts.str.lower().isin(NO_VALUE).to_numpy(dtype=bool)
    errors[blank] = None
    hashed = texts.str.startswith("#").to_numpy(dtype=bool)
    if not hashed.any():
        return blank
    upper = texts[hashed].str.upper()
    formula = np.zeros(len(texts), dtype=bool)
    formula[hashed] = upper.str.fullmatch(_FORMULA_ERROR).to_numpy(dtype=bool)
    errors[formula] = ("formula error " + upper[formula[hashed]]).to_numpy(dtype=object)
    return blank | formula


def _plain_numeric(values: pd.Series) -> bool:
    """Is the column already numbers (not bools), so no cell needs looking at one by one?"""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _only_numbers(values: pd.Series) -> Floats | None:
    """The column as floats if it holds only numbers (not bools) and missing cells, else None.

    What a backend hands over for a column nobody typed text into. pandas' type inference
    stops at the first cell of another type, so asking costs little either way.
    """
    if _plain_numeric(values):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.infer_dtype(values, skipna=True) in _NUMBERS_AND_BLANKS:
        return _to_floats(values.to_numpy(dtype=object))
    return None


_NUMBERS_AND_BLANKS: Final = frozenset({"floating", "integer", "mixed-integer-float", "empty"})


# --- numbers ---------------------------------------------------------------------------------

_SPACES = " \u00a0\u2009\u202f'’"  # thousands grouping accepted in both modes
_SCALE = {"%": -2, "k": 3, "m": 6, "mn": 6, "b": 9, "bn": 9}  # powers of ten


def _number_pattern(point: str, group: str) -> re.Pattern[str]:
    """The grammar of a number as people type it, for one choice of decimal mark."""
    body = (
        rf"(?:[0-9]{{1,3}}(?:{group}[0-9]{{3}})+|[0-9]{{1,3}}(?:[{_SPACES}][0-9]{{3}})+|[0-9]+)"
        rf"(?:{point}[0-9]*)?|{point}[0-9]+"
    )
    return re.compile(
        rf"\A(?P<sign>[+-])?(?P<open>\()?\s*(?P<sign2>[+-])?\s*(?P<cur>[$€£¥])?\s*"
        rf"(?P<sign3>[+-])?\s*(?P<num>{body})(?:e(?P<exp>[+-]?[0-9]{{1,4}}))?\s*"
        rf"(?P<scale>%|k|mn|m|bn|b)?\s*(?P<cur2>[$€£¥])?\s*(?P<close>\))?\Z",
        re.IGNORECASE,
    )


_NUMBER = {False: _number_pattern(r"\.", ","), True: _number_pattern(",", r"\.")}
_PLAIN = {
    False: re.compile(
        r"[-+]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]{1,4})?",
        re.IGNORECASE,
    ),
    True: re.compile(
        r"[-+]?(?:(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]*)?|,[0-9]+)(?:e[-+]?[0-9]{1,4})?",
        re.IGNORECASE,
    ),
}
_GROUPING = {False: re.compile(rf"[,{_SPACES}]"), True: re.compile(rf"[.{_SPACES}]")}


# Columns of the number pattern's groups, in order.
SIGN, OPEN, SIGN2, CUR, SIGN3, NUM, EXP, SCALE, CUR2, CLOSE = range(10)


def _well_formed(found: Bools, scale: Objects) -> Bools:
    """Rules the regex leaves out: one sign at most, balanced brackets, not both $ and %."""
    signs = found[:, [SIGN, SIGN2, SIGN3, OPEN]].sum(axis=1)
    money = found[:, CUR].astype(int) + found[:, CUR2]
    sensible = (money == 0) | ((money == 1) & (scale != "%"))
    return np.asarray(
        found[:, NUM] & (signs <= 1) & (found[:, OPEN] == found[:, CLOSE]) & sensible, dtype=bool
    )


def _to_number(texts: pd.Series, decimal_comma: bool) -> Floats:
    """Text already known to be a well-formed number (grouping allowed) as float64."""
    digits = texts.str.replace(_GROUPING[decimal_comma], "", regex=True)
    if decimal_comma:
        digits = digits.str.replace(",", ".", regex=False)
    return pd.to_numeric(digits, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _read_numbers(texts: pd.Series, decimal_comma: bool) -> tuple[Bools, Floats]:
    """Which texts are numbers in this mode, and their values (NaN elsewhere).

    A scale (``%``, ``k``...) moves the decimal exponent of the text rather than multiplying
    the float, so ``12.3%`` is the float nearest 0.123 and ``1.1k`` is exactly 1100.
    """
    parts = texts.str.extract(_NUMBER[decimal_comma]).to_numpy(dtype=object)
    found = ~pd.isna(parts)
    ok = _well_formed(found, parts[:, SCALE])
    scale = pd.Series(parts[ok, SCALE], dtype=object).str.lower().map(_SCALE).fillna(0)
    exponent = pd.to_numeric(pd.Series(parts[ok, EXP], dtype=object)).fillna(0)
    powers = (scale + exponent).astype(int).astype(str).to_numpy(dtype=object)
    number = np.full(len(parts), np.nan)
    number[ok] = _to_number(pd.Series(parts[ok, NUM] + "e" + powers, dtype=object), decimal_comma)
    negative = (parts[:, [SIGN, SIGN2, SIGN3]] == "-").any(axis=1) | found[:, OPEN]
    return ok, np.where(negative, -number, number)


def _odd_number_texts(texts: pd.Series, decimal_comma: bool) -> tuple[Floats, Objects]:
    """Texts that are not plain numbers: blanks, formula errors, $, %, k, (300), or nonsense."""
    value = np.full(len(texts), np.nan)
    error = np.full(len(texts), NOT_A_NUMBER, dtype=object)
    settled = _blank_or_formula(texts, error)
    ok, number = _read_numbers(texts, decimal_comma)
    ok = ok & ~settled
    value[ok], error[ok] = number[ok], None
    doubt = np.flatnonzero(~ok & ~settled)
    if len(doubt):
        other, _ = _read_numbers(texts.iloc[doubt], not decimal_comma)
        error[doubt[other]] = AMBIGUOUS[decimal_comma]
    return value, error


def _number_texts(texts: pd.Series, decimal_comma: bool) -> tuple[Floats, Objects]:
    """Read distinct texts as numbers; each gets a value, an error, or neither (empty).

    Plain numbers (``1234.5``, ``1,234``) take a cheap path; only the rest meet the full grammar.
    """
    texts = _squash(texts)
    plain = texts.str.fullmatch(_PLAIN[decimal_comma]).to_numpy(dtype=bool)
    value = np.full(len(texts), np.nan)
    error = np.full(len(texts), None, dtype=object)
    if plain.any():
        value[plain] = _to_number(texts[plain], decimal_comma)
    if not plain.all():
        value[~plain], error[~plain] = _odd_number_texts(texts[~plain], decimal_comma)
    infinite = np.isinf(value)
    value[infinite], error[infinite] = np.nan, NOT_FINITE
    return value, error


def _to_floats(cells: Objects) -> Floats:
    """Python numbers to float64 in one go, cell by cell only if one of them cannot convert."""
    try:
        return cells.astype(np.float64)
    except (OverflowError, TypeError, ValueError):
        return np.array([_float_or_inf(c) for c in cells], dtype=np.float64)


def parse_numbers(values: pd.Series, *, decimal_comma: bool = False) -> pd.DataFrame:
    """Read a column of cells as numbers: ``value`` float64 (NaN if empty or unreadable), ``error``.

    Numbers pass as they are; text is read as a person reads it (``$1,200``, ``12%``, ``(300)``,
    ``1.2k``, ``−5``); ``n/a``, ``-`` and blanks are empty. Reasons: "not a number",
    "formula error #REF!", "a checkbox, not a number", "a date, not a number",
    "not a finite number", and the two decimal-mark ones in ``AMBIGUOUS``.
    """
    number = _only_numbers(values)
    if number is not None:
        inf = np.isinf(number)
        return _frame(values.index, np.where(inf, np.nan, number), _notes(inf, NOT_FINITE))
    cells, kinds, numbers = _classify(values)
    finite = np.isfinite(numbers)
    value = np.where(finite, numbers, np.nan)
    error = np.full(len(cells), None, dtype=object)
    error[kinds == BOOL] = "a checkbox, not a number"
    error[kinds == DATE] = "a date, not a number"
    error[kinds == OTHER] = NOT_A_NUMBER
    error[(kinds == NUMBER) & ~finite] = NOT_FINITE
    text = kinds == TEXT
    _fill_by_unique(text, cells, value, error, lambda t: _number_texts(t, decimal_comma))
    return _frame(values.index, value, error)


# --- dates -----------------------------------------------------------------------------------

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
_DATE = re.compile(  # one pattern, one pass: each format fills its own groups
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
    texts = _squash(texts)
    error = np.full(len(texts), "not a date", dtype=object)
    settled = _blank_or_formula(texts, error)
    g = _groups(_DATE, texts)
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
    return stamps, _notes(outside, "date out of range")


def _serials(serial: Floats) -> tuple[Stamps, Objects]:
    """Sheets serial days (fractions are the time of day, to the millisecond) as datetime64[ns]."""
    usable = np.isfinite(serial) & (serial >= 1) & (serial <= MAX_SERIAL)
    millis = np.round(np.where(usable, serial, 0) * 86_400_000).astype(np.int64)
    stamps = (_EPOCH + millis.astype("timedelta64[ms]")).astype("datetime64[ns]")
    stamps[~usable] = np.datetime64("NaT")
    return stamps, _notes(~usable, f"a number, not a date serial (1..{MAX_SERIAL})")


def parse_dates(values: pd.Series, *, dayfirst: bool | None = None) -> pd.DataFrame:
    """Read a column of cells as dates: ``value`` datetime64[ns], NaT if empty/unreadable.

    Real dates pass (timezone-aware ones as their wall-clock time); numbers are Sheets serials;
    text is ISO, m/d/Y or d/m/Y (see the module notes on ambiguity) or has the month in words.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        naive = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) else values
        stamps, outside = _to_ns(naive.to_numpy())
        return _frame(values.index, stamps, _notes(outside, "date out of range"))
    if _plain_numeric(values):
        serial = values.to_numpy(dtype=np.float64, na_value=np.nan)
        stamps, error = _serials(serial)
        error[np.isnan(serial)] = None
        return _frame(values.index, stamps, error)
    cells, kinds, _ = _classify(values)
    value = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[ns]")
    error = np.full(len(cells), None, dtype=object)
    error[kinds == BOOL] = "a checkbox, not a date"
    error[kinds == OTHER] = "not a date"
    for kind, parse in (
        (NUMBER, lambda c: _serials(_to_floats(c.to_numpy(dtype=object)))),
        (DATE, _date_objects),
        (TEXT, lambda t: _date_texts(t, dayfirst)),
    ):
        _fill_by_unique(kinds == kind, cells, value, error, parse)
    return _frame(values.index, value, error)


def parse_header_date(cell: object, *, dayfirst: bool | None = None) -> dt.date | None:
    """The date a header cell names, if it names one: the wide layout's history columns.

    Stricter than ``parse_dates`` for numbers: only serials in 20000..80000 (1954..2119) count,
    so headers like ``5`` or ``2026`` stay ordinary columns. Anything unreadable is None.
    Called once per header cell, so the common cases skip the column machinery.
    """
    kind = _kind_of(type(cell))
    if kind == NUMBER:
        serial = _float_or_inf(cell)
        return serial_to_date(serial) if _header_serial(serial) else None
    if kind == DATE and isinstance(cell, dt.date) and not pd.isna(cell):
        day = cell.date() if isinstance(cell, dt.datetime) else cell
        return day if FIRST_DATE <= day <= LAST_DATE else None
    looks_like_a_date = kind == TEXT and _DATE.fullmatch(_DASHES.sub("-", str(cell).strip()))
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


# --- check marks -----------------------------------------------------------------------------

_DONE = frozenset({"yes", "y", "true", "done", "complete", "completed", "✓", "✔", "☑", "✅", "x"})
_NOT_DONE = frozenset({
    "no", "n", "false", "not done", "not complete", "not completed", "incomplete",
    "✗", "✘", "☐", "❌",
})  # fmt: skip
_FLAG_WORDS = {**dict.fromkeys(_DONE, 1.0), **dict.fromkeys(_NOT_DONE, 0.0)}
_FLAGS = {**_FLAG_WORDS, "1": 1.0, "0": 0.0}
NOT_A_FLAG = "not a yes/no value"


def _flag_tokens(texts: pd.Series) -> pd.Series:
    """Text reduced to what tells one check mark from another: case and spacing do not."""
    return _squash(texts).str.lower().str.replace(r"\s+", " ", regex=True)


def _flag_texts(texts: pd.Series) -> tuple[Floats, Objects]:
    """Read distinct texts as milestones: 1.0 done, 0.0 not done, NaN empty or unreadable."""
    error = np.full(len(texts), NOT_A_FLAG, dtype=object)
    settled = _blank_or_formula(_squash(texts), error)
    value = np.array(_flag_tokens(texts).map(_FLAGS), dtype=np.float64)  # a writable copy
    error[~np.isnan(value)] = None
    value[settled] = np.nan
    return value, error


def parse_flags(values: pd.Series) -> pd.DataFrame:
    """Read milestone cells: Yes/No, Done/Not done, TRUE/FALSE, checkboxes, ✓/✗, 1/0.

    ``value`` is 1.0 (done), 0.0 (not done) or NaN (empty or unreadable, then ``error`` says why).
    """
    cells, kinds, numbers = _classify(values)
    value = np.full(len(cells), np.nan)
    error = np.full(len(cells), NOT_A_FLAG, dtype=object)
    error[kinds == EMPTY] = None
    flag = kinds == BOOL
    value[flag], error[flag] = cells[flag].astype(np.float64), None
    binary = (kinds == NUMBER) & ((numbers == 0) | (numbers == 1))
    value[binary], error[binary] = numbers[binary], None
    text = kinds == TEXT
    _fill_by_unique(text, cells, value, error, _flag_texts)
    return _frame(values.index, value, error)


def is_flag_like(values: pd.Series) -> pd.Series:
    """Per cell: is it a milestone-style value (a checkbox, Yes/No, Done, ✓), not a plain number?

    The OKR rules use this to tell a milestone key result from a numeric one; ``1``/``0`` alone
    are numbers, so they say nothing either way and are False here.
    """
    cells, kinds, _ = _classify(values)
    like = kinds == BOOL
    text = kinds == TEXT
    _fill_by_unique(text, cells, like, np.empty(len(cells), dtype=object), _flag_word_mask)
    return pd.Series(like, index=values.index, dtype=bool)


def _flag_word_mask(texts: pd.Series) -> tuple[Bools, Objects]:
    """Which distinct texts are check-mark words or symbols (shaped for ``_fill_by_unique``)."""
    like = _flag_tokens(texts).isin(_FLAG_WORDS.keys()).to_numpy(dtype=bool)
    return like, np.full(len(texts), None, dtype=object)


# --- text and names --------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as trimmed text; empty and NaN (pandas' missing value) read as ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def name_key(name: object) -> str:
    """Names (KPIs, key results, headers) match case-insensitively, ignoring surrounding and
    repeated spaces."""
    return " ".join(cell_text(name).split()).casefold()


def cell_texts(values: Iterable[object]) -> list[str]:
    """``cell_text`` of each value, for whole columns: text, the usual cell, is stripped
    inline, without a call per cell."""
    return [v.strip() if type(v) is str else cell_text(v) for v in values]


def name_keys(names: Iterable[object]) -> list[str]:
    """``name_key`` of each name, for whole columns: a text name (nearly all of them) is keyed
    inline, without two calls per name (``split()`` drops the spaces ``strip()`` would)."""
    return [" ".join(n.split()).casefold() if type(n) is str else name_key(n) for n in names]


def name_key_column(names: pd.Series) -> pd.Series:
    """``names.map(name_key)``: the same index and name, without a Python call per text name."""
    return pd.Series(name_keys(names.tolist()), index=names.index, name=names.name)
