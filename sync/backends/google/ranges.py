"""A1 ranges as the Sheets API reads them: tab names quoted, cells, grids, spreadsheet keys.

gspread.utils does most of it; what stays hand-written says why in one line.
"""

from __future__ import annotations

import re

from gspread.exceptions import IncorrectCellLabel, NoValidUrlKeyFound
from gspread.utils import (
    a1_range_to_grid_range,
    absolute_range_name,
    extract_id_from_url,
    rowcol_to_a1,
)

from sync.a1 import column_letter
from sync.errors import ConfigError

_KEY = re.compile(r"^[A-Za-z0-9_-]+$")  # gspread checks keys in URLs only, not bare keys


def quote_tab(name: str, cells: str | None = None) -> str:
    """A tab name as a range of the whole tab, or of ``cells``: ``'KPI log'``, ``'Bob''s'!A1``."""
    return absolute_range_name(name, cells)


def cells(title: str, first: tuple[int, int], last: tuple[int, int]) -> str:
    """The rectangle from ``first`` to ``last`` (row, column; 1-based) of tab ``title``."""
    return quote_tab(title, f"{rowcol_to_a1(*first)}:{rowcol_to_a1(*last)}")


def columns_from(
    title: str, row: int, first_col: int, last_col: int, *, last_row: int | None
) -> str:
    """Columns ``first_col``..``last_col`` from ``row`` down to ``last_row``, or to the end.

    Open-ended (``E2:G``) when ``last_row`` is None, which gspread.utils cannot write: rows
    deleted meanwhile must read as moved, not fail as beyond the grid.
    """
    end = "" if last_row is None else str(last_row)
    return quote_tab(title, f"{rowcol_to_a1(row, first_col)}:{column_letter(last_col)}{end}")


def grid_size(a1: str) -> tuple[int, int] | None:
    """Rows x columns of a whole-tab range as Google echoes it (``KPIs!A1:Z1000``)."""
    try:
        grid = a1_range_to_grid_range(a1.rpartition("!")[2])
    except IncorrectCellLabel:
        return None
    if "endRowIndex" not in grid or "endColumnIndex" not in grid:
        return None
    return grid["endRowIndex"], grid["endColumnIndex"]


def sheet_of(a1: str, fallback: str) -> str:
    """The tab a range names, unquoted (gspread.utils only quotes): ``'Bob''s'!A1`` -> Bob's."""
    name, bang, _ = a1.rpartition("!")
    if not bang:
        return fallback
    if name.startswith("'") and name.endswith("'"):
        return name[1:-1].replace("''", "'")
    return name


def spreadsheet_key(value: str, name: str = "") -> str:
    """The key from a bare key or from ``https://docs.google.com/spreadsheets/d/<key>/...``."""
    text = value.strip()
    try:
        return extract_id_from_url(text)
    except NoValidUrlKeyFound:
        if _KEY.match(text):
            return text
    raise ConfigError(
        f"workbook {name!r}",
        [
            f"spreadsheet = {value!r}: expected a spreadsheet key or a URL such as "
            "https://docs.google.com/spreadsheets/d/<key>/edit"
        ],
    )
