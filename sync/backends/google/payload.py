"""Cells as the Sheets API's JSON, both ways, and the bodies of the writes.

``RAW`` writes only: text starting with ``=``, ``+``, ``-`` or ``@`` stays text. Datetimes
are written as ISO text (``2026-11-02 08:00+00:00``), readable and round-tripping, since
``RAW`` numbers would show as bare serial numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sync.backends.google.ranges import cells
from sync.grid import Cell, CellUpdate, Grid
from sync.rules.status import Colour

MAX_CELL_CHARS = 50_000  # Google refuses longer cell text
COLOURS: Mapping[Colour, Mapping[str, float]] = {
    "green": {"red": 0.718, "green": 0.882, "blue": 0.804},
    "amber": {"red": 0.988, "green": 0.91, "blue": 0.698},
    "red": {"red": 0.957, "green": 0.78, "blue": 0.765},
    "grey": {"red": 0.878, "green": 0.878, "blue": 0.878},
}
Json = str | int | float | bool


def to_json(value: Cell) -> Json:
    """A cell as ``RAW`` JSON: "" empties a cell (``null`` would leave it unchanged)."""
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else ""
    if isinstance(value, dt.datetime):
        spec = "minutes" if not value.second and not value.microsecond else "seconds"
        return value.isoformat(sep=" ", timespec=spec)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def json_row(row: Sequence[Cell]) -> list[Json]:
    """``to_json`` of each cell; short text, most of a Status tab, is passed as it is."""
    return [v if type(v) is str and len(v) <= MAX_CELL_CHARS else to_json(v) for v in row]


def from_json(value: Any) -> Cell:
    return None if value == "" else value


def blanks_to_none(rows: list[list[Any]]) -> Grid:
    """The rows of a ValueRange as a grid, in place: each ``""`` (an empty cell between
    filled ones) becomes None. ``list.index`` finds them, so the cells that hold a value,
    nearly all of a million, are never visited in Python, and no second grid is built."""
    for row in rows:
        at = -1
        try:
            while True:
                at = row.index("", at + 1)
                row[at] = None
        except ValueError:
            continue
    return rows


def value_ranges(
    updates: Iterable[CellUpdate], title_of: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Cell updates as few ValueRanges: runs of adjacent cells in a row, stacked into blocks.

    A run that changes the same columns on consecutive rows (the usual case) becomes one
    rectangle, so 5,000 rows of ``Status``/``Note``/``Checked`` are one range, not 15,000.
    """
    by_tab: dict[str, dict[tuple[int, int], Cell]] = {}
    for u in updates:
        by_tab.setdefault(u.tab, {})[(u.row, u.col)] = u.value
    out = []
    for tab, grid in by_tab.items():
        title = title_of(tab)
        for r0, c0, block in _blocks(grid):
            last = (r0 + len(block) - 1, c0 + len(block[0]) - 1)
            out.append(
                {"range": cells(title, (r0, c0), last), "majorDimension": "ROWS", "values": block}
            )
    return out


def _blocks(grid: Mapping[tuple[int, int], Cell]) -> list[tuple[int, int, list[list[Any]]]]:
    runs: list[tuple[int, int, list[Any]]] = []
    for row, col in sorted(grid):
        if runs and runs[-1][0] == row and runs[-1][1] + len(runs[-1][2]) == col:
            runs[-1][2].append(to_json(grid[(row, col)]))
        else:
            runs.append((row, col, [to_json(grid[(row, col)])]))
    blocks: list[tuple[int, int, list[list[Any]]]] = []
    for row, col, values in runs:
        last = blocks[-1] if blocks else None
        if (
            last
            and last[0] + len(last[2]) == row
            and last[1] == col
            and len(last[2][0]) == len(values)
        ):
            last[2].append(values)
        else:
            blocks.append((row, col, [values]))
    return blocks


def whole_tab(title: str, grid: Grid, extent: tuple[int, int]) -> dict[str, Any] | None:
    """A tab's grid as one ValueRange, padded with "" over ``extent``, what it held before."""
    rows = max(len(grid), extent[0])
    cols = max(max(map(len, grid), default=0), extent[1])
    if not rows or not cols:
        return None
    values = [json_row(row) + [""] * (cols - len(row)) for row in grid]
    values += [[""] * cols for _ in range(rows - len(grid))]
    return {"range": cells(title, (1, 1), (rows, cols)), "majorDimension": "ROWS", "values": values}


def new_sheet_id(title: str, taken: set[int | None]) -> int:
    """A stable id from the title, so a replayed ``addSheet`` is recognisably the same tab."""
    sheet_id = zlib.crc32(title.encode()) & 0x3FFFFFFF
    while sheet_id in taken:
        sheet_id = (sheet_id + 1) & 0x3FFFFFFF
    return sheet_id


def colour_rules(sheet_id: int, colours: Mapping[str, Colour]) -> list[dict[str, Any]]:
    """One conditional-format rule per status word, over the whole tab."""
    return [
        {
            "addConditionalFormatRule": {
                "index": i,
                "rule": {
                    "ranges": [{"sheetId": sheet_id}],
                    "booleanRule": {
                        "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": word}]},
                        "format": {"backgroundColor": dict(COLOURS[colour])},
                    },
                },
            }
        }
        for i, (word, colour) in enumerate(colours.items())
    ]
