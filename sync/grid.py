"""The domain's vocabulary for a spreadsheet: cells, grids, and what a run writes into them.

The core (frames, rules, write plan, Status tab) and every backend speak these plain
types, so the arrows point from the backends to the core, never back.

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
from collections.abc import Mapping
from dataclasses import dataclass, field

from sync.rules.status import Colour

Cell = str | int | float | bool | dt.datetime | dt.date | None
Row = list[Cell]
Grid = list[Row]


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


@dataclass(frozen=True)
class Outline:
    """A workbook's title and the titles of all its tabs, as a backend last saw them."""

    title: str
    tabs: tuple[str, ...]

    def has(self, name: str) -> bool:
        """Whether a tab is called ``name``, as tabs are looked up (:func:`same_tab`)."""
        return any(same_tab(t, name) for t in self.tabs)


def same_tab(a: str, b: str) -> bool:
    """Tab names match ignoring case and surrounding spaces (``'KPIs '`` is ``kpis``)."""
    return a.strip().casefold() == b.strip().casefold()
