"""The Status tab: the page a manager opens on Monday morning, rendered whole as a plain grid.

Heading, counts, objectives with their key results, KPIs worst first, unreadable rows; every
table keeps the same columns so status cells line up in column B (notes in G, in H for
objectives, whose table adds Forecast) (docs/okr-rules.md, "The
Status tab"). Built from whole columns: 10,000 KPIs render in well under a second.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sync.display import NOTE_LIMIT, TEXT_LIMIT, shown
from sync.grid import Cell, Grid, OwnedTab, Row
from sync.present import bar, fmt, percent, percent_change
from sync.rules import status as st
from sync.rules.okr import Cycle, OkrResult

FOCUS_OBJECTIVES, FOCUS_KRS, FOCUS_KPIS = 5, 5, 10
INDENT = "    "  # key results sit beneath their objective
NOTE_COLUMN = 6  # G: the notes of every table but the objectives' (H), always the last cell


@dataclass(frozen=True)
class StatusPage:
    title: str  # "" for the plain heading "metrics-sync status" (a run: no title request)
    now: str  # the run time, already formatted in the job's zone
    cycle: Cycle
    today: dt.date
    kpis: pd.DataFrame
    okrs: OkrResult
    problems: Sequence[str] = ()
    kpi_tab: str = "KPIs"  # for "where" in the rows it could not read
    okr_tab: str = "OKRs"
    # Rows other parts of the run keep here, after the counts (e.g. "Last weekly digest",
    # sync/digest.py, which finds its row by its label when the tab is read back).
    extra: Sequence[Row] = ()
    # Rows at the foot, found the same way: what the run knows of the workbook's title and
    # tabs (sync/tab_memory.py).
    footer: Sequence[Row] = ()


def render(page: StatusPage, name: str) -> OwnedTab:
    grid: Grid = [
        *_heading(page),
        *_focus(page),
        [],
        *_objectives(page.okrs),
        [],
        *_kpis(page.kpis),
        [],
        *_unreadable(page),
        *([[], *page.footer] if page.footer else []),
    ]
    return OwnedTab(name, [_shown(row) for row in grid], st.COLOURS)


def _shown(row: Row) -> Row:
    """Sheet text as people read it here: bounded, no control or bidi characters
    (sync/display.py); notes, the last cell from column G on, may be longer than names."""
    last = len(row) - 1
    return [
        shown(c, NOTE_LIMIT if i == last and i >= NOTE_COLUMN else TEXT_LIMIT)
        if isinstance(c, str)
        else c
        for i, c in enumerate(row)
    ]


def _heading(page: StatusPage) -> list[Row]:
    okrs = page.okrs
    return [
        [f"metrics-sync — {page.title}" if page.title else "metrics-sync status"],
        ["Last run", page.now],
        ["Cycle", _cycle(page.cycle, page.today)],
        ["Objectives", _counts(okrs.objectives, st.OKR_ORDER)],
        ["Key results", _counts(okrs.key_results, st.OKR_ORDER)],
        ["KPIs", _counts(page.kpis, st.KPI_ORDER)],
        *page.extra,
    ]


def _cycle(cycle: Cycle, today: dt.date) -> str:
    span = f"{cycle.start} to {cycle.end}"
    if cycle.ended(today):
        return f"{span}, ended: final scores"
    if today < cycle.start:
        days = (cycle.start - today).days
        return f"{span}, starts in {days} day{'s' if days != 1 else ''}"
    return f"{span}, day {cycle.day_of(today)} of {cycle.days}"


def _counts(frame: pd.DataFrame, order: tuple[str, ...]) -> str:
    if "status" not in frame or frame.empty:
        return "none"
    counts = frame["status"].value_counts()
    return ", ".join(f"{counts[s]} {s}" for s in order if s in counts) or "none"


def _focus(page: StatusPage) -> list[Row]:
    """Focus lint: a few objectives, a few key results each, the KPIs that matter."""
    objs, rows = page.okrs.objectives, []
    if len(objs) > FOCUS_OBJECTIVES:
        rows.append(f"{len(objs)} objectives: more than {FOCUS_OBJECTIVES} dilutes focus")
    for o in objs[objs["count"] > FOCUS_KRS].to_dict("records") if len(objs) else ():
        rows.append(
            f"{o['objective']}: {o['count']} key results (at most {FOCUS_KRS} keeps it measurable)"
        )
    if len(page.kpis) > FOCUS_KPIS:
        rows.append(
            f"{len(page.kpis)} KPIs: more than {FOCUS_KPIS} is hard to watch; keep the "
            "few that drive decisions"
        )
    return [["Focus", text] for text in rows]


def _objectives(okrs: OkrResult) -> list[Row]:
    last = "Score" if okrs.ended else "Expected"
    head: Row = ["Objective / key result", "Status", "Progress", last, "Forecast"]
    rows: list[Row] = [[*head, "Confidence", "Owner", "Note"]]
    krs = okrs.key_results
    beneath: dict[str, list[Row]] = {}
    if len(krs):
        names = INDENT + krs["key_result"].replace("", "(unnamed)")
        cells = zip(
            krs["objective"],
            names,
            krs["status"],
            krs["progress"].map(bar),
            _last(krs, okrs.ended),
            _forecast(krs, okrs.ended),
            krs["confidence"],
            krs["owner"],
            krs["note"],
            strict=True,
        )
        for objective, *row in cells:
            beneath.setdefault(objective, []).append(row)
    objs = okrs.objectives
    if objs.empty:
        return [*rows, ["(no key results on the OKRs tab)"]]
    for objective, status, progress, figure, ahead, note in zip(
        objs["objective"],
        objs["status"],
        objs["progress"].map(bar),
        _last(objs, okrs.ended),
        _forecast(objs, okrs.ended),
        objs["note"],
        strict=True,
    ):
        rows.append([])  # a gap before each objective: it reads as a group (bold on .xlsx)
        rows.append([objective, status, progress, figure, ahead, "", "", note])
        rows.extend(beneath.get(objective, []))
    return rows


def _last(frame: pd.DataFrame, ended: bool) -> pd.Series:
    """Expected progress while the cycle runs; the final score (0.0-1.0) after it."""
    if ended:
        return frame["score"].map(lambda s: "" if pd.isna(s) else f"{s:.1f}")
    return frame["expected"].map(percent)


def _forecast(frame: pd.DataFrame, ended: bool) -> pd.Series:
    """The projected progress at the due date while the cycle runs ("" for none)."""
    if ended or "forecast" not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    return frame["forecast"].map(percent)


def _kpis(kpis: pd.DataFrame) -> list[Row]:
    rows: list[Row] = [["KPI", "Status", "Current", "Change", "Target", "Owner", "Note"]]
    if kpis.empty:
        return [*rows, ["(no KPIs on the KPIs tab)"]]
    rank = {s: i for i, s in enumerate(st.KPI_ORDER)}
    k = kpis.assign(_rank=kpis["status"].map(rank).fillna(len(rank))).sort_values(
        "_rank", kind="stable"
    )
    units = k["unit"].tolist()
    current = [fmt(v, u) for v, u in zip(k["value"].tolist(), units, strict=True)]
    target = [fmt(v, u) for v, u in zip(k["target"].tolist(), units, strict=True)]
    change = ["" if math.isnan(c) else percent_change(c) for c in k["change"].tolist()]
    columns = [k[c].tolist() for c in ("name", "status", "owner", "note")]  # not item by item
    rows.extend(
        [
            [n, s, c, ch, t, o, note]
            for n, s, c, ch, t, o, note in zip(
                columns[0], columns[1], current, change, target, columns[2], columns[3], strict=True
            )
        ]
    )
    return rows


def _unreadable(page: StatusPage) -> list[Row]:
    """Every ERROR row, where it is and why, then the layout problems."""
    head: Row = ["Could not read", "Status", "Where", "", "", "", "Why"]
    k, krs = page.kpis, page.okrs.key_results
    rows: list[Row] = []
    if len(k):
        bad = k[k["status"] == st.ERROR]
        rows.extend(_where(bad["name"], page.kpi_tab, bad))
    if len(krs):
        bad = krs[krs["status"] == st.ERROR]
        names = np.where(bad["objective"] != "", bad["objective"] + " › ", "") + bad[
            "key_result"
        ].replace("", "(unnamed)")
        rows.extend(_where(pd.Series(names, index=bad.index), page.okr_tab, bad))
    rows.extend(["Layout", "", "", "", "", "", problem] for problem in page.problems)
    return [head, *(rows or [["nothing: every row was read"]])]


def _where(names: pd.Series, tab: str, bad: pd.DataFrame) -> list[Row]:
    cells: list[tuple[Any, ...]] = list(zip(names, bad.index, bad["note"], strict=True))
    return [
        _cells(name, st.ERROR, f"{tab} row {row}", "", "", "", note) for name, row, note in cells
    ]


def _cells(*values: Cell) -> Row:
    return list(values)
