"""The Status tab: what a manager reads on Monday morning, and how .xlsx shows it.

Pages are rendered from results the rules compute on small frames built here; the .xlsx
tests write a real workbook and read it back with openpyxl.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from sync.backends.xlsx import FILLS, XlsxWorkbook
from sync.config import OKR_COLUMNS, Job, OkrConfig, WorkbookConfig
from sync.grid import Cell, Grid, OwnedTab, Row
from sync.present import bar
from sync.rules import status as st
from sync.rules.okr import OkrResult, cycle_for, evaluate_okrs
from sync.status_tab import StatusPage, render

UTC = dt.UTC
JOB = Job(
    workbook=WorkbookConfig(backend="xlsx"),
    okr=OkrConfig(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)),
)
NOW = dt.datetime(2026, 11, 26, 8, tzinfo=UTC)  # day 57 of 92
POSITIONS = {cid: i for i, cid in enumerate(OKR_COLUMNS, start=1)}

KEY_RESULTS: list[dict[str, Any]] = [
    {
        "objective": "Make onboarding effortless",
        "key_result": "Raise activation to 50 %",
        "owner": "maria@example.com",
        "start": 0.35,
        "target": 0.5,
        "current": 0.44,
        "confidence": "7/10",
        "weight": 2,
    },
    {
        "key_result": "Ship the setup wizard",
        "owner": "dev@example.com",
        "target": "Done",
        "current": "Done",
        "kind": "committed",
    },
    {
        "objective": "Grow a predictable pipeline",
        "key_result": "Close 12 deals",
        "owner": "sam@example.com",
        "start": 0,
        "target": 12,
        "current": 5,
        "kind": "committed",
    },
    {
        "key_result": "Launch the partner program",
        "target": "Done",
        "current": "No",
        "kind": "committed",
    },
    {"key_result": "Publish 6 posts", "start": 0, "target": 6, "current": "a few"},
]


def okr_result(
    rows: Sequence[Mapping[str, Any]] = KEY_RESULTS, now: dt.datetime = NOW
) -> OkrResult:
    frame = pd.DataFrame(list(rows), index=pd.RangeIndex(2, len(rows) + 2), dtype=object)
    frame = frame.where(frame.notna(), None)
    return evaluate_okrs(frame, {}, now, JOB, POSITIONS)


def kpi_frame(*rows: Mapping[str, Any]) -> pd.DataFrame:
    """KPI results as the KPI rules return them (only the columns the tab reads)."""
    defaults = {
        "owner": "",
        "unit": "",
        "value": np.nan,
        "change": np.nan,
        "target": np.nan,
        "note": "",
    }
    return pd.DataFrame([{**defaults, **r} for r in rows], index=pd.RangeIndex(2, len(rows) + 2))


KPIS = kpi_frame(
    {"name": "Weekly active users", "status": st.OK, "value": 4785, "change": 0.018},
    {
        "name": "Churn rate",
        "status": st.WARNING,
        "unit": "%",
        "value": 0.034,
        "change": 0.172,
        "target": 0.02,
        "note": "3.4 % > warning 3 %",
    },
    {"name": "MRR", "status": st.ERROR, "unit": "$", "note": "Warning E4 'lots': not a number"},
    {
        "name": "Qualified leads",
        "status": st.CRITICAL,
        "value": 412,
        "change": -0.176,
        "owner": "sam@example.com",
    },
)


def page(
    kpis: pd.DataFrame = KPIS,
    okrs: OkrResult | None = None,
    now: dt.datetime = NOW,
    problems: Sequence[str] = (),
) -> Grid:
    result = okrs if okrs is not None else okr_result(now=now)
    return render(
        StatusPage(
            "team-metrics",
            "2026-11-26 08:00+00:00",
            cycle_for(JOB, now),
            now.date(),
            kpis,
            result,
            problems,
        ),
        "Status",
    ).grid


def section(grid: Grid, first: str) -> list[Row]:
    """The rows of the section whose heading row starts with ``first``, up to the next one."""
    start = next(i for i, row in enumerate(grid) if row and row[0] == first)
    heads = {"Objective / key result", "KPI", "Could not read"}
    end = next(
        (i for i in range(start + 1, len(grid)) if grid[i] and grid[i][0] in heads), len(grid)
    )
    return [row for row in grid[start:end] if row]


# -- the page ---------------------------------------------------------------------------------


def test_the_heading_gives_the_run_time_the_cycle_day_and_counts_by_status() -> None:
    grid = page()
    assert grid[:6] == [
        ["metrics-sync — team-metrics"],
        ["Last run", "2026-11-26 08:00+00:00"],
        ["Cycle", "2026-10-01 to 2026-12-31, day 57 of 92"],
        ["Objectives", "1 OFF TRACK, 1 ON TRACK"],
        ["Key results", "1 ERROR, 1 OFF TRACK, 1 AT RISK, 1 ON TRACK, 1 DONE"],
        ["KPIs", "1 ERROR, 1 CRITICAL, 1 WARNING, 1 OK"],
    ]


@pytest.mark.parametrize(
    ("now", "text"),
    [
        (dt.datetime(2026, 9, 28, tzinfo=UTC), "2026-10-01 to 2026-12-31, starts in 3 days"),
        (dt.datetime(2026, 10, 1, tzinfo=UTC), "2026-10-01 to 2026-12-31, day 1 of 92"),
        (dt.datetime(2026, 12, 31, 23, tzinfo=UTC), "2026-10-01 to 2026-12-31, day 92 of 92"),
        (dt.datetime(2027, 1, 1, tzinfo=UTC), "2026-10-01 to 2026-12-31, ended: final scores"),
    ],
)
def test_the_cycle_line_says_where_in_the_cycle_we_are(now: dt.datetime, text: str) -> None:
    assert page(now=now)[2] == ["Cycle", text]


@pytest.mark.parametrize(
    ("progress", "text"),
    [
        (0.52, "▓▓▓▓▓░░░░░ 52 %"),
        (0.0, "░░░░░░░░░░ 0 %"),
        (1.0, "▓▓▓▓▓▓▓▓▓▓ 100 %"),
        (1.07, "▓▓▓▓▓▓▓▓▓▓ 107 %"),
        (-0.2, "░░░░░░░░░░ -20 %"),
        (0.04, "░░░░░░░░░░ 4 %"),
        (0.05, "▓░░░░░░░░░ 5 %"),
        (float("nan"), ""),
    ],
)
def test_the_progress_bar_is_clamped_but_the_figure_is_raw(progress: float, text: str) -> None:
    assert bar(progress) == text


def test_objectives_show_a_bar_and_status_with_their_key_results_indented_beneath() -> None:
    rows = section(page(), "Objective / key result")
    assert rows[0] == [
        "Objective / key result",
        "Status",
        "Progress",
        "Expected",
        "Forecast",
        "Confidence",
        "Owner",
        "Note",
    ]
    assert [r[:2] for r in rows[1:]] == [
        ["Make onboarding effortless", st.ON_TRACK],
        ["    Raise activation to 50 %", st.ON_TRACK],
        ["    Ship the setup wizard", st.DONE],
        ["Grow a predictable pipeline", st.OFF_TRACK],
        ["    Close 12 deals", st.AT_RISK],
        ["    Launch the partner program", st.OFF_TRACK],
        ["    Publish 6 posts", st.ERROR],
    ]
    assert rows[2] == [
        "    Raise activation to 50 %",
        st.ON_TRACK,
        "▓▓▓▓▓▓░░░░ 60 %",
        "43 %",
        "",  # no history: no forecast
        "7/10",
        "maria@example.com",
        "0.44 (from 0.35 to 0.5)",
    ]
    assert rows[4][-1] == (
        "1 of 3 key results left out of the roll-up (ERROR): "
        "Publish 6 posts; weakest: Launch the partner program (OFF TRACK)"
    )


def test_a_blank_row_sets_each_objective_apart() -> None:
    grid = page()
    for row, above in zip(grid[1:], grid, strict=False):
        if row and row[0] in ("Make onboarding effortless", "Grow a predictable pipeline"):
            assert above == []


def test_after_the_cycle_each_objective_shows_its_final_score() -> None:
    after = dt.datetime(2027, 1, 4, tzinfo=UTC)
    rows = section(page(now=after), "Objective / key result")
    assert rows[0][3] == "Score"
    assert rows[1][:4] == ["Make onboarding effortless", st.ON_TRACK, "▓▓▓▓▓▓▓░░░ 73 %", "0.7"]
    assert rows[4][:4] == ["Grow a predictable pipeline", st.OFF_TRACK, "▓▓░░░░░░░░ 21 %", "0.2"]
    assert rows[5][:4] == ["    Close 12 deals", st.AT_RISK, "▓▓▓▓░░░░░░ 42 %", "0.4"]


def test_kpis_come_worst_first_with_current_value_change_and_note() -> None:
    rows = section(page(), "KPI")
    assert rows == [
        ["KPI", "Status", "Current", "Change", "Target", "Owner", "Note"],
        ["MRR", st.ERROR, "", "", "", "", "Warning E4 'lots': not a number"],
        ["Qualified leads", st.CRITICAL, "412", "-17.6 %", "", "sam@example.com", ""],
        ["Churn rate", st.WARNING, "3.4 %", "+17.2 %", "2 %", "", "3.4 % > warning 3 %"],
        ["Weekly active users", st.OK, "4,785", "+1.8 %", "", "", ""],
    ]


def test_the_rows_it_could_not_read_come_last_with_where_and_why() -> None:
    grid = page(problems=["tab 'OKRs': header 'Owner' appears twice (columns 3 and 9)"])
    rows = section(grid, "Could not read")
    assert rows == [
        ["Could not read", "Status", "Where", "", "", "", "Why"],
        ["MRR", st.ERROR, "KPIs row 4", "", "", "", "Warning E4 'lots': not a number"],
        [
            "Grow a predictable pipeline › Publish 6 posts",
            st.ERROR,
            "OKRs row 6",
            "",
            "",
            "",
            "Current F6 'a few': not a number",
        ],
        [
            "Layout",
            "",
            "",
            "",
            "",
            "",
            "tab 'OKRs': header 'Owner' appears twice (columns 3 and 9)",
        ],
    ]
    assert grid[-1] == rows[-1]


def test_when_every_row_was_read_the_page_says_so() -> None:
    clean = okr_result(KEY_RESULTS[:-1])
    assert page(kpis=KPIS[KPIS["status"] != st.ERROR], okrs=clean)[-1] == [
        "nothing: every row was read"
    ]


def test_empty_tabs_still_render_a_page() -> None:
    empty = pd.DataFrame({"objective": [], "key_result": []}, dtype=object)
    grid = page(kpis=kpi_frame().iloc[:0], okrs=evaluate_okrs(empty, {}, NOW, JOB, {}))
    assert grid[3:6] == [["Objectives", "none"], ["Key results", "none"], ["KPIs", "none"]]
    assert ["(no key results on the OKRs tab)"] in grid
    assert ["(no KPIs on the KPIs tab)"] in grid


# -- focus lint -------------------------------------------------------------------------------


def focus(grid: Grid) -> list[Cell]:
    return [row[1] for row in grid if row and row[0] == "Focus"]


def test_five_objectives_five_key_results_each_and_ten_kpis_need_no_focus_note() -> None:
    rows = [
        {"objective": f"O{i // 5}", "key_result": f"KR {i}", "start": 0, "target": 1}
        for i in range(25)
    ]
    kpis = kpi_frame(*({"name": f"K{i}", "status": st.OK} for i in range(10)))
    assert focus(page(kpis=kpis, okrs=okr_result(rows))) == []


def test_too_many_objectives_key_results_or_kpis_get_a_focus_note() -> None:
    rows = [{"objective": f"O{i}", "key_result": "KR", "start": 0, "target": 1} for i in range(6)]
    rows += [
        {"objective": "Big", "key_result": f"KR {i}", "start": 0, "target": 1} for i in range(6)
    ]
    kpis = kpi_frame(*({"name": f"K{i}", "status": st.OK} for i in range(11)))
    assert focus(page(kpis=kpis, okrs=okr_result(rows))) == [
        "7 objectives: more than 5 dilutes focus",
        "Big: 6 key results (at most 5 keeps it measurable)",
        "11 KPIs: more than 10 is hard to watch; keep the few that drive decisions",
    ]


def test_ten_thousand_kpis_and_two_thousand_key_results_render_in_one_pass() -> None:
    n = 10_000
    statuses = np.array(st.KPI_ORDER)[np.arange(n) % len(st.KPI_ORDER)]
    kpis = pd.DataFrame(
        {
            "name": [f"K{i}" for i in range(n)],
            "status": statuses,
            "value": np.arange(n, dtype=float),
            "unit": "",
            "change": 0.01,
            "target": np.nan,
            "owner": "",
            "note": "",
        },
        index=pd.RangeIndex(2, n + 2),
    )
    rows = [
        {
            "objective": f"O{i // 4}",
            "key_result": f"KR {i}",
            "start": 0,
            "target": 4,
            "current": i % 5,
        }
        for i in range(2_000)
    ]
    grid = page(kpis=kpis, okrs=okr_result(rows))
    objectives = section(grid, "Objective / key result")
    assert len(objectives) == 1 + 500 + 2_000
    assert objectives[-1][0] == "    KR 1999"
    kpi_rows = section(grid, "KPI")
    assert len(kpi_rows) == 1 + n
    assert [r[1] for r in kpi_rows[1:]] == sorted(statuses, key=st.KPI_ORDER.index)


# -- on .xlsx ---------------------------------------------------------------------------------


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A workbook with an old Status tab between two others, full of stale content."""
    path = tmp_path / "team.xlsx"
    wb = openpyxl.Workbook()
    assert wb.active is not None
    wb.active.title = "KPIs"
    old = wb.create_sheet("status")
    for r in range(1, 60):
        old.append([f"stale {r}"] * 9)
    wb.create_sheet("OKRs")
    wb.save(path)
    return path


