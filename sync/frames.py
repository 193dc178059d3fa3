"""From grids to tables: where a tab's layout is understood, once.

A grid is what a backend returns; a ``Sheet`` is the same tab with its header matched
to the configured column names, its blank rows dropped and every row keeping its
1-based sheet row number as the index, so that results find their way back to the
right cells. The rules only ever see these frames.

The wide layout's dated columns are found here too: a header is a history column when it
names a day (a real date cell, ISO text, ``m/d/Y`` or ``d/m/Y`` text, a Sheets serial). Slashed
dates are read the way the sheet itself writes them: one header such as ``16/11/2026`` shows
the tab is day-first, so ``02/11/2026`` beside it is 2 November, not 11 February.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sync.a1 import column_letter
from sync.cells import HEADER_SERIALS, name_key, parse_dates
from sync.errors import LayoutError
from sync.grid import Cell, Grid, Row
from sync.header import SEARCH_ROWS, find_header
from sync.periods import looks_like_period, read_period, year_above

Bools = npt.NDArray[np.bool_]

# ``a/b/yyyy`` with any one separator: only to tell which way round a sheet writes its dates.
_SLASHED = re.compile(r"\A\s*(?P<a>[0-9]{1,2})(?P<sep>[/.-])(?P<b>[0-9]{1,2})(?P=sep)[0-9]{2,4}\b")


@dataclass(frozen=True)
class Sheet:
    """A tab read as a table.

    ``rows`` holds the raw cell values of the known columns (canonical column ids as
    column names, sheet row numbers as the index); ``positions`` maps each column id
    found to its 1-based column; ``dates`` lists the wide layout's dated columns, left
    to right; ``body`` is every kept row's cells, full width, in the order of ``rows``;
    ``header_row`` is the header's 1-based sheet row and ``above`` the rows above it.
    """

    tab: str
    header: tuple[Cell, ...]
    rows: pd.DataFrame
    positions: Mapping[str, int]
    dates: tuple[tuple[int, dt.date], ...] = ()
    body: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=object), repr=False)
    problems: tuple[str, ...] = ()
    blank: np.ndarray | None = field(default=None, repr=False)  # blank_mask(body), computed once
    header_row: int = 1
    above: tuple[Row, ...] = ()
    raw_header: tuple[Cell, ...] = ()  # the header row as read, before merged-down names

    @property
    def width(self) -> int:
        return len(self.header)


def read_sheet(
    tab: str,
    grid: Grid | None,
    columns: Mapping[str, str],
    wanted: Sequence[str],
    required: Sequence[str],
    *,
    dated: bool = False,
    key: str | None = None,
    header_row: int | None = None,
    today: dt.date | None = None,
) -> Sheet:
    """Find the header of ``grid`` (the first row holding column ``key``, default the first
    required one, or row ``header_row``), match it and keep the non-blank rows below it.

    Raises ``LayoutError`` for a missing tab or a missing required column: without
    them nothing on the tab can be computed or written safely.
    """
    if grid is None:
        raise LayoutError(f"tab {tab!r} not found in the workbook")
    if not grid:
        raise LayoutError(
            f"tab {tab!r} is empty: expected a header row with "
            + ", ".join(repr(columns[c]) for c in required)
        )
    found = find_header(grid, columns[key or required[0]], header_row)
    header = found.cells
    positions, problems = _match_header(tab, header, columns, wanted)
    missing = [columns[c] for c in required if c not in positions]
    if missing:
        raise LayoutError(
            missing_columns(tab, missing, header, found.row, searched=not found.found)
        )
    body, blank, index = _body(grid, found.index, len(header))
    rows = pd.DataFrame(
        {cid: body[:, pos - 1] for cid, pos in positions.items()}, index=index, dtype=object
    )
    dates: tuple[tuple[int, dt.date], ...] = ()
    if dated:
        dates, date_problems = dated_columns(
            tab, header, positions, found.row, today=today, above=found.above
        )
        problems.extend(date_problems)
    return Sheet(
        tab=tab,
        header=header,
        rows=rows,
        positions=positions,
        dates=dates,
        body=body,
        problems=tuple(problems),
        blank=blank,
        header_row=found.row,
        above=found.above,
        raw_header=found.raw,
    )


def missing_columns(
    tab: str, missing: Sequence[str], header: Sequence[Cell], row: int, *, searched: bool
) -> str:
    """The sentence for required columns not found: which row was looked at and what it holds;
    ``searched``: no row of the first ones held the tab's key column at all."""
    held = ", ".join(repr(str(h)) for h in header if h not in (None, "")) or "nothing"
    where = f" nor in the {SEARCH_ROWS - 1} rows below it" if searched else ""
    return (
        f"tab {tab!r}: no column {' or '.join(repr(m) for m in missing)} "
        f"in row {row} (found {held}){where}"
    )


