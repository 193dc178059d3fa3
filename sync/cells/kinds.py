"""What kind of value each cell holds, and the shape every cell parser returns.

A parser takes a ``pd.Series`` of raw cells (None, str, bool, int, float, date, datetime: what
the backends hand over) and returns a frame with the same index and two columns: ``value`` and
``error``. A cell is *empty* (no value, no error), *readable* (a value, no error) or
*unreadable* (no value, a short reason the rules put in the row's note). A float NaN is
pandas' marker for a missing cell, so it is empty; bools are checkboxes, never numbers.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
import re
from collections.abc import Callable, Mapping
from itertools import repeat
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

Floats = npt.NDArray[np.float64]
Objects = npt.NDArray[np.object_]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Stamps = npt.NDArray[np.datetime64]

# What kind of Python value a cell holds (see classify).
EMPTY, NUMBER, BOOL, TEXT, DATE, OTHER = range(6)
_RARE, _FLOAT = 6, 7  # for classify only: a type to look at closer; a float, maybe NaN
# The exact types of nearly every cell (a subclass, such as pd.Timestamp, is _RARE). Of these
# only a float can be missing (NaN); classify checks those.
_COMMON_KINDS: Final[Mapping[type, int]] = {
    type(None): EMPTY, float: _FLOAT, int: NUMBER, str: TEXT, bool: BOOL,
    dt.date: DATE, dt.datetime: DATE,
}  # fmt: skip

NO_VALUE = frozenset({"", "n/a", "na", "-", "—", "–", "none", "null"})
_FORMULA_ERROR = re.compile(r"#(?:N/A|GETTING_DATA|[A-Z0-9/_]+[!?])")  # matched upper-cased
DASHES = re.compile("[\u2212\u2013]")  # Unicode minus, and an en dash used as one


def kind_of(kind: type) -> int:
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


def float_or_inf(cell: object) -> float:
    """One odd number (a huge int, a signalling Decimal) as a float; inf/NaN get reported."""
    try:
        return float(cell)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf
    except (TypeError, ValueError):
        return math.nan


def classify(values: pd.Series) -> tuple[Objects, npt.NDArray[np.int8], Floats]:
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
    numbers[num] = to_floats(cells[num])
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
        cells[exact] = np.array([float_or_inf(c) for c in cells[exact]], dtype=np.float64)
    table = np.array([kind_of(t) for t in uniques] + [OTHER], dtype=np.int8)
    kinds = table[codes]
    kinds[pd.isna(cells)] = EMPTY
    return cells, kinds


def fill_by_unique(
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


def as_frame(index: pd.Index, value: npt.NDArray[Any], error: Objects) -> pd.DataFrame:
    """The shape every parser returns: the caller's index, ``value`` and an object ``error``."""
    return pd.DataFrame(  # the arrays are the parser's own: pandas need not copy them
        {"value": value, "error": pd.Series(error, index=index, dtype=object, copy=False)},
        index=index,
        copy=False,
    )


def error_column(mask: Bools, note: str) -> Objects:
    """An error column: ``note`` where ``mask`` holds, None elsewhere."""
    error = np.full(len(mask), None, dtype=object)
    error[mask] = note
    return error


def squash(texts: pd.Series) -> pd.Series:
    """Text as a person sees it: no surrounding spaces, typographic minus signs as ``-``."""
    return texts.str.strip().str.replace(DASHES, "-", regex=True)


def blank_or_formula(texts: pd.Series, errors: Objects) -> Bools:
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


def plain_numeric(values: pd.Series) -> bool:
    """Is the column already numbers (not bools), so no cell needs looking at one by one?"""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def to_floats(cells: Objects) -> Floats:
    """Python numbers to float64 in one go, cell by cell only if one of them cannot convert."""
    try:
        return cells.astype(np.float64)
    except (OverflowError, TypeError, ValueError):
        return np.array([float_or_inf(c) for c in cells], dtype=np.float64)
