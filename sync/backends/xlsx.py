"""The .xlsx backend: a workbook file on disk, read and written with openpyxl.

Reads use openpyxl's read-only mode with cached formula results (what a person sees);
writes reopen the file with its formulas intact, change only the cells asked for and
replace the file atomically, so a crash never leaves a half-written workbook.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from copy import copy
from functools import cache
from pathlib import Path
from typing import Self

import openpyxl
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.workbook.workbook import Workbook as XlWorkbook
from openpyxl.worksheet.worksheet import Worksheet

from sync.errors import ConcurrentEditError, WorkbookError
from sync.grid import Cell, CellUpdate, Grid, Outline, OwnedTab, RowKey
from sync.rules.status import Colour

log = logging.getLogger("metrics_sync")
_DATE_TOO_BIG = re.compile(
    r"Cell (\S+) is marked as a date but the serial value (\S+) .*", re.DOTALL
)  # openpyxl's warning; it loads such a cell as #VALUE!
FILLS: Mapping[Colour, str] = {
    "green": "C6EFCE",
    "amber": "FFEB9C",
    "red": "FFC7CE",
    "grey": "E7E6E6",
}


class XlsxWorkbook:
    """A workbook file; each ``read`` and ``write`` opens it afresh, so edits between runs count."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last_read: list[str] = []  # re-read when rows moved, for the caller to re-map
        self._outline: Outline | None = None

    @property
    def title(self) -> str:
        return self.path.stem

    @property
    def url(self) -> str | None:
        return None

    @property
    def outline(self) -> Outline | None:
        return self._outline

    @property
    def request_count(self) -> int | None:
        return None

    def close(self) -> None:
        """Nothing held between calls: each read and write opens the file afresh."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, tabs: Sequence[str]) -> dict[str, Grid | None]:
        self._last_read = list(dict.fromkeys([*self._last_read, *tabs]))
        book, _ = self._open(read_only=True)
        self._outline = Outline(self.title, tuple(book.sheetnames))
        by_name = {name.strip().casefold(): name for name in book.sheetnames}
        grids: dict[str, Grid | None] = {}
        try:
            for tab in tabs:
                found = by_name.get(tab.strip().casefold())
                with _logged_warnings(self.path, found):
                    grids[tab] = _grid(book[found]) if found is not None else None
        except (ValueError, KeyError, TypeError) as err:  # a cell openpyxl cannot parse
            raise WorkbookError(f"{self.path}: tab {found!r} cannot be read ({err})") from err
        finally:
            book.close()
        return grids

    def write(
        self, updates: Sequence[CellUpdate], owned: Sequence[OwnedTab], keys: Sequence[RowKey] = ()
    ) -> None:
        book, warned = self._open(read_only=False)
        lost = _would_lose(book, warned)
        if lost:
            raise WorkbookError(
                f"{self.path}: saving it would change cells the sync does not "
                f"own: {'; '.join(lost[:3])}; fix them, then run again; nothing "
                "was written"
            )
        by_name = {name.strip().casefold(): name for name in book.sheetnames}

        @cache  # asked once per cell written
        def sheet(tab: str) -> Worksheet:
            found = by_name.get(tab.strip().casefold())
            if found is None:
                raise WorkbookError(f"{self.path}: tab {tab!r} disappeared during the run")
            ws = book[found]
            assert isinstance(ws, Worksheet)
            return ws

        moved = _check_keys(self.path, keys, sheet)
        if moved:
            tabs = [*self._last_read, *{k.tab: None for k in keys if k.tab not in self._last_read}]
            raise ConcurrentEditError(f"{moved}; nothing was written", self.read(tabs))
        for u in updates:
            _put(_writable(sheet(u.tab), u.row, u.col, self.path), u.value)
        for tab in owned:
            _replace_tab(book, tab)
        self._save(book)

    # -- file handling -------------------------------------------------------------
    def _open(self, *, read_only: bool) -> tuple[XlWorkbook, list[str]]:
        """The workbook and openpyxl's warnings about it (logged only when reading: a full
        load for writing repeats what the read already reported)."""
        try:
            with _logged_warnings(self.path, None, quiet=not read_only) as warned:
                book = openpyxl.load_workbook(self.path, read_only=read_only, data_only=read_only)
            return book, warned
        except FileNotFoundError:
            raise WorkbookError(f"{self.path}: the workbook file does not exist") from None
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
            raise WorkbookError(f"{self.path}: not a readable .xlsx workbook ({err})") from err

    def _save(self, book: XlWorkbook) -> None:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        os.close(fd)
        try:
            book.save(tmp)
            Path(tmp).replace(self.path)
        except OSError as err:
            Path(tmp).unlink(missing_ok=True)
            raise WorkbookError(f"{self.path}: could not save the workbook ({err})") from err


def create_workbook(path: Path, owned: Sequence[OwnedTab]) -> None:
    """A new file holding only ``owned``: ``metrics-sync init`` where no workbook exists yet.

    Never over an existing file (``init`` does not overwrite), and only in a folder that
    exists, so a typo in ``[workbook] path`` is an error rather than a new tree of folders.
    """
    if path.exists():
        raise WorkbookError(f"{path}: the file exists already; init does not overwrite it")
    if not path.parent.is_dir():
        raise WorkbookError(f"{path}: the folder {str(path.parent)!r} does not exist")
    book = openpyxl.Workbook()
    blank = book.active
    for tab in owned:
        _replace_tab(book, tab)
    if blank is not None:
        book.remove(blank)
    XlsxWorkbook(path)._save(book)


@contextmanager
def _logged_warnings(path: Path, tab: str | None, *, quiet: bool = False) -> Iterator[list[str]]:
    """openpyxl's warnings about the file (a date cell out of range, an extension it drops)
    as one log line each, rather than a Python warning with a line of library source; the
    list yielded holds them once the block is done."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        yield messages
    messages.extend(dict.fromkeys(str(w.message) for w in caught))
    where = f"{path}: tab {tab!r}" if tab else str(path)
    for message in () if quiet else messages:
        log.warning("%s: %s", where, message)