def _body(grid: Grid, head: int, head_width: int) -> tuple[np.ndarray, Bools, pd.Index]:
    """The rows below the header (0-based ``head``) as one full-width object block, blank rows
    dropped, its blank cells, and the kept rows' sheet row numbers."""
    rows = grid[head + 1 :]
    width = max(head_width, max((len(r) for r in grid), default=0))
    # One C pass over the cells (short rows padded with None), not a numpy copy per row.
    cells = chain.from_iterable(
        row if len(row) == width else [*row, *[None] * (width - len(row))] for row in rows
    )
    body = np.fromiter(cells, dtype=object, count=len(rows) * width)
    body = body.reshape(len(rows), width)
    blank = blank_mask(body)
    keep = ~blank.all(axis=1)
    index = pd.Index(np.arange(head + 2, len(grid) + 1)[keep], name="row")
    if keep.all():
        return body, blank, index
    return body[keep], blank[keep], index


def blank_mask(cells: np.ndarray) -> Bools:
    """Empty cells: ``None``, NaN or empty text (whitespace-only text is read as empty later).

    Only a falsy cell (``None``, ``""``, ``0``, ``False``) can be empty text, so the comparison
    with ``""`` looks at those alone: a million numbers cost one truth test each.
    """
    empty: Bools = pd.isna(cells)
    maybe = np.nonzero(~cells.astype(bool) & ~empty)
    empty[maybe] = cells[maybe] == ""
    return empty


def _match_header(
    tab: str, header: Sequence[Cell], columns: Mapping[str, str], wanted: Sequence[str]
) -> tuple[dict[str, int], list[str]]:
    by_text: dict[str, int] = {}
    problems: list[str] = []
    for pos, cell in enumerate(header, start=1):
        key = name_key(cell)
        if not key:
            continue
        if key in by_text:
            problems.append(
                f"tab {tab!r}: header {str(cell)!r} appears twice "
                f"(columns {by_text[key]} and {pos}); the first is used"
            )
            continue
        by_text[key] = pos
    positions = {
        cid: by_text[name_key(columns[cid])] for cid in wanted if name_key(columns[cid]) in by_text
    }
    return positions, problems


# --- the wide layout -------------------------------------------------------------------------


