"""Is a column that bears one of the sync's names the sync's own, or the team's?

A team's sheet may already have a ``Status`` (``On Track``), a ``Progress`` formula or a
``Note`` column. A row is *marked* when its ``Status`` holds a status word as the sync spells
it (capitals) or its ``Checked`` a time. The sync writes a column only when every value in it
is the sync's: anything on a marked row (a cell typed over there is reset, with a note, never
a reason to stop the workbook), and on other rows ``Status`` a status word, ``Last alert``
starting with one, ``Since`` and ``Checked`` a time; ``Forecast`` (newer, so a team may
have one of its own) only a number on a marked row. Values alone decide, so every backend
agrees. README, "Your columns stay yours", says the same to users.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sync.a1 import column_letter
from sync.frames import Sheet, blank_mask
from sync.rules import status as st
from sync.stamps import parse_stamps

_ISO = re.compile(r"\A\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\b")  # a stamp's shape, even out of range
WORDS = frozenset({*st.KPI_ORDER, *st.OKR_ORDER})
_TIMES = ("since", "checked")
_BY_ROW = ("progress", "expected", "note")  # ours on rows the sync marked, whatever they hold
_NUMBER_BY_ROW = ("forecast",)  # ours on rows the sync marked, if a number


@dataclass(frozen=True)
class Foreign:
    """A column with one of the sync's names holding a value the sync did not write."""

    tab: str
    column_id: str
    header: str
    col: int
    row: int
    value: object

    def what(self) -> str:
        return (
            f"tab {self.tab!r} column {column_letter(self.col)} {self.header!r} is the team's, "
            f"not the sync's: it holds {self.value!r} (row {self.row}), which the sync never "
            "writes, so the sync writes nothing"
        )

    def fix(self, kind: str) -> str:
        return (
            f"name the sync's own column otherwise: [columns.{kind}] {self.column_id} = "
            f'"Sync {self.header.lower()}" (a new column, created beside yours)'
        )

    def sentence(self, kind: str) -> str:
        return f"{self.what()}; {self.fix(kind)}"


def foreign_columns(
    sheet: Sheet, owned: Sequence[str], headers: Mapping[str, str], tz: zoneinfo.ZoneInfo
) -> list[Foreign]:
    """The sync's columns on ``sheet`` (found by name) that hold the team's own values."""
    rows = sheet.rows
    if not len(rows):
        return []
    marked = pd.Series(False, index=rows.index)
    for cid in ("status", "checked"):  # either marks a row the sync has written
        if cid in sheet.positions and cid in rows:
            marked |= _ours(cid, rows[cid], tz) & _filled(rows[cid])
    found = []
    for cid in owned:
        if cid not in sheet.positions or cid not in rows:
            continue
        values = rows[cid]
        filled = _filled(values)
        ours = marked if cid in _BY_ROW else _ours(cid, values, tz) | marked
        if cid in _NUMBER_BY_ROW:
            ours = marked & values.map(_is_number)
        bad = filled & ~ours
        if bad.any():
            row = bad.index[bad.to_numpy()][0]
            found.append(
                Foreign(sheet.tab, cid, headers[cid], sheet.positions[cid], int(row), values[row])
            )
    return found


def _ours(cid: str, values: pd.Series, tz: zoneinfo.ZoneInfo) -> pd.Series:
    """Which cells hold what the sync writes, judged once per distinct value (a column of a
    run's stamps holds one or two)."""
    distinct = pd.Series(pd.unique(values.to_numpy(dtype=object)), dtype=object)
    verdict = dict(zip(distinct.tolist(), _judge(cid, distinct, tz).tolist(), strict=True))
    return values.map(verdict).eq(True)


def _judge(cid: str, values: pd.Series, tz: zoneinfo.ZoneInfo) -> pd.Series:
    if cid == "status":
        return _status_ours(values)
    if cid == "last_alert":
        return values.map(lambda v: isinstance(v, str) and v.strip().startswith(tuple(WORDS)))
    if cid in _TIMES:
        iso = values.map(lambda v: isinstance(v, dt.date) or bool(_ISO.match(str(v))))
        text = values.map(lambda v: isinstance(v, str))
        return iso | (text & parse_stamps(values.where(text, ""), tz).notna())
    return pd.Series(True, index=values.index)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _status_ours(values: pd.Series) -> pd.Series:
    return values.map(lambda v: isinstance(v, str) and v.strip() in WORDS)


def _filled(values: pd.Series) -> pd.Series:
    """Cells holding something: not empty, not NaN, not blank text (whitespace only)."""
    cells = values.to_numpy(dtype=object)
    filled = ~blank_mask(cells)
    text = np.fromiter((isinstance(c, str) for c in cells), dtype=bool, count=len(cells))
    spaces = {t for t in pd.unique(cells[text]) if not t.strip()}  # judged once per text
    if spaces:
        filled[text] = ~pd.Series(cells[text], dtype=object).isin(spaces).to_numpy(dtype=bool)
    return pd.Series(filled, index=values.index)
