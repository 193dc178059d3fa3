"""Where a tab's header is: found among its first rows, not assumed to be row 1.

Teams put a title, a period line (``Year: 2026``) or a row of merged group cells above
their header. The header is the first row holding the tab's key column (or the row the
config names); when the row below it is the lower half of a two-row header, that lower
row is the header, and a cell merged down from the upper row names its column there.
README, "Bring your own sheet", tells the user the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sync.cells import name_key
from sync.grid import Cell, Grid, Row

SEARCH_ROWS = 20


@dataclass(frozen=True)
class Header:
    """A tab's header: its 0-based index in the grid, its cells (merged-down names filled in),
    and the rows above it (titles, period lines), which are never data."""

    index: int
    cells: tuple[Cell, ...]
    above: tuple[Row, ...]
    found: bool = True  # False: no row held the key column; ``index`` is then row 1
    raw: tuple[Cell, ...] = ()  # the header row as read, before the merged-down names

    @property
    def row(self) -> int:
        """The header's 1-based sheet row, where the tool's own columns are named."""
        return self.index + 1


def find_header(grid: Grid, key: str, override: int | None = None) -> Header:
    """The header of ``grid``: row ``override`` (1-based) if given, else the first of the first
    ``SEARCH_ROWS`` rows holding ``key``, lowered to the row below where that row is the lower
    half of a two-row header. ``found`` is False when no row holds ``key``."""
    if override is not None:
        return _header(grid, override - 1, found=override <= len(grid))
    wanted = name_key(key)
    for i, row in enumerate(grid[:SEARCH_ROWS]):
        if any(name_key(c) == wanted for c in row):
            at = next(j for j, c in enumerate(row) if name_key(c) == wanted)
            lower = i + 1 < len(grid) and _lower_half(grid[i], grid[i + 1], at)
            return _header(grid, i + 1 if lower else i)
    return _header(grid, 0, found=False)


def _header(grid: Grid, index: int, *, found: bool = True) -> Header:
    row = list(grid[index]) if index < len(grid) else []
    raw = tuple(row)
    above = tuple(grid[:index])
    if above and _group_row(above[-1]):
        upper = above[-1]
        row += [None] * max(0, len(upper) - len(row))
        merged = zip(row, _pad(upper, row), strict=True)
        row = [u if _blank(c) and not _blank(u) else c for c, u in merged]
    return Header(index, tuple(row), above, found, raw)


def _lower_half(upper: Row, lower: Row, key_at: int) -> bool:
    """Is ``lower`` the second row of a two-row header whose key cell is merged down?

    Its key cell is empty (merged), it holds only text or dates (headers, never figures), and
    some of them sit under an empty cell of ``upper`` (the group cell merged across them)."""
    if key_at < len(lower) and not _blank(lower[key_at]):
        return False
    filled = [(j, c) for j, c in enumerate(lower) if not _blank(c)]
    if not filled or not all(isinstance(c, str | dt.date) for _, c in filled):
        return False
    return any(j >= len(upper) or _blank(upper[j]) for j, _ in filled)


def _group_row(row: Row) -> bool:
    """A row above the header that names columns (two or more text cells), not a title line."""
    filled = [c for c in row if not _blank(c)]
    return len(filled) >= 2 and all(isinstance(c, str) for c in filled)


def _pad(row: Sequence[Cell], like: Sequence[Cell]) -> list[Cell]:
    return [*row, *[None] * max(0, len(like) - len(row))]


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())