def dated_columns(
    tab: str,
    header: Sequence[Cell],
    positions: Mapping[str, int],
    row: int = 1,
    *,
    today: dt.date | None = None,
    above: Sequence[Row] = (),
) -> tuple[tuple[tuple[int, dt.date], ...], list[str]]:
    """The header cells that name a day or a period, as (1-based column, day), and what
    looked doubtful.

    Known columns (``Current``, ``Warning``...) never count. All candidates are read in one
    call; numbers count only as serials in ``HEADER_SERIALS``, so a header ``5`` stays a column.
    With ``today`` (the as-of day), text that is no date is read as a period (``Jan``, ``Q4``,
    ``W45``: sync/periods.py), its year taken from a line ``above`` the header if there is one.
    """
    taken = set(positions.values())
    found = [
        (pos, cell)
        for pos, cell in enumerate(header, start=1)
        if pos not in taken and _may_be_date(cell)
    ]
    if not found:
        return (), []
    cells = pd.Series([cell for _, cell in found], dtype=object)
    dayfirst, problems = sheet_dayfirst(tab, f"row {row}", cells)
    stamps = parse_dates(cells, dayfirst=dayfirst)["value"]
    days = [None if pd.isna(s) else pd.Timestamp(s).date() for s in stamps]
    if today is not None:
        rest = [(pos, c) for (pos, c), d in zip(found, days, strict=True) if d is None]
        placed, unplaced = _period_days(rest, year_above(above), today)
        days = [d or placed.get(pos) for (pos, _), d in zip(found, days, strict=True)]
        problems += [_unplaced(tab, row, pos, cell) for pos, cell in unplaced]
    dates = tuple((pos, d) for (pos, _), d in zip(found, days, strict=True) if d is not None)
    return dates, problems + _repeated_dates(tab, dates)


def _period_days(
    cells: Sequence[tuple[int, Cell]], year: int | None, today: dt.date
) -> tuple[dict[int, dt.date], list[tuple[int, Cell]]]:
    """Period headers placed (column -> the day their values count for) and those that look
    like periods but cannot be placed."""
    placed: dict[int, dt.date] = {}
    unplaced = []
    for pos, cell in cells:
        period = read_period(cell, year=year, today=today)
        if period is not None:
            placed[pos] = period.dated(today)
        elif looks_like_period(cell):
            unplaced.append((pos, cell))
    return placed, unplaced


def _unplaced(tab: str, row: int, pos: int, cell: Cell) -> str:
    return (
        f"tab {tab!r} row {row}: header {str(cell)!r} (column {column_letter(pos)}) looks like "
        "a period or a date but cannot be placed, so its values are not read; write it as "
        "2026-01, Q4 2026, 2026-W45 or 2026-11-02"
    )


def _may_be_date(cell: Cell) -> bool:
    """Could this header be a date? Text and date cells yes; numbers only in the serial range."""
    if cell is None or isinstance(cell, bool):
        return False
    if isinstance(cell, int | float):
        low, high = HEADER_SERIALS
        return bool(low <= float(cell) <= high)
    return isinstance(cell, str | dt.date)


def sheet_dayfirst(tab: str, where: str, cells: pd.Series) -> tuple[bool | None, list[str]]:
    """Which way round a tab writes ``a/b/yyyy`` dates, from the dates that can only be one way.

    True when some date has a day above 12 in front (``16/11/2026``), False when one has it
    second (``11/16/2026``), None (the readers' default: month-first, dotted day-first) when no
    date settles it or the tab mixes both, which is then reported.
    """
    texts = pd.Series(cells[cells.map(lambda c: isinstance(c, str))].unique(), dtype=object)
    parts = texts.str.match(_SLASHED), texts.str.extract(_SLASHED)
    a, b = pd.to_numeric(parts[1]["a"]), pd.to_numeric(parts[1]["b"])
    day_first, month_first = bool((a > 12).any()), bool((b > 12).any())
    ambiguous = parts[0].fillna(False).astype(bool) & (a <= 12) & (b <= 12) & (a != b)
    if day_first and month_first:
        return None, [
            f"tab {tab!r} {where}: dates are written both day-first and month-first "
            f"({_first(texts[a > 12])}, {_first(texts[b > 12])}); write them as "
            "yyyy-mm-dd to be sure"
        ]
    if day_first or month_first:
        return day_first, []
    if ambiguous.any():
        return None, [
            f"tab {tab!r} {where}: no date shows whether {_first(texts[ambiguous])} "
            "is day-first or month-first; read month-first (dotted: day-first), "
            "write dates as yyyy-mm-dd to be sure"
        ]
    return None, []


def _first(texts: pd.Series) -> str:
    return repr(str(texts.iloc[0]).strip())