def _would_lose(book: XlWorkbook, warned: Sequence[str]) -> list[str]:
    """Cells openpyxl cannot save as they are, anywhere in the workbook: a number beyond
    9999-12-31 in a date format (loaded as #VALUE!) and an infinite number (saved empty)."""
    lost = [
        _DATE_TOO_BIG.sub(
            r"cell \1 holds \2 in a date format, beyond 9999-12-31: format "
            "it as a number",
            w,
        )
        for w in warned
        if _DATE_TOO_BIG.match(w)
    ]
    for ws in book.worksheets:
        lost += [
            f"tab {ws.title!r} cell {c.coordinate} holds {c.value}, which no spreadsheet can store"
            for c in ws._cells.values()  # the cells that exist, not a box
            if isinstance(c.value, float) and not math.isfinite(c.value)
        ]
    return lost


def _grid(ws: object) -> Grid:
    # The size a file records may be too small (some exporters write A1:B2 for any sheet):
    # read past it, or openpyxl returns only that corner and the sync's columns land on the
    # user's. A larger recorded width is kept (merged cells reach that far).
    recorded = ws.max_column or 0  # type: ignore[attr-defined]
    ws.reset_dimensions()  # type: ignore[attr-defined]
    rows: Grid = [list(r) for r in ws.iter_rows(values_only=True)]  # type: ignore[attr-defined]
    if rows and len(rows[0]) < recorded:
        rows[0].extend([None] * (recorded - len(rows[0])))
    while rows and all(v is None or v == "" for v in rows[-1]):
        rows.pop()
    return rows


def _check_keys(path: Path, keys: Sequence[RowKey], sheet: object) -> str | None:
    """The first key cell that no longer holds what was read (rows moved), as a sentence."""
    for key in keys:
        ws = sheet(key.tab)  # type: ignore[operator]
        for col, expected in key.cells:
            now = ws.cell(row=key.row, column=col).value
            if isinstance(now, str) and now.startswith("="):
                continue  # a formula's text is not its value; it cannot have moved rows
            if _norm(now) != _norm(expected):
                return (
                    f"{path}: tab {key.tab!r} row {key.row} changed during the run "
                    f"(expected {expected!r}, found {now!r})"
                )
    return None


