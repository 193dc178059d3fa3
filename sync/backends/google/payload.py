"""Cells as the Sheets API's JSON, both ways, and the bodies of the writes.

``RAW`` writes only: text starting with ``=``, ``+``, ``-`` or ``@`` stays text. Datetimes
are written as ISO text (``2026-11-02 08:00+00:00``), readable and round-tripping, since
``RAW`` numbers would show as bare serial numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
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
# A write is one ``spreadsheets.batchUpdate`` of ``updateCells`` requests: its answer carries
# the title and every tab (a field mask keeps it small), which no values method returns.
_HEAD = b'{"requests":['
_TAIL = b'],"includeSpreadsheetInResponse":true,"responseIncludeGridData":false}'


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


def cell_data(value: Json) -> dict[str, Any]:
    """A ``RAW`` JSON value as the CellData ``updateCells`` writes: text stays text (a
    ``stringValue`` is never a formula), and ``{}`` empties the cell."""
    if value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": value}}


def from_json(value: Any) -> Cell:
    return None if value == "" else value


def as_read(grid: Grid) -> Grid:
    """A grid as written, as a read would give it back: JSON values, "" as None."""
    return [[from_json(v) for v in json_row(row)] for row in grid]


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


@dataclass(frozen=True)
class Block:
    """A rectangle of JSON values whose top-left cell is (``row``, ``col``) of tab ``title``."""

    title: str
    row: int
    col: int
    values: list[list[Json]]

    def a1(self) -> str:
        """The block's range, ``'Status'!A1:G40``, for messages."""
        last = (self.row + len(self.values) - 1, self.col + len(self.values[0]) - 1)
        return cells(self.title, (self.row, self.col), last)

    def cells_request(self, sheet_id: int) -> bytes:
        """The block as one ``updateCells`` request, compact JSON."""
        request = {
            "updateCells": {
                "start": {
                    "sheetId": sheet_id,
                    "rowIndex": self.row - 1,
                    "columnIndex": self.col - 1,
                },
                "rows": [{"values": [cell_data(v) for v in row]} for row in self.values],
                "fields": "userEnteredValue",
            }
        }
        return json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode()

    def split(self, parts: int) -> list[Block]:
        """The block cut into ``parts`` runs of whole rows (a row is never cut)."""
        step = max(1, -(-len(self.values) // parts))
        return [
            Block(self.title, self.row + i, self.col, self.values[i : i + step])
            for i in range(0, len(self.values), step)
        ]


def value_blocks(updates: Iterable[CellUpdate], title_of: Callable[[str], str]) -> list[Block]:
    """Cell updates as few blocks: runs of adjacent cells in a row, stacked into rectangles.

    A run that changes the same columns on consecutive rows (the usual case) becomes one
    rectangle, so 5,000 rows of ``Status``/``Note``/``Checked`` are one range, not 15,000.
    """
    by_tab: dict[str, dict[tuple[int, int], Cell]] = {}
    for u in updates:
        by_tab.setdefault(u.tab, {})[(u.row, u.col)] = u.value
    return [
        Block(title_of(tab), r0, c0, block)
        for tab, grid in by_tab.items()
        for r0, c0, block in _blocks(grid)
    ]


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


def changed_blocks(title: str, grid: Grid, old: Grid, extent: tuple[int, int]) -> list[Block]:
    """What writes ``grid`` over a tab that holds ``old``: the rows that differ, each from its
    first to its last changed cell, consecutive ones stacked into one rectangle (a cell that
    did not change inside it is sent with the value it has). ``extent`` is the rows x columns
    ``old`` covered: cells beyond the new grid are blanked."""
    out: list[Block] = []
    run: list[tuple[int, int, list[Json]]] = []  # (first, last changed column, row) from 0
    start = 0
    for r in range(max(len(grid), extent[0])):
        new = json_row(grid[r]) if r < len(grid) else []
        span = _changed(new, old[r] if r < len(old) else [])
        if span is None or (run and start + len(run) != r):
            out += _stack(title, start, run)
            run = []
        if span is not None:
            start = r if not run else start
            run.append((*span, new))
    return out + _stack(title, start, run)


def _changed(new: list[Json], old: Sequence[Any]) -> tuple[int, int] | None:
    """The first and last column (from 0) where ``new`` differs from ``old``, as read back."""
    if _trimmed([None if v == "" else v for v in new]) == _trimmed(list(old)):
        return None  # the usual row, compared in one go
    width = max(len(new), len(old))
    differs = [
        c
        for c in range(width)
        if not _same(new[c] if c < len(new) else "", old[c] if c < len(old) else None)
    ]
    return (differs[0], differs[-1]) if differs else None


def _trimmed(row: list[Any]) -> list[Any]:
    while row and row[-1] is None:
        row.pop()
    return row


def _same(new: Json, old: Any) -> bool:
    """A value written against the value read: "" reads back as None, 3.0 as 3."""
    if new == "" or old is None:
        return (new == "") and (old is None or old == "")
    return bool(new == old) and isinstance(new, bool) == isinstance(old, bool)


def _stack(title: str, start: int, run: list[tuple[int, int, list[Json]]]) -> list[Block]:
    if not run:
        return []
    c0, c1 = min(s[0] for s in run), max(s[1] for s in run)
    values = [[row[c] if c < len(row) else "" for c in range(c0, c1 + 1)] for _, _, row in run]
    return [Block(title, start + 1, c0 + 1, values)]


def whole_tab(title: str, grid: Grid, extent: tuple[int, int]) -> Block | None:
    """A tab's grid as one block, padded with "" over ``extent``, what it held before."""
    rows = max(len(grid), extent[0])
    cols = max(max(map(len, grid), default=0), extent[1])
    if not rows or not cols:
        return None
    values = [json_row(row) + [""] * (cols - len(row)) for row in grid]
    values += [[""] * cols for _ in range(rows - len(grid))]
    return Block(title, 1, 1, values)


def bodies(
    blocks: Iterable[Block], limit: int, sheet_id: Callable[[str], int]
) -> list[tuple[bytes, list[Block]]]:
    """``spreadsheets.batchUpdate`` bodies of at most ``limit`` bytes each, blocks in order,
    each with the blocks it holds (an error names its request by index); a block too large
    alone is cut into runs of rows. One row larger than ``limit`` goes alone."""
    room = limit - len(_HEAD) - len(_TAIL)
    out: list[tuple[bytes, list[Block]]] = []
    parts: list[bytes] = []
    held: list[Block] = []
    size = 0
    for block, piece in _pieces(blocks, room, sheet_id):
        if parts and size + 1 + len(piece) > room:
            out.append((_HEAD + b",".join(parts) + _TAIL, held))
            parts, held, size = [], [], 0
        size += len(piece) + (1 if parts else 0)
        parts.append(piece)
        held.append(block)
    if parts:
        out.append((_HEAD + b",".join(parts) + _TAIL, held))
    return out


def _pieces(
    blocks: Iterable[Block], room: int, sheet_id: Callable[[str], int]
) -> Iterator[tuple[Block, bytes]]:
    for block in blocks:
        todo = [block]
        while todo:
            part = todo.pop()
            data = part.cells_request(sheet_id(part.title))
            if len(data) <= room or len(part.values) == 1:
                yield part, data
            else:  # a tenth to spare: rows differ in size
                todo += reversed(part.split(-(-len(data) * 11 // (room * 10))))


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