def _repeated_dates(tab: str, dates: Iterable[tuple[int, dt.date]]) -> list[str]:
    """Two dated columns for the same day: the right-most value wins, and the user is told."""
    seen: dict[dt.date, int] = {}
    problems = []
    for pos, day in dates:
        if day in seen:
            problems.append(
                f"tab {tab!r}: columns {column_letter(seen[day])} and "
                f"{column_letter(pos)} are both dated {day:%Y-%m-%d}; for each KPI "
                "the right-most value is used"
            )
        seen[day] = pos
    return problems


def wide_history(sheet: Sheet, rows: Sequence[int] | pd.Index | None = None) -> pd.DataFrame:
    """The dated columns as a long frame: one row per (KPI row, date) cell that is not blank.

    ``rows`` (sheet row numbers, default every kept row) lets a caller take the history a
    block of KPI rows at a time, so a sheet near Google's cell limit never holds it all at once.
    Columns: ``row`` (sheet row, int32), ``date`` (datetime64[ns], a day), ``col`` (1-based,
    int32), ``raw``. Entries are in sheet order (row by row, left to right), so for a day
    named by two columns the right-most comes last; the KPI rules let the last entry for a
    (row, day) win. The dated block is read as a view when it is one rectangle (else copied
    once), then filtered with one boolean mask: a million cells cost a few array passes and
    no index array wider than int32.
    """
    if rows is None:
        rows = sheet.rows.index
    if not sheet.dates or len(rows) == 0:
        return pd.DataFrame(
            {
                "row": pd.Series(dtype="int32"),
                "date": pd.Series(dtype="datetime64[ns]"),
                "col": pd.Series(dtype="int32"),
                "raw": pd.Series(dtype=object),
            }
        )
    at = sheet.rows.index.get_indexer(pd.Index(rows))
    if (at < 0).any():
        raise KeyError(f"tab {sheet.tab!r}: no kept row {np.asarray(rows)[at < 0][0]}")
    cols = np.array([pos for pos, _ in sheet.dates], dtype=np.int32)
    days = np.array([np.datetime64(d, "D") for _, d in sheet.dates]).astype("datetime64[ns]")
    block = _block(at, cols - 1)
    cells = sheet.body[block]
    filled = ~(sheet.blank[block] if sheet.blank is not None else blank_mask(cells))
    dated = np.broadcast_to(np.arange(len(cols), dtype=np.int32), filled.shape)[filled]
    return pd.DataFrame(
        {
            "row": np.repeat(sheet.rows.index.to_numpy()[at].astype(np.int32), filled.sum(axis=1)),
            "date": days[dated],
            "col": cols[dated],
            # The filled cells alone, kept as they are: a bare object array would be scanned for
            # a type to convert to, with scratch arrays for every candidate type (~40 B a cell).
            "raw": pd.Series(cells[filled], dtype=object, copy=False),
        },
        copy=False,
    )  # fresh arrays: no need for pandas to copy them again


def _block(rows: npt.NDArray[np.intp], cols: npt.NDArray[np.int32]) -> tuple[Any, ...]:
    """An index for the cells of ``rows`` x ``cols`` (0-based positions, not empty): slices
    where the positions run up one by one, as they nearly always do, so that numpy takes a
    view instead of a copy."""

    def span(at: npt.NDArray[Any]) -> slice | npt.NDArray[Any]:
        return slice(int(at[0]), int(at[-1]) + 1) if (np.diff(at) == 1).all() else at

    r, c = span(rows), span(cols)
    if isinstance(r, slice) or isinstance(c, slice):
        return r, c
    return np.ix_(r, c)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with the sheet row under ``"row"``: for the few places that build
    one Python object per row (mail items, Status tab lines), never for computing."""
    out: list[dict[str, Any]] = frame.rename_axis("row").reset_index().to_dict("records")  # type: ignore[assignment]
    return out