def _norm(value: Cell) -> Cell:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _writable(ws: Worksheet, row: int, col: int, path: Path) -> XlCell:
    """The cell, unmerged first if a person merged it with others: each row gets its own."""
    cell = ws.cell(row=row, column=col)
    if not isinstance(cell, MergedCell):
        return cell
    merged = next(r for r in ws.merged_cells.ranges if cell.coordinate in r)
    ws.unmerge_cells(merged.coord)
    log.warning(
        "%s: tab %r: cells %s were merged; unmerged to write %s",
        path,
        ws.title,
        merged.coord,
        cell.coordinate,
    )
    return ws.cell(row=row, column=col)


def _put(cell: XlCell, value: Cell) -> None:
    """Write a value as a value: text that looks like a formula stays text."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    if isinstance(value, dt.datetime | dt.date):
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, dt.datetime) else "yyyy-mm-dd"


def _replace_tab(book: XlWorkbook, tab: OwnedTab) -> None:
    """Rewrite an owned tab whole, in place in the tab order.

    Status cells (values in ``tab.colours``) get a solid fill and bold text; row 1 and every
    row right after an empty row (the section headings) are bold; columns are sized to fit.
    """
    existing = next(
        (n for n in book.sheetnames if n.strip().casefold() == tab.name.casefold()), None
    )
    if existing is not None:
        index = book.sheetnames.index(existing)
        book.remove(book[existing])
        ws = book.create_sheet(tab.name, index)
    else:
        ws = book.create_sheet(tab.name)
    fills = {
        word: PatternFill("solid", fgColor=FILLS[colour]) for word, colour in tab.colours.items()
    }
    done: dict[tuple[str | None, bool], StyleArray] = {}  # styled once, copied after (fast)
    after_blank = True
    for r, row in enumerate(tab.grid, start=1):
        heading = after_blank
        after_blank = not any(_filled(v) for v in row)
        for c, value in enumerate(row, start=1):
            if not _filled(value):
                continue
            cell = ws.cell(row=r, column=c)
            _put(cell, value)
            fill = fills.get(value) if isinstance(value, str) else None
            if fill is None and not heading:
                continue
            key, plain = (str(value) if fill is not None else None, r == 1), not cell.has_style
            if plain and key in done:
                cell._style = copy(done[key])
                continue
            if fill is not None:
                cell.fill = fill
            # the workbook's font, in bold
            cell.font = Font(name=cell.font.name, size=14 if r == 1 else cell.font.size, bold=True)
            if plain:
                done[key] = copy(cell._style)
    _fit_columns(ws, tab.grid)


def _filled(value: Cell) -> bool:
    return value is not None and value != ""


def _fit_columns(ws: Worksheet, grid: Grid) -> None:
    """Widths that fit the text, so the Status tab reads without dragging column edges.

    The last filled cell of a row overflows into the empty cells to its right (the title,
    the counts, a long note), so it widens its column only in the grid's last column. Widths
    allow for capitals (bold status words) and the bar glyphs, which are wider than a digit.
    """
    from openpyxl.utils import get_column_letter

    last_column = max((len(row) for row in grid), default=0)
    widths: dict[int, float] = {}
    for row in grid:
        filled = [c for c, value in enumerate(row, start=1) if _filled(value)]
        for c in filled:
            if c == filled[-1] and c != last_column:
                continue
            widths[c] = max(widths.get(c, 0.0), min(_text_width(str(row[c - 1])), 80.0))
    for c, width in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = max(8.0, round(width + 2, 1))


def _text_width(text: str) -> float:
    """Roughly how many digit widths ``text`` takes in a proportional font: ``i`` and spaces are
    narrow, ``m``, ``@``, capitals (bold status words) and the bar's blocks are wide."""
    return sum(_CHAR_WIDTHS.get(ch, 1.25 if ch.isupper() else 1.0) for ch in text)


_CHAR_WIDTHS: Mapping[str, float] = {
    **dict.fromkeys("ilIjtfr.,;:'|!() ", 0.55),
    **dict.fromkeys("mwMW@%", 1.5),
    **dict.fromkeys("▓░█▒", 1.5),
}
