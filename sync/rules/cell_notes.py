"""A tab's columns as the rules read them, and notes naming the cell a person must fix.

The KPI and OKR rules read their tabs a column at a time; every cell they cannot read becomes
a note on its row (``Warning E5 'abc': not a number``), and a row with any note is an ERROR
whose note lists them in the order found (docs/kpi-rules.md and docs/okr-rules.md show them).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import numpy.typing as npt
import pandas as pd

from sync.a1 import a1
from sync.cells import parse_dates, parse_numbers
from sync.present import as_typed

EMPTY = "(empty)"
LONGEST = 40  # characters of a text cell quoted in full; longer ones are cut short


def column(frame: pd.DataFrame, column_id: str) -> pd.Series:
    """A column's raw cells by id, or an all-empty column when the tab lacks it."""
    if column_id in frame.columns:
        return frame[column_id]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def quoted(value: object) -> str:
    """A cell as a note quotes it: text in quotes (cut short if long), ``7`` not ``7.0``,
    a day without a midnight time, ``(empty)`` for an empty cell."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return EMPTY
    if isinstance(value, str):
        return repr(value if len(value) <= LONGEST else value[: LONGEST - 3] + "...")
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return as_typed(value)


@dataclass(frozen=True)
class Where:
    """Where a tab's columns are (1-based, by column id) and what their headers say."""

    positions: Mapping[str, int]
    headers: Mapping[str, str]

    def header(self, column_id: str) -> str:
        return self.headers.get(column_id, column_id)

    def cells(self, column_id: str, rows: pd.Index) -> list[str]:
        """``Warning E5`` on each of ``rows``; ``Warning row 5`` if the tab lacks the column."""
        pos, header = self.positions.get(column_id), self.header(column_id)
        if pos is None:
            return [f"{header} row {r}" for r in rows]
        return [f"{header} {a1(int(r), pos)}" for r in rows]


class CellNotes:
    """Why each row of a tab cannot be read, in the order found."""

    def __init__(self, index: pd.Index, where: Where) -> None:
        self.index, self.where = index, where
        self._parts: list[pd.Series] = []

    def add(self, notes: pd.Series) -> None:
        """Notes already worded, on the rows of their index."""
        if len(notes):
            self._parts.append(notes.astype(object))

    def cells(
        self,
        bad: pd.Series | npt.NDArray[np.bool_],
        column_id: str,
        why: str | pd.Series,
        raw: pd.Series | None,
    ) -> None:
        """``Warning E5 'abc': not a number`` on each row where ``bad`` holds (a Series, or an
        array over every row); ``why`` is one reason or one per row; ``raw`` the cells quoted."""
        if isinstance(bad, np.ndarray):
            rows = self.index[bad]
        else:
            rows = bad.index[bad.fillna(False).to_numpy(dtype=bool)]
        if rows.empty:
            return
        reasons = why.reindex(rows).tolist() if isinstance(why, pd.Series) else repeat(why)
        shown = repeat("") if raw is None else (" " + quoted(v) for v in raw.loc[rows])
        texts = [
            f"{cell}{value}: {reason}"
            for cell, value, reason in zip(
                self.where.cells(column_id, rows), shown, reasons, strict=False
            )
        ]
        self.add(pd.Series(texts, index=rows, dtype=object))

    def numbers(self, raw: pd.Series, column_id: str, *, decimal_comma: bool) -> pd.Series:
        """The column read as numbers (NaN if empty or unreadable), the unreadable noted."""
        parsed = parse_numbers(raw, decimal_comma=decimal_comma)
        self.cells(parsed["error"].notna(), column_id, parsed["error"], raw)
        return parsed["value"].astype("float64")

    def dates(self, raw: pd.Series, column_id: str) -> pd.Series:
        """The column read as dates (NaT if empty or unreadable), the unreadable noted."""
        parsed = parse_dates(raw)
        self.cells(parsed["error"].notna(), column_id, parsed["error"], raw)
        return parsed["value"]

    def joined(self) -> pd.Series:
        """Each row's notes joined with "; " ("" for a row that was read)."""
        empty = pd.Series([""] * len(self.index), index=self.index, dtype=object)
        if not self._parts:
            return empty
        found = pd.concat(self._parts)
        if not found.index.is_unique:
            found = joined_per_row(found)
        joined: pd.Series = found.reindex(self.index).fillna(empty).astype(object)
        return joined


def joined_per_row(notes: pd.Series) -> pd.Series:
    """Each row's notes joined with "; ", rows and notes in the order found.

    What ``notes.groupby(level=0, sort=False).agg("; ".join)`` gives, in one plain pass:
    pandas would make a Series per row to join, and a large sheet has thousands of such rows.
    """
    groups: dict[object, list[str]] = {}
    for row, text in zip(notes.index.tolist(), notes.tolist(), strict=True):
        groups.setdefault(row, []).append(text)
    return pd.Series(
        ["; ".join(texts) for texts in groups.values()],
        index=pd.Index(list(groups), dtype=notes.index.dtype),
        dtype=object,
    )
