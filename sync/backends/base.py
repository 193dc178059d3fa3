"""The workbook gateway: the one interface between the rules and a spreadsheet.

Backends speak plain grids (rows of cell values), never DataFrames, so that a
backend stays small and one contract test suite can run against all of them.

Cell values as a backend returns them:
    - ``None`` for an empty cell,
    - ``str`` for text (formula error values such as ``#REF!`` arrive as text),
    - ``bool`` for checkboxes and TRUE/FALSE,
    - ``int`` / ``float`` for numbers,
    - ``datetime.datetime`` / ``datetime.date`` where the backend knows a cell is a date
      (.xlsx does; Google returns dates as serial numbers, days since 1899-12-30).
Rows may be ragged: trailing empty cells may be missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Cell = str | int | float | bool | dt.datetime | dt.date | None
Row = list[Cell]
Grid = list[Row]

Colour = Literal["green", "amber", "red", "grey"]


@dataclass(frozen=True)
class CellUpdate:
    """One value to put in one cell; ``row`` and ``col`` are 1-based, as in A1 notation."""

    tab: str
    row: int
    col: int
    value: Cell


@dataclass(frozen=True)
class RowKey:
    """What must still stand in a row's key cells for a write to that row to be safe."""

    tab: str
    row: int
    cells: tuple[tuple[int, Cell], ...]  # (1-based column, value read)


@dataclass(frozen=True)
class OwnedTab:
    """A tab the sync owns entirely: rewritten whole each run.

    ``colours`` maps a status word to the colour its cells get; backends that can
    colour (conditional-format rules on Google, fills on .xlsx) use it, others ignore it.
    """

    name: str
    grid: Grid
    colours: Mapping[str, Colour] = field(default_factory=dict)


class Workbook(Protocol):
    """A spreadsheet the sync reads from and writes to.

    ``read`` is one round trip for every tab asked for; ``write`` is one round trip
    for every change. Missing tabs read as ``None`` rather than raising, so the
    caller decides whether that tab was required.
    """

    @property
    def title(self) -> str: ...

    @property
    def url(self) -> str | None: ...

    def read(self, tabs: Sequence[str]) -> dict[str, Grid | None]: ...

    def write(
        self,
        updates: Sequence[CellUpdate],
        owned: Sequence[OwnedTab],
        keys: Sequence[RowKey] = (),
    ) -> None:
        """Apply ``updates`` and replace each owned tab whole (creating it if missing).

        ``keys`` are checked before anything is written: if a person inserted,
        deleted or sorted rows since the read (the key cells of a row), or inserted,
        deleted or moved a column (the header cells, row 1), the backend raises
        ``ConcurrentEditError`` rather than put a status on the wrong row or column.
        """
        ...
