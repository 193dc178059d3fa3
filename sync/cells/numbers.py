"""Numbers as people type them: ``1,234.5``, ``$1,200``, ``12%``, ``(300)``, ``1.2k``, ``−5``.

* ``1,5`` is refused ("ambiguous decimal comma"): nobody means 15, and guessing 1.5 would
  silently misread every ``1,234``. ``decimal_comma=True`` swaps the roles (``1.234,5`` =
  1234.5) and then refuses ``1.5`` the same way. Spaces, no-break and thin spaces and
  apostrophes group thousands in both modes (``1 200``).
* ``12%`` is 0.12 (Sheets stores percentages as fractions); ``k``, ``m``/``mn``, ``b``/``bn``
  scale by 10³, 10⁶, 10⁹, applied to the decimal text, so ``1.1k`` is exactly 1100.
* Infinity is "not a finite number"; a checkbox is "a checkbox, not a number".
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

from sync.cells.kinds import (
    BOOL,
    DATE,
    NUMBER,
    OTHER,
    TEXT,
    Bools,
    Floats,
    Objects,
    as_frame,
    blank_or_formula,
    classify,
    error_column,
    fill_by_unique,
    plain_numeric,
    squash,
    to_floats,
)

NOT_A_NUMBER = "not a number"
NOT_FINITE = "not a finite number"
AMBIGUOUS = {
    False: "ambiguous decimal comma; set kpi.decimal_comma",
    True: "decimal point, but kpi.decimal_comma is set",
}


def _only_numbers(values: pd.Series) -> Floats | None:
    """The column as floats if it holds only numbers (not bools) and missing cells, else None.

    What a backend hands over for a column nobody typed text into. pandas' type inference
    stops at the first cell of another type, so asking costs little either way.
    """
    if plain_numeric(values):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.infer_dtype(values, skipna=True) in _NUMBERS_AND_BLANKS:
        return to_floats(values.to_numpy(dtype=object))
    return None


_NUMBERS_AND_BLANKS: Final = frozenset({"floating", "integer", "mixed-integer-float", "empty"})

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
    settled = blank_or_formula(texts, error)
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
    texts = squash(texts)
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
        return as_frame(values.index, np.where(inf, np.nan, number), error_column(inf, NOT_FINITE))
    cells, kinds, numbers = classify(values)
    finite = np.isfinite(numbers)
    value = np.where(finite, numbers, np.nan)
    error = np.full(len(cells), None, dtype=object)
    error[kinds == BOOL] = "a checkbox, not a number"
    error[kinds == DATE] = "a date, not a number"
    error[kinds == OTHER] = NOT_A_NUMBER
    error[(kinds == NUMBER) & ~finite] = NOT_FINITE
    text = kinds == TEXT
    fill_by_unique(text, cells, value, error, lambda t: _number_texts(t, decimal_comma))
    return as_frame(values.index, value, error)
