"""A KPI's history: the newest value on or before today, and the one before it.

The history frame (``sync.frames.wide_history``, plus the ``KPI log`` in ``sync.evaluate``)
has one row per observation: ``row`` (the KPI's sheet row), ``date`` (a day), ``col``
(1-based column of the cell), ``raw`` (the cell), and optionally ``tab`` (the tab holding
the cell when it is not the KPIs tab), ``src_row`` (its row there) and ``error`` (a reason
known before the rules run, such as an unreadable log date). When several entries give a
value for the same KPI and day, the last one wins. It may come whole or as blocks of KPI rows,
each block holding every entry of its rows, so that a sheet near Google's cell limit is never
parsed in one piece. Whole-column passes only: no Python loop over history.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sync.a1 import a1
from sync.cells import parse_numbers
from sync.cells.kinds import Bools, Floats, Ints
from sync.config import Job
from sync.rules.cell_notes import CellNotes, joined_per_row, quoted

CELLS_PER_NOTE: Final = 3  # unreadable history cells named in one note; the rest are counted
_NO_DATE = np.datetime64("NaT", "ns")


def points(
    history: pd.DataFrame | Iterable[pd.DataFrame],
    index: pd.Index,
    today: np.datetime64,
    errors: CellNotes,
    job: Job,
) -> pd.DataFrame:
    """Per KPI row: the newest value on or before today and the one before it (another day).

    Blanks are skipped; unreadable cells make the row an ERROR. Values dated after today do
    not count yet (so ``--as-of`` replays a past day as it was). A row's points come from its
    own entries alone, so with the history in blocks (none splitting a row) each block's rows
    take their points from it, and only these four columns outlive the block.
    """
    out = {
        "value": np.full(len(index), np.nan),
        "date": np.full(len(index), _NO_DATE),
        "previous": np.full(len(index), np.nan),
        "previous_date": np.full(len(index), _NO_DATE),
    }
    for block in [history] if isinstance(history, pd.DataFrame) else history:
        if block.empty:
            continue
        found, columns = _block_points(block, index, today, errors, job)
        for name, values in columns.items():
            out[name][found] = values[found]
    return pd.DataFrame(out, index=index)


def _block_points(
    history: pd.DataFrame, index: pd.Index, today: np.datetime64, errors: CellNotes, job: Job
) -> tuple[Bools, dict[str, npt.NDArray[np.generic]]]:
    """``points`` of the rows ``history`` has a usable entry for: which rows, and the columns
    (over all of ``index``); the unreadable entries' notes go to ``errors``."""
    value, reason = _history_values(history, job)
    unread = reason.notna().to_numpy(dtype=bool)
    if unread.any():  # the few unreadable entries are picked out first, then worded
        errors.add(_history_notes(history[unread], reason[unread], index))
    day = history["date"].to_numpy().astype("datetime64[D]")
    code = index.get_indexer(pd.Index(history["row"]))
    usable = np.flatnonzero(~np.isnan(value) & ~np.isnat(day) & (day <= today) & (code >= 0))
    last = _newest(code[usable], usable, day[usable], len(index), len(history))
    before = day[usable] != _at(day, last)[code[usable]]
    prior = _newest(
        code[usable][before], usable[before], day[usable][before], len(index), len(history)
    )
    return last >= 0, {
        "value": _at(value, last),
        "date": _at(day, last).astype("datetime64[ns]"),
        "previous": _at(value, prior),
        "previous_date": _at(day, prior).astype("datetime64[ns]"),
    }


def _history_values(history: pd.DataFrame, job: Job) -> tuple[Floats, pd.Series]:
    """Every history cell as a number, and why a cell could not be read (None if it could)."""
    parsed = parse_numbers(history["raw"], decimal_comma=job.kpi.decimal_comma)
    value = parsed["value"].to_numpy(dtype=np.float64, copy=True)
    reason = parsed["error"]
    if "error" in history.columns:
        known = history["error"].notna()
        reason = history["error"].where(known, reason)
        value[known.to_numpy(dtype=bool)] = np.nan
    return value, reason


def _newest(
    code: Ints, pos: Ints, day: npt.NDArray[np.datetime64], rows: int, entries: int
) -> Ints:
    """Per KPI row, the position of its newest entry (latest day, then last in the frame).

    One key orders day then position, and a scatter-max finds each row's largest: no sort,
    no group-by. -1 for rows without entries.
    """
    key = day.astype(np.int64) * entries + pos
    best = np.full(rows, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(best, code, key)
    found = best != np.iinfo(np.int64).min
    return np.where(found, np.mod(best, entries), -1)


def _at(values: npt.NDArray[np.generic], positions: Ints) -> npt.NDArray[np.generic]:
    """``values[positions]`` with -1 meaning "none" (NaN or NaT)."""
    missing: np.generic = np.datetime64("NaT") if values.dtype.kind == "M" else np.float64(np.nan)
    picked = values[np.maximum(positions, 0)]
    return np.where(positions >= 0, picked, missing)


def _history_notes(unread: pd.DataFrame, reason: pd.Series, index: pd.Index) -> pd.Series:
    """``J5 (2026-11-09) 'abc': not a number`` per bad cell, at most a few per KPI row.

    ``unread`` holds the history entries that could not be read, ``reason`` says why.
    """
    bad = unread[unread["row"].isin(index)].assign(reason=reason)
    if bad.empty:
        return pd.Series(dtype=object)
    named = bad[bad.groupby("row").cumcount() < CELLS_PER_NOTE]
    tabs = named["tab"] if "tab" in named.columns else pd.Series(None, index=named.index)
    rows = named["src_row"].fillna(named["row"]) if "src_row" in named.columns else named["row"]
    days = named["date"].dt.strftime("%Y-%m-%d").fillna("")
    texts = [
        f"{_address(t, int(r), int(c), d)} {quoted(v)}: {e}"
        for t, r, c, d, v, e in zip(
            tabs, rows, named["col"], days, named["raw"], named["reason"], strict=True
        )
    ]
    notes = pd.Series(texts, index=named["row"].to_numpy(), dtype=object)
    notes = joined_per_row(notes)
    more = bad.groupby("row").size() - CELLS_PER_NOTE
    more = more[more > 0]
    notes.loc[more.index] = notes[more.index] + [f"; and {n} more unreadable cells" for n in more]
    return notes


def _address(tab: object, row: int, col: int, day: str) -> str:
    """Where a history cell is: ``J5 (2026-11-09)`` on the KPIs tab, ``'KPI log'!C17`` else."""
    if isinstance(tab, str) and tab:
        return "'" + tab.replace("'", "''") + "'!" + a1(row, col)
    return f"{a1(row, col)} ({day})" if day else a1(row, col)
