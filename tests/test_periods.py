"""Period headers: months, quarters and ISO weeks, placed in time as a person places them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as hst

from sync.config import Job, Tabs, WorkbookConfig
from sync.evaluate import evaluate
from sync.grid import Cell, Grid
from sync.periods import looks_like_period, read_period, year_above

TODAY = dt.date(2026, 11, 20)
D = dt.date


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("Jan", D(2026, 1, 1), D(2026, 1, 31)),
        ("January", D(2026, 1, 1), D(2026, 1, 31)),
        ("Jan 2026", D(2026, 1, 1), D(2026, 1, 31)),
        ("Jan-26", D(2026, 1, 1), D(2026, 1, 31)),
        ("2026-01", D(2026, 1, 1), D(2026, 1, 31)),
        ("feb.", D(2026, 2, 1), D(2026, 2, 28)),
        ("Dec", D(2025, 12, 1), D(2025, 12, 31)),  # the latest December begun by as-of
        ("Q4", D(2026, 10, 1), D(2026, 12, 31)),
        ("Q4 2025", D(2025, 10, 1), D(2025, 12, 31)),
        ("2026 Q1", D(2026, 1, 1), D(2026, 3, 31)),
        ("W45", D(2026, 11, 2), D(2026, 11, 8)),
        ("Week 45", D(2026, 11, 2), D(2026, 11, 8)),
        ("2026-W45", D(2026, 11, 2), D(2026, 11, 8)),
        ("W50", D(2025, 12, 8), D(2025, 12, 14)),  # week 50 of 2026 has not begun
        ("26 Oct", D(2026, 10, 26), D(2026, 10, 26)),
    ],
)
def test_a_period_header_is_placed_in_time(header: str, start: D, end: D) -> None:
    period = read_period(header, year=None, today=TODAY)
    assert period is not None
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    ("header", "year", "start"),
    [
        ("Dec", 2026, D(2026, 12, 1)),
        ("W2", 2027, D(2027, 1, 11)),
        ("Jan 2025", 2026, D(2025, 1, 1)),
    ],
)
def test_a_year_written_above_the_header_wins_unless_the_header_has_its_own(
    header: str, year: int, start: D
) -> None:
    period = read_period(header, year=year, today=TODAY)
    assert period is not None
    assert period.start == start


@pytest.mark.parametrize("header", ["Q5", "W60", "2026-13", "Month 13", "31 Feb"])
def test_a_header_that_looks_like_a_period_but_is_none_is_recognised_as_such(header: str) -> None:
    assert read_period(header, year=2026, today=TODAY) is None
    assert looks_like_period(header)


@pytest.mark.parametrize("header", ["Target", "Owner", "Total", "Notes", "KPI Category"])
def test_ordinary_headers_are_neither_periods_nor_look_like_them(header: str) -> None:
    assert read_period(header, year=None, today=TODAY) is None
    assert not looks_like_period(header)


@pytest.mark.parametrize(
    ("rows", "year"),
    [
        ([["Monthly KPI planner"], ["(Year: 2026)"]], 2026),
        ([["Year", 2025]], 2025),
        ([["FY 2027 dashboard"]], 2027),
        ([["Team KPIs"]], None),
    ],
)
def test_the_year_above_a_header(rows: list[list[Cell]], year: int | None) -> None:
    assert year_above(rows) == year


def test_a_period_s_value_counts_for_its_last_day_or_today_while_under_way() -> None:
    october = read_period("Oct", year=None, today=TODAY)
    november = read_period("Nov", year=None, today=TODAY)
    assert october is not None
    assert october.dated(TODAY) == D(2026, 10, 31)
    assert november is not None
    assert november.dated(TODAY) == TODAY


@given(hst.text(max_size=20), hst.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)))
def test_any_header_either_names_a_begun_period_or_none_and_never_fails(
    header: str, today: D
) -> None:
    period = read_period(header, year=None, today=today)
    assert period is None or period.start <= min(today, period.end)


@given(
    hst.sampled_from(["Jan", "Q2", "W10", "2026-07", "Sept 2025", "Week 52"]),
    hst.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)),
)
def test_a_placed_period_counts_on_a_day_within_it_and_never_after_today(
    header: str, today: D
) -> None:
    period = read_period(header, year=None, today=today)
    if period is not None:
        day = period.dated(today)
        assert period.start <= day <= period.end
        assert day <= today or period.start > today


# --- through evaluate -------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
JOB = Job(workbook=WorkbookConfig(backend="xlsx"), tabs=Tabs(okrs=""))
MONTHS: list[Cell] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct"]


def test_a_monthly_planner_under_a_year_line_reads_october_as_of_its_last_day() -> None:
    head: list[Cell] = ["KPI", "Direction", "Warning", "Cadence", *MONTHS, "Nov", "Dec"]
    values: list[Cell] = [100, 102, 104, 103, 108, 110, 112, 111, 115, 96]
    grid: Grid = [["(Year: 2026)"], head, ["Revenue", "higher", 100, "monthly", *values]]
    ev = evaluate({"KPIs": grid}, NOW, JOB)
    row = ev.kpis.loc[3]
    assert (row["status"], row["value"], row["previous"]) == ("WARNING", 96, 115)
    assert pd_day(row["date"]) == D(2026, 10, 31)
    assert ev.problems == ()


def test_headers_that_cannot_be_placed_and_a_tab_without_history_are_named() -> None:
    grid: Grid = [["KPI", "Warning", "Q5", "Goal"], ["Revenue", 100, 120, 90]]
    problems = " ".join(evaluate({"KPIs": grid}, NOW, JOB).problems)
    assert "header 'Q5' (column C) looks like a period or a date but cannot be placed" in problems
    assert "no history column recognised on row 1" in problems
    assert "[columns.kpis] current" in problems


def pd_day(value: object) -> D:
    import pandas as pd

    return pd.Timestamp(value).date()  # type: ignore[arg-type]
