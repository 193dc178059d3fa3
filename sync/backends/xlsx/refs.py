"""A1 references and cell text as SpreadsheetML stores them."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from sync.a1 import column_letter

EPOCH = dt.datetime(1899, 12, 30)  # serial 0 of the 1900 date system (Excel's leap-year bug)


letters = cache(column_letter)  # cached: a write names a few columns in every row


def a1(row: int, col: int) -> str:
    """``sync.a1.a1`` without its checks, for the cells of a whole sheet."""
    return f"{letters(col)}{row}"


def serial(value: dt.date) -> float | int:
    """A date or time as the serial number a cell stores (days since ``EPOCH``)."""
    if isinstance(value, dt.datetime):
        return (value.replace(tzinfo=None) - EPOCH).total_seconds() / 86400
    return (value - EPOCH.date()).days


def column_of(ref: str) -> int:
    """The 1-based column of ``ref`` ("AB12" -> 28; "$AB$12" too)."""
    return _column(ref.rstrip("0123456789").replace("$", ""))


@cache
def _column(letters: str) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col


def row_of(ref: str) -> int:
    digits = ref[len(ref.rstrip("0123456789")) :]
    return int(digits) if digits else 0


def split_ref(ref: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """(top, left), (bottom, right) of "A1:C3" or of a single cell."""
    first, _, last = ref.partition(":")
    last = last or first
    return (row_of(first), column_of(first)), (row_of(last), column_of(last))


def xml_text(text: str) -> str:
    """Text XML 1.0 can carry, escaped as Excel escapes it (ECMA-376 Part 1, 22.9.2.19
    ST_Xstring): a control character as _xHHHH_, and the underscore of a typed ``_x0041_``
    as _x005F_, so that no reader decodes it: calamine decodes four hex digits, LibreOffice
    one to four (``_x12_``), openpyxl none."""
    return _ESCAPED.sub(_escape, text)


_ESCAPED = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]|_(?=x[0-9A-Fa-f]{1,4}_)")


def _escape(found: re.Match[str]) -> str:
    return f"_x{ord(found[0]):04X}_"
