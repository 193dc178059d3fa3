"""What the sync writes on the KPI and OKR tabs: its own columns, and nothing else.

Owned columns are found by name wherever a user moved them, and created after the
last used column when missing. Only cells whose value changes are sent, so a run
that changes nothing but ``Checked`` writes one column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sync.frames import Sheet, blank_mask
from sync.grid import Cell, CellUpdate, RowKey


def owned_positions(
    sheet: Sheet, owned: Sequence[str], headers: Mapping[str, str]
) -> tuple[dict[str, int], list[Change]]:
    """Where each owned column is (as ``read_sheet`` matched it, under ``headers``), and the
    header cells to write for the missing ones."""
    next_free = max(sheet.width, sheet.body.shape[1] if sheet.body.size else 0) + 1
    positions: dict[str, int] = {}
    new_headers: list[Change] = []
    for cid in owned:
        pos = sheet.positions.get(cid)
        if pos is None:
            pos = next_free
            next_free += 1
            new_headers.append(
                Change(CellUpdate(sheet.tab, sheet.header_row, pos, headers[cid]), None)
            )
        positions[cid] = pos
    return positions, new_headers


@dataclass(frozen=True)
class Change:
    """A cell to write and what it held when read (for ``--dry-run`` and the logs)."""

    update: CellUpdate
    old: Cell


def cell_updates(sheet: Sheet, positions: Mapping[str, int], values: pd.DataFrame) -> list[Change]:
    """Changes for the cells of ``values`` (sheet rows x owned column ids) that differ.

    A missing value (``None``/NaN) means "leave that cell as it is", e.g. the ``Last
    alert`` of a row whose mail was not accepted. The comparison is one array operation
    per column; only the cells that change become objects.
    """
    updates: list[Change] = []
    at = pd.Series(np.arange(len(sheet.rows)), index=sheet.rows.index)
    rows = values.index.to_numpy()
    for cid in values.columns:
        col = positions[cid]
        new = values[cid].to_numpy(dtype=object)
        old = (
            sheet.body[at.loc[rows].to_numpy(), col - 1]
            if col <= sheet.body.shape[1]
            else np.full(len(rows), None, dtype=object)
        )
        at_rows = np.flatnonzero(_changed(old, new))  # then plain lists: no numpy scalars
        updates.extend(
            Change(CellUpdate(sheet.tab, r, col, _cell(n)), _cell(o))
            for r, n, o in zip(
                rows[at_rows].tolist(), new[at_rows].tolist(), old[at_rows].tolist(), strict=True
            )
        )
    return updates


def _changed(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Where ``new`` differs from ``old``: blanks are equal, numbers within 1e-9 are equal."""
    if not len(new):
        return np.zeros(0, dtype=bool)
    same = (old == new) | (blank_mask(old) & blank_mask(new))
    numbers = _numeric(old) & _numeric(new)
    if numbers.any():
        a = old[numbers].astype(np.float64)
        b = new[numbers].astype(np.float64)
        same[numbers] = np.abs(a - b) < 1e-9
    changed: np.ndarray = ~same & ~pd.isna(new)
    return changed


def _numeric(cells: np.ndarray) -> np.ndarray:
    kinds = pd.Series(cells).map(type)
    return kinds.isin([int, float, np.float64, np.int64]).to_numpy(dtype=bool)


def row_keys(sheet: Sheet, rows: pd.Index, key_ids: Sequence[str]) -> list[RowKey]:
    """The key cells of every row written to, for the backend's check before writing."""
    cols = [
        (sheet.positions[k], sheet.rows[k].reindex(rows).to_numpy(dtype=object).tolist())
        for k in key_ids
        if k in sheet.positions
    ]
    return [
        RowKey(sheet.tab, r, tuple((pos, _cell(cells[i])) for pos, cells in cols))
        for i, r in enumerate(rows.tolist())
    ]


def header_check(sheet: Sheet, positions: Mapping[str, int], key_ids: Sequence[str]) -> RowKey:
    """The header row (wherever it was found) above every owned column and every key column,
    as read (``None`` where the run creates a column): a column inserted, deleted or moved
    before the write shows there, so the backend refuses to write rather than put statuses
    under a person's header. A cell named from the row above (merged down) is checked as
    read from the grid: empty."""
    cols = sorted(
        {*positions.values(), *(sheet.positions[k] for k in key_ids if k in sheet.positions)}
    )
    read = sheet.raw_header or sheet.header
    return RowKey(
        sheet.tab,
        sheet.header_row,
        tuple((c, _cell(read[c - 1]) if c <= len(read) else None) for c in cols),
    )


def _cell(value: object) -> Cell:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()  # type: ignore[no-any-return]
    return value  # type: ignore[return-value]