def write(path: Path, grid: Grid | None = None) -> Any:
    tab = render(
        StatusPage(
            "team-metrics",
            "2026-11-26 08:00+00:00",
            cycle_for(JOB, NOW),
            NOW.date(),
            KPIS,
            okr_result(),
        ),
        "Status",
    )
    XlsxWorkbook(path).write([], [tab if grid is None else OwnedTab("Status", grid, st.COLOURS)])
    return openpyxl.load_workbook(path)


def test_the_status_tab_is_rewritten_whole_in_its_place(book: Path) -> None:
    wb = write(book)
    assert wb.sheetnames == ["KPIs", "Status", "OKRs"]
    ws = wb["Status"]
    values = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    assert not any("stale" in str(v) for row in values for v in row)
    assert values[0] == ["metrics-sync — team-metrics"]
    assert ws.max_row == len(page(now=NOW))


def test_status_cells_are_filled_green_amber_and_red(book: Path) -> None:
    ws = write(book)["Status"]
    fills = {
        cell.value: cell.fill.fgColor.rgb[-6:]
        for row in ws.iter_rows()
        for cell in row
        if cell.value in st.COLOURS
    }
    assert fills[st.ON_TRACK] == fills[st.OK] == FILLS["green"]
    assert fills[st.AT_RISK] == fills[st.WARNING] == FILLS["amber"]
    assert fills[st.OFF_TRACK] == fills[st.CRITICAL] == fills[st.ERROR] == FILLS["red"]
    assert ws["B2"].fill.fill_type is None


