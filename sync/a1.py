"""A1 notation: how notes, errors and the Sheets API name a cell or a column.

Its own module, free of pandas, because the Google backend builds every range with it and
must stay light enough to start a read before the rules are even imported (sync/cli.py).
"""

from __future__ import annotations

__all__ = ["a1", "column_letter"]


def column_letter(col: int) -> str:
    """The letters of a 1-based column number: 1 -> A, 26 -> Z, 27 -> AA, 703 -> AAA."""
    if col < 1:
        raise ValueError(f"columns are numbered from 1, got {col}")
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def a1(row: int, col: int) -> str:
    """The A1 address of a 1-based (row, column), as a note names a cell: a1(7, 2) -> "B7"."""
    if row < 1:
        raise ValueError(f"rows are numbered from 1, got {row}")
    return f"{column_letter(col)}{row}"
