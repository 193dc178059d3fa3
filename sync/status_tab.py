"""The Status tab: the page a manager opens on Monday morning (SPEC §4).

Rendered whole from the run's results as a plain grid: heading, counts, objectives
with a text progress bar and their key results beneath, KPIs worst first, then the
rows the sync could not read. The backend colours the status cells.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from sync.backends.base import Grid, OwnedTab, Row
from sync.rules import status as st
from sync.rules.kpi import fmt
from sync.rules.okr import Cycle, OkrResult

BAR_WIDTH = 10
FOCUS_OBJECTIVES, FOCUS_KRS, FOCUS_KPIS = 5, 5, 10


@dataclass(frozen=True)
class StatusPage:
    title: str
    now: str  # the run time, already formatted in the job's zone
    cycle: Cycle
    today: dt.date
    kpis: pd.DataFrame
    okrs: OkrResult
    problems: Sequence[str] = ()


def bar(progress: float) -> str:
    """``▓▓▓▓▓░░░░░ 52 %``: readable in any font, on any backend, without charts."""
    clamped = min(max(progress, 0.0), 1.0)
    filled = round(clamped * BAR_WIDTH)
    return "▓" * filled + "░" * (BAR_WIDTH - filled) + f" {progress:.0%}"


def render(page: StatusPage, name: str) -> OwnedTab:
    grid: Grid = [
        [f"metrics-sync — {page.title}"],
        ["Last run", page.now],
        ["Cycle", f"{page.cycle.start} to {page.cycle.end} "
                  f"(day {page.cycle.day_of(page.today)} of {page.cycle.days})"],
        ["KPIs", _counts(page.kpis["status"] if len(page.kpis) else pd.Series(dtype=object),
                         st.KPI_ORDER)],
        ["Objectives", _counts(page.okrs.objectives["status"], st.OKR_ORDER)],
        ["Key results", _counts(page.okrs.key_results["status"], st.OKR_ORDER)],
        [],
        *_objectives(page.okrs),
        [],
        *_kpis(page.kpis),
        [],
        *_problems(page),
    ]
    return OwnedTab(name, grid, st.COLOURS)


def _counts(statuses: pd.Series, order: tuple[str, ...]) -> str:
    counts = statuses.value_counts()
    return ", ".join(f"{counts[s]} {s}" for s in order if s in counts) or "none"


def _objectives(okrs: OkrResult) -> list[Row]:
    rows: list[Row] = [["Objective / key result", "Progress", "Expected", "Status", "Owner",
                        "Note"]]
    krs = okrs.key_results
    for obj in okrs.objectives.itertuples():
        rows.append([obj.objective, bar(obj.progress), f"{obj.expected:.0%}", obj.status, "",
                     obj.note])
        for kr in krs[krs["objective"] == obj.objective].itertuples():
            rows.append([f"    {kr.key_result}", bar(kr.progress), f"{kr.expected:.0%}",
                         kr.status, kr.owner, kr.note])
    return rows


def _kpis(kpis: pd.DataFrame) -> list[Row]:
    rows: list[Row] = [["KPI", "Current", "Change", "Status", "Owner", "Note"]]
    if kpis.empty:
        return rows
    order = kpis.assign(_rank=kpis["status"].map(lambda s: st.rank(st.KPI_ORDER, s)))
    for k in order.sort_values("_rank", kind="stable").itertuples():
        change = "" if pd.isna(k.change) else f"{k.change:+.1%}"
        rows.append([k.name, fmt(k.value, k.unit), change, k.status, k.owner, k.note])
    return rows


def _problems(page: StatusPage) -> list[Row]:
    rows: list[Row] = []
    k, krs, objs = page.kpis, page.okrs.key_results, page.okrs.objectives
    for r in k[k["status"] == st.ERROR].itertuples() if len(k) else ():
        rows.append([f"KPIs row {r.Index}", r.name, r.note])
    for r in krs[krs["status"] == st.ERROR].itertuples():
        rows.append([f"OKRs row {r.Index}", r.key_result, r.note])
    rows.extend([["Layout", p] for p in page.problems])
    if len(objs) > FOCUS_OBJECTIVES:
        rows.append(["Focus", f"{len(objs)} objectives: more than {FOCUS_OBJECTIVES} dilutes focus"])
    for o in objs[objs["count"] > FOCUS_KRS].itertuples():
        rows.append(["Focus", f"{o.objective!s}: {o.count} key results (at most {FOCUS_KRS} "
                              "keeps it measurable)"])
    if len(k) > FOCUS_KPIS:
        rows.append(["Focus", f"{len(k)} KPIs: the few that matter (about {FOCUS_KPIS}) are "
                              "easier to watch"])
    return [["Could not read / notes", "", ""], *rows] if rows else []
