"""The check before a write: which key and header cells to read again, and which moved.

If a person inserted, deleted or sorted rows, or moved a column, between the read and the
write, the statuses would land under the wrong rows: nothing is written then (see
docs/reliability.md for what the caller does next).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from gspread.utils import rowcol_to_a1

from sync.backends.google.payload import Block, from_json
from sync.grid import RowKey

Span = tuple[str, bool]  # (tab, True for its header row): one range re-read before a write


def key_spans(keys: Iterable[RowKey]) -> dict[Span, tuple[int, int, int]]:
    """Per tab, for its header row and for the rows below: first row, first and last key
    column to re-read before writing (the header reaches the owned columns at the far right;
    the rows need only their key columns)."""
    spans: dict[Span, tuple[int, int, int]] = {}
    for key in keys:
        span = (key.tab, key.row == 1)
        for col, _ in key.cells:
            r0, c0, c1 = spans.get(span, (key.row, col, col))
            spans[span] = (min(r0, key.row), min(c0, col), max(c1, col))
    return spans


def as_written(
    keys: Sequence[RowKey], blocks: Iterable[Block], title_of: Callable[[str], str]
) -> list[RowKey]:
    """The keys once ``blocks`` are written: a key or header cell the write itself filled (a
    new column's header, on a first run) is then expected to hold what was written."""
    wanted = {(title_of(k.tab), k.row, col) for k in keys for col, _ in k.cells}
    rows = {(title, row) for title, row, _ in wanted}
    written: dict[tuple[str, int, int], Any] = {}
    for b in blocks:
        for i, values in enumerate(b.values):
            if (b.title, b.row + i) in rows:
                for j, value in enumerate(values):
                    if (b.title, b.row + i, b.col + j) in wanted:
                        written[(b.title, b.row + i, b.col + j)] = from_json(value)
    return [
        RowKey(
            k.tab,
            k.row,
            tuple((c, written.get((title_of(k.tab), k.row, c), v)) for c, v in k.cells),
        )
        for k in keys
    ]


def moved_rows(
    keys: Iterable[RowKey],
    spans: Mapping[Span, tuple[int, int, int]],
    found: Mapping[Span, list[list[Any]]],
) -> list[str]:
    """Sentences naming each key or header cell that no longer holds what was read, header
    cells first (a column moved explains whatever else changed)."""
    moved: list[tuple[bool, str]] = []  # (below the header, sentence)
    for key in keys:
        span = (key.tab, key.row == 1)
        if span not in spans:
            continue
        r0, c0, _ = spans[span]
        rows = found.get(span, [])
        for col, expected in key.cells:
            i, j = key.row - r0, col - c0
            now = from_json(rows[i][j]) if i < len(rows) and j < len(rows[i]) else None
            if _norm(now) != _norm(expected):
                where = f"header {rowcol_to_a1(1, col)}" if key.row == 1 else f"row {key.row}"
                moved.append(
                    (key.row != 1, f"tab {key.tab!r} {where}: expected {expected!r}, found {now!r}")
                )
    return [text for _, text in sorted(moved, key=lambda m: m[0])]


def _norm(value: Any) -> Any:
    """A cell as a person reads it: spaces around text do not count, blank is empty."""
    if isinstance(value, str):
        return value.strip() or None
    return value
