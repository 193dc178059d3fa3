"""The key results' history, kept by the sync on a tab it owns (``KR history``).

Each run merges today's figures into the rows it read: at most one row per key result per
day, and only when something changed since its previous row. The result depends only on
the rows read and today's figures, and it is written whole, so a rerun or a run killed
before its write leaves no duplicate. Pure: ``today`` is passed in. docs/okr-rules.md,
"History and forecast", says the same for users.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from typing import Final

import numpy as np
import pandas as pd

from sync.cells import name_key, parse_dates, parse_numbers
from sync.grid import Cell, Grid, Row
from sync.rules import status as st

HEADER: Final = ("Date", "Objective", "Key result", "Current", "Progress", "Status")
COLUMNS: Final = ("date", "objective", "key_result", "current", "progress", "status")
_SAME: Final = 1e-9  # figures closer than this are unchanged


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_DTYPES[c]) for c in COLUMNS})  # type: ignore[call-overload]


_DTYPES: Final = {
    "date": "datetime64[ns]",
    "objective": object,
    "key_result": object,
    "current": "float64",
    "progress": "float64",
    "status": object,
}


def read_history(grid: Grid | None) -> pd.DataFrame:
    """The rows of the tab as read, oldest first; rows without a readable date, key result
    or current value are dropped (the tab is the sync's: nobody needs to keep it tidy), and
    of two rows for one key result on one day the later one is kept."""
    body = [list(r) + [None] * (len(HEADER) - len(r)) for r in (grid or [])[1:]]
    if not body:
        return empty()
    raw = pd.DataFrame([r[: len(HEADER)] for r in body], columns=list(COLUMNS), dtype=object)
    frame = pd.DataFrame(
        {
            "date": parse_dates(raw["date"])["value"].dt.normalize(),
            "objective": raw["objective"].map(_text),
            "key_result": raw["key_result"].map(_text),
            "current": parse_numbers(raw["current"])["value"].astype("float64"),
            "progress": parse_numbers(raw["progress"])["value"].astype("float64"),
            "status": raw["status"].map(_text),
        }
    )
    keep = frame["date"].notna() & (frame["key_result"] != "") & frame["current"].notna()
    frame = frame[keep]
    keys = _keys(frame)
    last = ~pd.Series(list(zip(frame["date"], keys, strict=True))).duplicated(keep="last")
    return frame[last.to_numpy()].reset_index(drop=True)


def today_rows(key_results: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """What a run records for each key result: its current value, progress and status.
    ERROR rows and key results with no current value yet have nothing to record."""
    krs = key_results
    if krs.empty:
        return empty()
    use = (krs["status"] != st.ERROR) & np.isfinite(krs["value"].to_numpy(dtype=np.float64))
    krs = krs[use]
    return pd.DataFrame(
        {
            "date": pd.Series(pd.Timestamp(today), index=krs.index, dtype="datetime64[ns]"),
            "objective": krs["objective"],
            "key_result": krs["key_result"],
            "current": krs["value"].astype("float64"),
            "progress": krs["progress"].astype("float64").round(4),
            "status": krs["status"],
        }
    ).reset_index(drop=True)


def merge(history: pd.DataFrame, today: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """``history`` with ``today``'s rows (all dated ``day``) in: a key result's row for
    ``day`` is replaced by today's figures, or dropped when they equal its previous row.

    Idempotent: merging the same figures again gives the same rows in the same order."""
    stamp = pd.Timestamp(day)
    keys, fresh_keys = _keys(history), _keys(today)
    redone = (history["date"] == stamp) & keys.isin(set(fresh_keys)).to_numpy()
    kept = history[~redone.to_numpy()]
    before = kept[(kept["date"] < stamp).to_numpy()]
    previous = dict(zip(_keys(before), before.to_dict("records"), strict=True))
    changed = [
        k not in previous or _differs(previous[k], r)
        for k, r in zip(fresh_keys, today.to_dict("records"), strict=True)
    ]
    parts = [f for f in (kept, today[np.array(changed, dtype=bool)]) if not f.empty]
    out = pd.concat(parts, ignore_index=True) if parts else empty()
    return out.sort_values("date", kind="stable").reset_index(drop=True)


def to_grid(history: pd.DataFrame) -> Grid:
    """The tab as written: the header, then one row per record, dates as dates."""
    rows: Grid = [list(HEADER)]
    for r in history.to_dict("records"):
        row: Row = [
            r["date"].date(),
            r["objective"],
            r["key_result"],
            _number(r["current"]),
            _number(r["progress"]),
            r["status"],
        ]
        rows.append(row)
    return rows


def key_of(objective: str, key_result: str) -> str:
    """A key result's identity across runs: its objective and text, case and spaces aside."""
    return f"{name_key(objective)}\x1f{name_key(key_result)}"


def _keys(frame: pd.DataFrame) -> pd.Series:
    if frame.empty:
        return pd.Series([], dtype=object)
    return pd.Series(
        [key_of(o, k) for o, k in zip(frame["objective"], frame["key_result"], strict=True)],
        dtype=object,
    )


def _differs(old: Mapping[Hashable, object], new: Mapping[Hashable, object]) -> bool:
    if old["status"] != new["status"]:
        return True
    return any(not _same(old[c], new[c]) for c in ("current", "progress"))


def _same(a: object, b: object) -> bool:
    x, y = float(a), float(b)  # type: ignore[arg-type]
    return (np.isnan(x) and np.isnan(y)) or abs(x - y) <= _SAME * max(1.0, abs(x), abs(y))


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _number(value: float) -> Cell:
    return None if np.isnan(value) else float(value)
