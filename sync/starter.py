"""``metrics-sync init``: the KPIs and OKRs tabs, with their headers and two example rows each.

Only for a workbook that has neither tab yet: existing data is never touched. The headers
follow the config (renamed columns and tabs included), and the KPI history columns are the
last two Mondays, so a first run right after ``init`` has fresh data to look at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sync.backends import opened
from sync.backends.base import Workbook
from sync.config import KPI_COLUMNS, OKR_COLUMNS, Job
from sync.errors import WorkbookError
from sync.grid import Cell, Grid, OwnedTab

KPI_HEADERS = [c for c in KPI_COLUMNS if c != "current"]  # history goes in dated columns
KPI_EXAMPLES: list[list[Cell]] = [
    # KPI, Owner, Unit, Direction, Warning, Critical, Target, Max change %, Cadence, Mute until
    ["Weekly active users", "", "", "higher", 4000, 3500, 5000, 15, "weekly", None, 4200, 4310],
    ["p95 API latency", "", "ms", "lower", 300, 500, 250, 25, "weekly", None, 262, 248],
]
OKR_EXAMPLES: list[list[Cell]] = [
    # Objective, Key result, Owner, Start, Target, Current, Weight, Due, KPI, Confidence, Kind
    [
        "Make onboarding effortless",
        "Raise activation rate from 35% to 50%",
        "",
        0.35,
        0.5,
        0.41,
        1,
        None,
        "",
        "",
        "aspirational",
    ],
    [
        None,
        "Bring p95 API latency from 300 to 250 ms",
        "",
        300,
        250,
        None,
        1,
        None,
        "p95 API latency",
        "",
        "committed",
    ],
]


def starter_tabs(job: Job, today: dt.date) -> list[OwnedTab]:
    monday = today - dt.timedelta(days=today.weekday())
    weeks = [(monday - dt.timedelta(weeks=1)).isoformat(), monday.isoformat()]
    kpi_header: list[Cell] = [*(job.columns[c] for c in KPI_HEADERS), *weeks]
    okr_header: list[Cell] = [job.columns[c] for c in OKR_COLUMNS]
    kpis: Grid = [kpi_header, *map(list, KPI_EXAMPLES)]
    okrs: Grid = [okr_header, *map(list, OKR_EXAMPLES)]
    return [OwnedTab(job.tabs.kpis, kpis), OwnedTab(job.tabs.okrs, okrs)]


def init_workbook(job: Job, workbook: Workbook, today: dt.date) -> Sequence[str]:
    """Add the two tabs; ``WorkbookError`` (and nothing written) if either already exists."""
    tabs = [job.tabs.kpis, job.tabs.okrs]
    present = [t for t, grid in workbook.read(tabs).items() if grid is not None]
    if present:
        names = " and ".join(repr(t) for t in present)
        raise WorkbookError(
            f"{job.workbook.name}: the workbook already has {names}; init only sets up a "
            "workbook without them and never overwrites (run `metrics-sync check` instead)"
        )
    workbook.write([], starter_tabs(job, today))
    return tabs


def init(job: Job, today: dt.date) -> str:
    """``metrics-sync init`` for one workbook; what it did, in words. An .xlsx path with no
    file yet gets a new file holding just the two tabs."""
    path = job.workbook.path
    if job.workbook.backend == "xlsx" and path is not None and not path.exists():
        from sync.backends.xlsx import create_workbook  # openpyxl: only for .xlsx

        create_workbook(path, starter_tabs(job, today))
        return f"created {path} holding the tabs {job.tabs.kpis!r} and {job.tabs.okrs!r}"
    with opened(job.workbook) as workbook:
        added = init_workbook(job, workbook, today)
    return f"added the tabs {' and '.join(map(repr, added))}"
