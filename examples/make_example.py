"""Writes examples/team-metrics.xlsx: the bundled workbook `make demo` runs on.

A realistic team sheet as people keep it: KPIs in the wide layout (a column per
week, real date cells), a user column of comments, a text cell with a currency, a
gap in a history; on the OKRs tab, objectives merged down the rows of their key
results, a blank row between objectives, a user column (Team) among the known ones,
milestones as text (Done) and as a checkbox, a key result that takes its value from
a KPI and one that keeps a KPI at its target.
Run it again to regenerate the file: ``python examples/make_example.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

WEEKS = [dt.date(2026, 9, 21) + dt.timedelta(weeks=i) for i in range(10)]  # to 2026-11-23
HEAD = [
    "KPI",
    "Owner",
    "Unit",
    "Direction",
    "Warning",
    "Critical",
    "Target",
    "Max change %",
    "Cadence",
    "Mute until",
    "Comments",
]

KPIS: list[tuple[list[object], list[object]]] = [
    (
        [
            "Weekly active users",
            "maria@example.com",
            "",
            "higher",
            4000,
            3500,
            5000,
            15,
            "weekly",
            None,
            "Product analytics, Monday export",
        ],
        [4210, 4260, 4315, 4390, 4420, 4505, 4560, 4610, 4700, 4785],
    ),
    (
        [
            "Qualified leads",
            "sam@example.com, growth@example.com",
            "",
            "",
            500,
            450,
            600,
            15,
            "weekly",
            None,
            "From the CRM",
        ],
        [505, 520, 498, 530, 541, 515, 522, 509, 500, 412],
    ),
    (
        [
            "Churn rate",
            "maria@example.com",
            "%",
            "lower",
            0.03,
            0.05,
            0.02,
            None,
            "monthly",
            None,
            "",
        ],
        [None, None, None, 0.024, None, None, None, 0.029, None, 0.034],
    ),
    (
        [
            "p95 API latency",
            "ops@example.com",
            "ms",
            "lower",
            300,
            500,
            250,
            25,
            "weekly",
            None,
            "Grafana",
        ],
        [262, 255, 270, 248, 251, 246, 240, 238, 244, 240],
    ),
    (
        ["NPS", "maria@example.com", "", "higher", 30, 20, 45, None, "monthly", None, ""],
        [None, 36, None, None, None, 38, None, None, None, 41],
    ),
    (
        [
            "Support first response",
            "support@example.com",
            "h",
            "lower",
            4,
            8,
            2,
            None,
            "weekly",
            None,
            "Median, business hours",
        ],
        [3.2, 3.5, 3.1, 3.8, 3.6, 4.1, 4.4, 4.9, 5.2, 5.5],
    ),
    (
        [
            "MRR",
            "finance@example.com",
            "$",
            "higher",
            180000,
            160000,
            220000,
            10,
            "weekly",
            None,
            "Stripe",
        ],
        [188000, 191500, 193000, 195200, 197800, 199100, 201000, 203400, 204100, "$205,300"],
    ),
    (
        [
            "Deploys per week",
            "ops@example.com",
            "",
            "",
            None,
            None,
            None,
            None,
            "weekly",
            None,
            "Just watching this one",
        ],
        [14, 17, 12, 19, 21, 18, 16, 22, 20, 23],
    ),
    (
        [
            "Trial-to-paid conversion",
            "sam@example.com",
            "%",
            "higher",
            0.08,
            0.05,
            0.1,
            None,
            "weekly",
            None,
            "Data pipeline broke in October",
        ],
        [0.091, 0.088, 0.094, 0.09, 0.087, None, None, None, None, None],
    ),
    (
        [
            "Uptime",
            "ops@example.com",
            "%",
            "higher",
            0.999,
            0.995,
            0.9995,
            None,
            "weekly",
            None,
            "",
        ],
        [0.9997, 0.9999, 0.9992, 0.9998, 0.9996, 0.9999, 0.9997, 0.9995, 0.9998, 0.9996],
    ),
    (
        ["Open P1 bugs", "eng-leads@example.com", "", "lower", 3, 5, 0, None, "weekly", None, ""],
        [9, 8, 8, 6, 5, 5, 4, 3, 3, 2],
    ),
    (
        [
            "Cost per lead",
            "growth@example.com",
            "$",
            "lower",
            60,
            80,
            45,
            30,
            "weekly",
            dt.date(2026, 12, 1),
            "Muted while the new campaign ramps up",
        ],
        [52, 54, "n/a", 57, 55, 58, 61, 59, 63, 66],
    ),
    (
        [
            "Partner-sourced pipeline",
            "sam@example.com",
            "$",
            "higher",
            50000,
            30000,
            None,
            None,
            "monthly",
            None,
            "New this quarter, no figure yet",
        ],
        [],
    ),
]

OKR_HEAD = [
    "Objective",
    "Key result",
    "Owner",
    "Team",
    "Start",
    "Target",
    "Current",
    "Weight",
    "Due",
    "KPI",
    "Kind",
    "Confidence",
    "Notes",
]
OKRS: list[list[object]] = [  # [] is a blank row: people leave gaps between objectives
    [
        "Make onboarding effortless",
        "Raise activation rate from 35 % to 50 %",
        "maria@example.com",
        "Product",
        0.35,
        0.5,
        0.44,
        2,
        None,
        "",
        "aspirational",
        "7/10",
        "",
    ],
    [
        None,
        "Cut time to first dashboard from 30 to 10 minutes",
        "maria@example.com",
        "Product",
        30,
        10,
        22,
        1,
        None,
        "",
        "aspirational",
        "6/10",
        "",
    ],
    [
        None,
        "Ship the guided setup wizard",
        "dev@example.com",
        "Engineering",
        None,
        "Done",
        "Done",
        1,
        None,
        "",
        "committed",
        "",
        "Shipped Nov 12",
    ],
    [],
    [
        "Grow a predictable pipeline",
        "Qualified leads per week from 400 to 600",
        "sam@example.com",
        "Sales",
        400,
        600,
        None,
        2,
        None,
        "Qualified leads",
        "committed",
        "4/10",
        "Current comes from the KPI",
    ],
    [
        None,
        "Close 12 new enterprise deals",
        "sam@example.com",
        "Sales",
        0,
        12,
        5,
        1,
        None,
        "",
        "committed",
        "5/10",
        "",
    ],
    [
        None,
        "Launch the partner referral program",
        "sam@example.com",
        "Sales",
        None,
        True,
        True,
        1,
        dt.date(2026, 11, 20),
        "",
        "aspirational",
        "",
        "A checkbox",
    ],
    [],
    [
        "Be the most reliable tool in our category",
        "Keep uptime at 99.95 %",
        "ops@example.com",
        "Engineering",
        0.9995,
        0.9995,
        None,
        1,
        None,
        "Uptime",
        "committed",
        "9/10",
        "",
    ],
    [
        None,
        "Bring p95 API latency from 400 to 250 ms",
        "ops@example.com",
        "Engineering",
        400,
        250,
        240,
        1,
        None,
        "",
        "aspirational",
        "8/10",
        "",
    ],
    [
        None,
        "No open P1 bugs by December 15",
        "eng-leads@example.com",
        "Engineering",
        9,
        0,
        2,
        1,
        dt.date(2026, 12, 15),
        "",
        "committed",
        "7/10",
        "",
    ],
    [],
    [
        "Grow a team people want to join",
        "Hire 4 engineers",
        "eng-leads@example.com",
        "People",
        0,
        4,
        1,
        2,
        None,
        "",
        "aspirational",
        "5/10",
        "",
    ],
    [
        None,
        "Publish 6 engineering blog posts",
        "dev@example.com",
        "Engineering",
        0,
        6,
        0,
        1,
        None,
        "",
        "aspirational",
        "3/10",
        "Nobody has time",
    ],
]


# The KR history tab as eight weekly runs (Mondays, Oct 5 to Nov 23) would have left it: a row
# only when a key result's value or status changed. Statuses as the rules gave them then.
HISTORY_WEEKS = [dt.date(2026, 10, 5) + dt.timedelta(weeks=i) for i in range(8)]
KR_HISTORY: list[tuple[str, str, float, float, float, str, list[float]]] = [
    # objective, key result, start, target, pace, kind, one value per week
    (
        "Make onboarding effortless",
        "Raise activation rate from 35 % to 50 %",
        0.35,
        0.5,
        0.7,
        "aspirational",
        [0.36, 0.37, 0.385, 0.39, 0.405, 0.42, 0.43, 0.44],
    ),
    (
        "Make onboarding effortless",
        "Cut time to first dashboard from 30 to 10 minutes",
        30,
        10,
        0.7,
        "aspirational",
        [30, 29, 28, 27, 26, 25, 23, 22],
    ),
    (
        "Make onboarding effortless",
        "Ship the guided setup wizard",
        0,
        1,
        1.0,
        "committed",
        [0, 0, 0, 0, 0, 0, 1, 1],  # a milestone: 0 until shipped on Nov 12
    ),
    (
        "Grow a predictable pipeline",
        "Launch the partner referral program",
        0,
        1,
        0.7,
        "aspirational",
        [0, 0, 0, 0, 0, 0, 1, 1],
    ),
    (
        "Be the most reliable tool in our category",
        "Bring p95 API latency from 400 to 250 ms",
        400,
        250,
        0.7,
        "aspirational",
        [395, 380, 350, 330, 300, 280, 255, 240],
    ),
    (
        "Grow a team people want to join",
        "Publish 6 engineering blog posts",
        0,
        6,
        0.7,
        "aspirational",
        [0, 0, 0, 0, 0, 0, 0, 0],
    ),
    (
        "Grow a predictable pipeline",
        "Close 12 new enterprise deals",
        0,
        12,
        1.0,
        "committed",
        [0, 1, 1, 2, 3, 3, 4, 5],
    ),
    (
        "Be the most reliable tool in our category",
        "No open P1 bugs by December 15",
        9,
        0,
        1.0,
        "committed",
        [9, 8, 8, 7, 5, 4, 3, 2],
    ),
    (
        "Grow a team people want to join",
        "Hire 4 engineers",
        0,
        4,
        0.7,
        "aspirational",
        [0, 0, 0, 1, 1, 1, 1, 1],
    ),
]


def history_rows() -> list[list[object]]:
    """One row per key result per week its value or status changed, oldest first."""
    rows: list[list[object]] = []
    last: dict[str, tuple[float, str]] = {}
    for week, day in enumerate(HISTORY_WEEKS):
        for objective, kr, start, target, pace, _, values in KR_HISTORY:
            progress = round((values[week] - start) / (target - start), 4)
            elapsed = ((day - dt.date(2026, 10, 1)).days + 8 / 24) / 92
            status = _status(progress, elapsed * pace)
            if last.get(kr) != (values[week], status):
                rows.append([day, objective, kr, values[week], progress, status])
                last[kr] = (values[week], status)
    return sorted(rows, key=lambda r: r[0])  # type: ignore[arg-type, return-value]


def _status(progress: float, expected: float) -> str:
    """The OKR rule with its default margins (docs/okr-rules.md)."""
    if progress >= 1:
        return "DONE"
    if progress >= expected - 0.10:
        return "ON TRACK"
    return "AT RISK" if progress >= expected - 0.25 else "OFF TRACK"


def build(path: Path) -> None:
    book = Workbook()
    kpis = book.active
    assert kpis is not None
    kpis.title = "KPIs"
    kpis.append([*HEAD, *WEEKS])
    for attrs, values in KPIS:
        kpis.append([*attrs, *values])
    for cell in kpis[1]:
        cell.font = Font(bold=True)
        if isinstance(cell.value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    okrs = book.create_sheet("OKRs")
    okrs.append(OKR_HEAD)
    for row in OKRS:
        okrs.append(row)
    for cell in okrs[1]:
        cell.font = Font(bold=True)
    _merge_objectives(okrs)
    due = OKR_HEAD.index("Due") + 1
    for row in okrs.iter_rows(min_row=2, min_col=due, max_col=due):
        row[0].number_format = "yyyy-mm-dd"
    history = book.create_sheet("KR history")
    history.append(["Date", "Objective", "Key result", "Current", "Progress", "Status"])
    for row in history_rows():
        history.append(row)
        history.cell(row=history.max_row, column=1).number_format = "yyyy-mm-dd"
    book.save(path)


def _merge_objectives(ws: object) -> None:
    """Objectives merged down their key results (not the blank row after), as people do."""
    rows = dict(enumerate(OKRS, start=2))  # sheet row -> its cells
    for first in [r for r, cells in rows.items() if cells and cells[0]]:
        last = first
        while rows.get(last + 1) and not rows[last + 1][0]:
            last += 1
        if last > first:
            ws.merge_cells(start_row=first, start_column=1, end_row=last, end_column=1)  # type: ignore[attr-defined]
        ws.cell(row=first, column=1).alignment = Alignment(vertical="top", wrap_text=True)  # type: ignore[attr-defined]


if __name__ == "__main__":
    build(Path(__file__).with_name("team-metrics.xlsx"))
