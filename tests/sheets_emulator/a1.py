"""A1 notation as the Sheets API reads and writes it.

Written independently of the backend's own range code on purpose: if both shared
one parser, a bug in it would pass every test.

Forms accepted (``Sheet`` may be quoted, with ``''`` for a quote inside):
``Sheet`` (the whole grid), ``Sheet!A1`` (one cell, also a write anchor),
``Sheet!A1:B2``, ``Sheet!A:B`` and ``Sheet!A2:B`` (open-ended rows), ``Sheet!1:2``,
and the same without ``Sheet!`` (the first sheet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COLUMNS = 18_278  # ZZZ
MAX_ROWS = 10_000_000
_SIDE = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d{0,8})$")
_CELLISH = re.compile(
    r"^\$?[A-Za-z]{1,3}\$?\d+(:\$?[A-Za-z]{0,3}\$?\d*)?$"
    r"|^[A-Za-z]{1,3}:[A-Za-z]{1,3}$|^\d+:\d+$"
)
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_REF = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*|true|false)$", re.IGNORECASE)


class RangeError(ValueError):
    """The text is not A1 notation: Google answers ``Unable to parse range: <text>``."""


@dataclass(frozen=True)
class A1:
    """A parsed range. Indexes are 0-based, ends exclusive; ``None`` means open (to the grid)."""

    sheet: str | None
    row0: int = 0
    col0: int = 0
    row1: int | None = None
    col1: int | None = None
    single: bool = False  # "A1" alone: one cell to read, an anchor to write from


def col_letters(index: int) -> str:
    """0-based column index -> letters (0 -> A, 26 -> AA)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def quote_sheet(name: str) -> str:
    """Quote a sheet name the way Google echoes it: only when it must be."""
    if _PLAIN_NAME.match(name) and not _LOOKS_LIKE_REF.match(name):
        return name
    return "'" + name.replace("'", "''") + "'"


def parse(text: str) -> A1:
    sheet, cells = _split(text)
    if cells is None:
        return A1(sheet)
    return _cells(sheet, cells, text)


def format_range(sheet: str, row0: int, col0: int, row1: int, col1: int) -> str:
    """``'KPI log'!A1:C10`` for a closed, 0-based, end-exclusive box (one cell: ``A1``)."""
    start = f"{col_letters(col0)}{row0 + 1}"
    end = f"{col_letters(col1 - 1)}{row1}"
    return f"{quote_sheet(sheet)}!{start}" + ("" if start == end else f":{end}")


def _split(text: str) -> tuple[str | None, str | None]:
    if not text:
        raise RangeError(text)
    if text.startswith("'"):
        return _split_quoted(text)
    if "!" in text:
        name, _, cells = text.rpartition("!")
        if not name or not cells:
            raise RangeError(text)
        return name, cells
    if _CELLISH.match(text):
        return None, text
    return text, None


def _split_quoted(text: str) -> tuple[str, str | None]:
    name: list[str] = []
    i = 1
    while i < len(text):
        ch = text[i]
        if ch != "'":
            name.append(ch)
            i += 1
            continue
        if text[i + 1 : i + 2] == "'":
            name.append("'")
            i += 2
            continue
        rest = text[i + 1 :]
        if not name:
            raise RangeError(text)
        if rest == "":
            return "".join(name), None
        if rest.startswith("!") and len(rest) > 1:
            return "".join(name), rest[1:]
        raise RangeError(text)
    raise RangeError(text)


def _side(part: str, text: str) -> tuple[int | None, int | None]:
    m = _SIDE.match(part)
    if not m or not (m.group(1) or m.group(2)):
        raise RangeError(text)
    col = col_index(m.group(1)) if m.group(1) else None
    row = int(m.group(2)) - 1 if m.group(2) else None
    if (row is not None and not 0 <= row < MAX_ROWS) or (col is not None and col >= MAX_COLUMNS):
        raise RangeError(text)
    return row, col


def _cells(sheet: str | None, cells: str, text: str) -> A1:
    first, colon, second = cells.partition(":")
    r0, c0 = _side(first, text)
    if not colon:
        if r0 is None or c0 is None:
            raise RangeError(text)
        return A1(sheet, r0, c0, r0 + 1, c0 + 1, single=True)
    r1, c1 = _side(second, text)
    if (c0 is None) != (c1 is None) and c0 is None:
        raise RangeError(text)  # "1:B2" mixes a row range with a column
    if r0 is None and c0 is not None and r1 is not None:
        r0 = 0
    row0, row1 = _order(r0 or 0, r1)
    col0, col1 = _order(c0 or 0, c1)
    return A1(sheet, row0, col0, row1, col1)


def _order(start: int, end: int | None) -> tuple[int, int | None]:
    """Start and exclusive end, swapped when written backwards (``B2:A1``)."""
    if end is None:
        return start, None
    low, high = sorted((start, end))
    return low, high + 1
