"""From grids to tables: where a tab's layout is understood, once.

A grid is what a backend returns; a ``Sheet`` is the same tab with its header matched
to the configured column names, its blank rows dropped and every row keeping its
1-based sheet row number as the index, so that results find their way back to the
right cells. The rules only ever see these frames.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sync.backends.base import Cell, Grid
from sync.cells import parse_header_date
from sync.errors import LayoutError


@dataclass(frozen=True)
class Sheet:
    """A tab read as a table.

    ``rows`` holds the raw cell values of the known columns (canonical column ids as
    column names, sheet row numbers as the index); ``positions`` maps each column id
    found to its 1-based column; ``dates`` lists the wide layout's dated columns.
    """

    tab: str
    header: tuple[Cell, ...]
    rows: pd.DataFrame
    positions: Mapping[str, int]
    dates: tuple[tuple[int, dt.date], ...] = ()
    body: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=object), repr=False)
    problems: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        return len(self.header)


def header_key(cell: Cell) -> str:
    """Headers match case-insensitively, ignoring surrounding and repeated spaces."""
    return " ".join(str(cell).split()).casefold() if cell is not None else ""


def read_sheet(tab: str, grid: Grid | None, columns: Mapping[str, str], wanted: Sequence[str],
               required: Sequence[str], *, dated: bool = False) -> Sheet:
    """Match the header of ``grid`` and keep its non-blank rows.

    Raises ``LayoutError`` for a missing tab or a missing required column: without
    them nothing on the tab can be computed or written safely.
    """
    if grid is None:
        raise LayoutError(f"tab {tab!r} not found in the workbook")
    if not grid:
        raise LayoutError(f"tab {tab!r} is empty: expected a header row with "
                          + ", ".join(repr(columns[c]) for c in required))
    header = tuple(grid[0])
    positions, problems = _match_header(tab, header, columns, wanted)
    missing = [columns[c] for c in required if c not in positions]
    if missing:
        found = ", ".join(repr(str(h)) for h in header if h not in (None, "")) or "nothing"
        raise LayoutError(f"tab {tab!r}: no column {' or '.join(repr(m) for m in missing)} "
                          f"in row 1 (found {found})")
    width = max(len(header), max((len(r) for r in grid), default=0))
    body = np.full((len(grid) - 1, width), None, dtype=object)
    for i, row in enumerate(grid[1:]):
        body[i, : len(row)] = row
    keep = ~blank_mask(body).all(axis=1)
    body = body[keep]
    index = pd.Index(np.arange(2, len(grid) + 1)[keep], name="row")
    rows = pd.DataFrame({cid: body[:, pos - 1] for cid, pos in positions.items()},
                        index=index, dtype=object)
    dates = _dated_columns(header, positions) if dated else ()
    return Sheet(tab=tab, header=header, rows=rows, positions=positions, dates=dates,
                 body=body, problems=tuple(problems))


def blank_mask(cells: np.ndarray) -> np.ndarray:
    """Empty cells: ``None`` or empty text (whitespace-only text is read as empty later)."""
    empty: np.ndarray = (cells == None) | (cells == "")  # noqa: E711 -- elementwise on an array
    return empty


def _match_header(tab: str, header: Sequence[Cell], columns: Mapping[str, str],
                  wanted: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    by_text: dict[str, int] = {}
    problems: list[str] = []
    for pos, cell in enumerate(header, start=1):
        key = header_key(cell)
        if not key:
            continue
        if key in by_text:
            problems.append(f"tab {tab!r}: header {str(cell)!r} appears twice "
                            f"(columns {by_text[key]} and {pos}); the first is used")
            continue
        by_text[key] = pos
    positions = {cid: by_text[header_key(columns[cid])] for cid in wanted
                 if header_key(columns[cid]) in by_text}
    return positions, problems


def _dated_columns(header: Sequence[Cell], positions: Mapping[str, int]) -> tuple[
        tuple[int, dt.date], ...]:
    taken = set(positions.values())
    found = [(pos, parse_header_date(cell)) for pos, cell in enumerate(header, start=1)
             if pos not in taken]
    return tuple((pos, d) for pos, d in found if d is not None)


def wide_history(sheet: Sheet) -> pd.DataFrame:
    """The dated columns as a long frame: one row per (KPI row, date) cell that is not blank.

    Columns: ``row`` (sheet row), ``date`` (datetime64), ``col`` (1-based), ``raw``.
    Built with one reshape of the whole block, so a million cells cost one pass.
    """
    if not sheet.dates or sheet.rows.empty:
        return pd.DataFrame({"row": pd.Series(dtype="int64"),
                             "date": pd.Series(dtype="datetime64[ns]"),
                             "col": pd.Series(dtype="int64"), "raw": pd.Series(dtype=object)})
    cols = np.array([pos for pos, _ in sheet.dates])
    dates = np.array([np.datetime64(d, "ns") for _, d in sheet.dates])
    block = sheet.body[:, cols - 1]
    n_rows, n_cols = block.shape
    flat = pd.DataFrame({
        "row": np.repeat(sheet.rows.index.to_numpy(), n_cols),
        "date": np.tile(dates, n_rows),
        "col": np.tile(cols, n_rows),
        "raw": block.ravel(),
    })
    return flat[~blank_mask(block.ravel())].reset_index(drop=True)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with the sheet row under ``"row"``: for the few places that build
    one Python object per row (mail items, Status tab lines), never for computing."""
    out: list[dict[str, Any]] = frame.rename_axis("row").reset_index().to_dict("records")  # type: ignore[assignment]
    return out
