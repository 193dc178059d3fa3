"""Read tabs as grids with python-calamine: every cell's value, or a formula's cached result.

calamine reads what a person sees (a formula's last computed value) in Rust, several times
faster than openpyxl. Two things it does not give are taken from the sheet's XML with a
streaming parser: formula errors (``#REF!``, which calamine returns as empty) and the
recorded size, checked against the cell limit before calamine allocates it. Cells come out
as the Cell contract in sync/grid.py says, as openpyxl gave them before: dates as
``datetime``, whole numbers as ``int``, empty cells as ``None``.
"""

from __future__ import annotations

import datetime as dt
import math
import xml.parsers.expat
import zipfile
from collections.abc import Sequence
from pathlib import Path

from python_calamine import CalamineWorkbook

from sync.backends.xlsx.error_cells import error_cells
from sync.backends.xlsx.guard import check_cells
from sync.backends.xlsx.package import Package
from sync.backends.xlsx.refs import a1, split_ref
from sync.errors import WorkbookError
from sync.grid import Cell, Grid

_EXACT = 2**53  # floats above this are not read back as int: openpyxl kept them float


def read_grids(path: Path, pkg: Package, tabs: Sequence[str]) -> dict[str, Grid | None]:
    parts = {tab: pkg.find(tab) for tab in tabs}
    for sheet in parts.values():
        if sheet is not None:
            rows, cols = _recorded_size(pkg.zip, sheet.part)
            check_cells(path, sheet.name, rows, cols)
    book = CalamineWorkbook.from_path(str(path))
    try:
        grids: dict[str, Grid | None] = {}
        for tab, sheet in parts.items():
            if sheet is None:
                grids[tab] = None
                continue
            data = book.get_sheet_by_name(sheet.name)
            grid = _converted(path, sheet.name, data.to_python(skip_empty_area=False))
            _put_errors(grid, pkg.read(sheet.part))
            _widen(grid, data.merged_cell_ranges or [])
            grids[tab] = _trimmed(grid)
        return grids
    finally:
        book.close()


class _NotANumber(Exception):
    """A number cell holding nan: no spreadsheet program writes it, none can show it."""


def _converted(path: Path, tab: str, rows: Sequence[Sequence[object]]) -> Grid:
    """The cells as the Cell contract says; text and numbers (nearly all cells) inline."""
    try:
        return [
            [
                (v or None)
                if type(v) is str
                else (int(v) if v.is_integer() and -_EXACT < v < _EXACT else v)
                if type(v) is float and v == v  # noqa: PLR0124  # not NaN
                else _cell(v)
                for v in row
            ]
            for row in rows
        ]
    except _NotANumber:
        r, c = next(
            (r, c)
            for r, row in enumerate(rows, start=1)
            for c, v in enumerate(row, start=1)
            if isinstance(v, float) and math.isnan(v)
        )
        raise WorkbookError(
            f"{path}: tab {tab!r} cannot be read: cell {a1(r, c)} holds 'nan', which is not a "
            "number; type the value again or clear the cell"
        ) from None


def _cell(value: object) -> Cell:
    if value == "":
        return None
    if isinstance(value, float):
        if value != value:  # noqa: PLR0124  # NaN, which no spreadsheet program writes
            raise _NotANumber
        if value.is_integer() and abs(value) < _EXACT:
            return int(value)
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value  # type: ignore[return-value]  # str, bool, datetime; time, timedelta too


def _trimmed(grid: Grid) -> Grid:
    while grid and all(v is None for v in grid[-1]):
        grid.pop()
    return grid


def _widen(grid: Grid, merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """Row 1 as wide as the merged ranges reach: a header merged across K1:M1 ends at M, so
    the sync's own columns go after it, not under it."""
    right = max((end[1] + 1 for _, end in merged), default=0)
    if grid and len(grid[0]) < right:
        grid[0].extend([None] * (right - len(grid[0])))


class _Found(Exception):
    """Stops a scan once it has what it came for."""


def _recorded_size(zf: zipfile.ZipFile, part: str) -> tuple[int, int]:
    """Rows x columns of the sheet's <dimension>, read from the first bytes of the part."""
    size = [0, 0]
    parser = xml.parsers.expat.ParserCreate()

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "dimension":
            (top, left), (bottom, right) = split_ref(attrs.get("ref", "A1"))
            size[:] = [bottom - top + 1, right - left + 1]
            raise _Found
        if local == "sheetData":
            raise _Found

    parser.StartElementHandler = start
    with zf.open(part) as f:
        try:
            while chunk := f.read(1 << 16):
                parser.Parse(chunk, False)
        except _Found:
            pass
    return size[0], size[1]


def _put_errors(grid: Grid, data: bytes) -> None:
    """Error cells (``t="e"``) as their text, ``#REF!``, where calamine gives nothing."""
    for (row, col), text in error_cells(data).items():
        while len(grid) < row:
            grid.append([])
        line = grid[row - 1]
        if len(line) < col:
            line.extend([None] * (col - len(line)))
        line[col - 1] = text