def test_the_title_and_the_section_headings_are_bold(book: Path) -> None:
    ws = write(book)["Status"]
    bold = [row[0].value for row in ws.iter_rows() if row[0].value and row[0].font.b]
    assert bold == [
        "metrics-sync — team-metrics",
        "Objective / key result",
        "Make onboarding effortless",
        "Grow a predictable pipeline",
        "KPI",
        "Could not read",
    ]
    assert ws["A1"].font.sz == 14


def test_columns_fit_their_text_but_overflowing_text_does_not_widen_them(book: Path) -> None:
    grid: Grid = [
        ["A long title that overflows into the empty cells to its right"],
        [],
        ["Name", "Status", "Note"],
        ["Close 12 new enterprise deals", "OK", "x" * 200],
    ]
    ws = write(book, grid)["Status"]
    width = {c: ws.column_dimensions[c].width for c in "ABC"}
    assert 20 < width["A"] < 35  # the 29 letters of the name, not the title's 62
    assert width["B"] == 8  # "Status" and "OK" fit the narrowest column
    assert width["C"] == 82  # the last column: capped at 80, plus a margin


def test_text_that_looks_like_a_formula_is_written_as_text(book: Path) -> None:
    ws = write(book, [['=HYPERLINK("http://evil")', "OK"]])["Status"]
    assert ws["A1"].data_type == "s"
    assert ws["A1"].value == '=HYPERLINK("http://evil")'
