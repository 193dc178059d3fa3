"""Sheets kept the way people keep them: the wide layout, the KPI log, and both at once.

Grids go through ``sync.evaluate.evaluate`` as a backend would hand them over, so the
layout reading, the log merge, the rules and the duplicate check are exercised together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from sync.config import Job, WorkbookConfig
from sync.evaluate import Evaluation, evaluate
from sync.grid import Cell, Grid

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
JOB = Job(workbook=WorkbookConfig(backend="xlsx"))
OKRS: Grid = [["Objective", "Key result"]]
RULES: list[Cell] = ["higher", 480, 450, 15]  # Direction, Warning, Critical, Max change %
HEAD: list[Cell] = ["KPI", "Direction", "Warning", "Critical", "Max change %"]
LOG_HEAD: list[Cell] = ["Date", "KPI", "Value"]


def run(kpis: Grid, log: Grid | None = None) -> Evaluation:
    grids: dict[str, Grid | None] = {"KPIs": kpis, "OKRs": OKRS, "KPI log": log}
    return evaluate(grids, NOW, JOB)


def kpi(ev: Evaluation, row: int = 2) -> dict[str, Any]:
    result: dict[str, Any] = ev.kpis.loc[row].to_dict()
    return result


def serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


# --- the wide layout -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([dt.date(2026, 11, 9), dt.date(2026, 11, 16)], id="real date cells"),
        pytest.param(["2026-11-09", "2026-11-16"], id="ISO text"),
        pytest.param(["11/9/2026", "11/16/2026"], id="month-first text"),
        pytest.param(["9/11/2026", "16/11/2026"], id="day-first text"),
        pytest.param(["09.11.2026", "16.11.2026"], id="dotted day-first text"),
        pytest.param(
            [serial(dt.date(2026, 11, 9)), serial(dt.date(2026, 11, 16))],
            id="Sheets serial numbers",
        ),
    ],
)
def test_every_kind_of_date_header_makes_a_history(headers: list[Cell]) -> None:
    result = kpi(run([[*HEAD, *headers], ["Leads", *RULES, 500, 412]]))
    assert (result["status"], result["value"], result["previous"]) == ("CRITICAL", 412, 500)
    assert result["date"].date() == dt.date(2026, 11, 16)


def test_the_newest_column_is_found_by_its_date_not_its_place() -> None:
    grid: Grid = [
        [*HEAD, "2026-11-16", "2026-11-09", "Comments"],
        ["Leads", *RULES, 412, 500, "new columns go on the left here"],
    ]
    result = kpi(run(grid))
    assert (result["value"], result["previous"], result["status"]) == (412, 500, "CRITICAL")


def test_a_week_left_blank_is_skipped() -> None:
    grid: Grid = [
        [*HEAD, "2026-11-09", "2026-11-16", "2026-11-23"],
        ["Leads", *RULES, 515, "", 420],
    ]
    assert kpi(run(grid))["note"] == (
        "420 < critical 450; -18.4 % since 2026-11-09 (was 515), more than the 15 % max change"
    )


def test_the_same_day_in_two_columns_uses_the_right_most_and_says_so() -> None:
    ev = run([[*HEAD, dt.date(2026, 11, 16), "2026-11-16"], ["Leads", *RULES, 1, 500]])
    assert kpi(ev)["value"] == 500
    assert any("both dated 2026-11-16" in p for p in ev.problems)


def test_an_unreadable_history_cell_names_its_address() -> None:
    ev = run(
        [
            [*HEAD, "2026-11-09", "2026-11-16"],
            ["Leads", *RULES, 500, "#REF!"],
            ["Churn", *RULES, 500, 490],
        ]
    )
    assert (kpi(ev)["status"], kpi(ev)["note"]) == (
        "ERROR",
        "G2 (2026-11-16) '#REF!': formula error #REF!",
    )
    assert kpi(ev, 3)["status"] == "OK"


def test_google_style_rows_with_empty_text_and_ragged_ends_are_read() -> None:
    ev = run(
        [
            [*HEAD, "2026-11-09", "2026-11-16"],
            ["Leads", "", "", "", "", 500],
            ["", "", "", "", "", "", ""],
            ["Churn", *RULES, 500],
        ]
    )
    assert list(ev.kpis.index) == [2, 4]
    assert kpi(ev)["status"] == "NO THRESHOLD"


# --- the KPI log -----------------------------------------------------------------------------


def test_a_kpi_kept_only_in_the_log_is_judged_from_it() -> None:
    log: Grid = [LOG_HEAD, ["2026-11-09", "Leads", 500], ["2026-11-16", "leads ", 412]]
    result = kpi(run([HEAD, ["Leads", *RULES]], log))
    assert (result["status"], result["value"], result["previous"]) == ("CRITICAL", 412, 500)


def test_the_history_is_the_union_of_both_layouts() -> None:
    log: Grid = [LOG_HEAD, [dt.date(2026, 11, 23), "Leads", 420]]
    result = kpi(run([[*HEAD, "2026-11-09", "2026-11-16"], ["Leads", *RULES, 500, 515]], log))
    assert (result["value"], result["previous"]) == (420, 515)
    assert result["previous_date"].date() == dt.date(2026, 11, 16)


def test_the_kpis_tab_wins_over_the_log_on_the_same_day() -> None:
    log: Grid = [LOG_HEAD, ["2026-11-16", "Leads", 1]]
    result = kpi(run([[*HEAD, "2026-11-16"], ["Leads", *RULES, 500]], log))
    assert result["value"] == 500


def test_the_log_fills_a_day_the_kpis_tab_left_blank() -> None:
    log: Grid = [LOG_HEAD, ["2026-11-16", "Leads", 412]]
    result = kpi(run([[*HEAD, "2026-11-09", "2026-11-16"], ["Leads", *RULES, 500, "n/a"]], log))
    assert (result["value"], result["previous"]) == (412, 500)


def test_within_the_log_the_later_entry_for_a_day_wins() -> None:
    log: Grid = [
        LOG_HEAD,
        ["2026-11-16 17:00", "Leads", 3],
        ["2026-11-16 09:00", "Leads", 2],
        ["2026-11-16", "Leads", 1],
        ["2026-11-09", "Leads", 500],
        ["2026-11-16 17:00", "Leads", 4],
    ]
    result = kpi(run([HEAD, ["Leads", *RULES]], log))
    assert (result["value"], result["previous"]) == (4, 500)


def test_log_rows_without_a_value_are_skipped() -> None:
    log: Grid = [
        LOG_HEAD,
        ["2026-11-09", "Leads", 500],
        ["2026-11-16", "Leads", None],
        ["2026-11-16", "Leads", "  "],
        ["2026-11-23", "Leads"],
    ]
    result = kpi(run([HEAD, ["Leads", *RULES]], log))
    assert (result["status"], result["value"]) == ("OK", 500)


def test_a_log_value_without_a_readable_date_is_an_error_on_its_kpi() -> None:
    log: Grid = [
        LOG_HEAD,
        ["2026-11-09", "Leads", 500],
        ["yesterday", "Leads", 412],
        [None, "Leads", 1],
    ]
    result = kpi(run([HEAD, ["Leads", *RULES]], log))
    assert (result["status"], result["note"]) == (
        "ERROR",
        "'KPI log'!A3 'yesterday': not a date; 'KPI log'!A4 (empty): a value with no date",
    )


def test_an_unreadable_log_value_names_its_cell() -> None:
    log: Grid = [LOG_HEAD, ["2026-11-09", "Leads", "abc"]]
    assert kpi(run([HEAD, ["Leads", *RULES]], log))["note"] == ("'KPI log'!C2 'abc': not a number")


def test_log_rows_for_no_known_kpi_are_reported_not_fatal() -> None:
    log: Grid = [
        LOG_HEAD,
        ["2026-11-09", "Leeds", 500],
        ["2026-11-09", None, 7],
        ["2026-11-09", "Leads", 500],
    ]
    ev = run([HEAD, ["Leads", *RULES]], log)
    assert kpi(ev)["status"] == "OK"
    assert ev.problems == (
        "tab 'KPI log' row 2: KPI 'Leeds' is not on the KPIs tab",
        "tab 'KPI log' row 3: a value with no KPI name",
    )


def test_log_dates_follow_the_logs_own_day_first_convention() -> None:
    log: Grid = [LOG_HEAD, ["02/11/2026", "Leads", 500], ["16/11/2026", "Leads", 412]]
    result = kpi(run([HEAD, ["Leads", *RULES]], log))
    assert result["previous_date"].date() == dt.date(2026, 11, 2)


def test_an_empty_log_tab_changes_nothing() -> None:
    result = kpi(run([[*HEAD, "2026-11-16"], ["Leads", *RULES, 500]], [LOG_HEAD]))
    assert (result["status"], result["value"]) == ("OK", 500)


# --- duplicate names -------------------------------------------------------------------------


def test_duplicate_names_are_errors_on_each_of_their_rows_only() -> None:
    ev = run(
        [
            [*HEAD, "2026-11-16"],
            ["Leads", *RULES, 500],
            ["Churn", *RULES, 500],
            ["LEADS", *RULES, 500],
        ]
    )
    assert list(ev.kpis["status"]) == ["ERROR", "OK", "ERROR"]
    assert list(ev.kpis["note"]) == [
        "KPI name 'Leads' is also on row 4",
        "500",
        "KPI name 'LEADS' is also on row 2",
    ]


# --- the history in blocks of rows -----------------------------------------------------------

BLOCK_DAYS: list[Cell] = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-16", "2026-11-23"]


def a_busy_workbook() -> tuple[Grid, Grid]:
    """KPIs and a KPI log with something on most rows: unreadable cells (more than a note names,
    on both tabs), a day in two columns, blank and nameless rows, duplicate names near and far,
    log entries on a day the KPIs tab has (filled or blank), two log times on one day, a log
    value with no date, unknown names."""
    kpis: Grid = [[*HEAD, "Cadence", *BLOCK_DAYS]]
    names = {2: "kpi 1", 4: "Leads", 7: "", 9: "Leads"}
    for i in range(14):
        history: list[Cell] = [500 + i, 490 - i, 400 + 9 * i, 480, 470 - 3 * i]
        if i % 5 == 1:
            history[1:4] = ["abc", "#REF!", True]
        if i % 4 == 2:
            history[4] = None
        kpis.append([names.get(i, f"KPI {i}"), *RULES, "weekly", *history])
        if i % 6 == 5:
            kpis.append([None] * 10)  # a blank row between two KPIs
    log: Grid = [LOG_HEAD, ["2026-11-09", "Leeds", 500], ["2026-11-09", None, 7]]
    for i in range(0, 14, 2):
        log += [
            ["2026-11-23", f"KPI {i}", 300 + i],
            ["2026-11-20 18:00", f" kpi {i}", 460],
            ["2026-11-20 09:00", f"KPI {i}", 1],
            ["2026-11-30", f"KPI {i + 1}", 1],
        ]
    log += [["2026-11-09", "Leads", 600], ["2026-11-20", "KPI 6", "x"], [None, "KPI 13", 3]]
    return kpis, log


@pytest.mark.parametrize("block_cells", [1, 10, 15, 23])
def test_the_history_in_blocks_of_rows_is_judged_as_in_one_block(block_cells: int) -> None:
    kpis, log = a_busy_workbook()
    grids: dict[str, Grid | None] = {"KPIs": kpis, "OKRs": OKRS, "KPI log": log}
    whole = evaluate(grids, NOW, JOB, block_cells=10**9)
    blocks = evaluate(grids, NOW, JOB, block_cells=block_cells)  # 1 to 4 rows of 5 cells each
    pd.testing.assert_frame_equal(blocks.kpis, whole.kpis)
    pd.testing.assert_frame_equal(blocks.okrs.key_results, whole.okrs.key_results)
    assert blocks.problems == whole.problems
    # What the comparison covers: the log's later time and the KPIs tab's day both win, the
    # log fills a blank day, notes name cells on both tabs and count the rest, names collide.
    assert (kpi(whole)["value"], kpi(whole)["previous"]) == (470, 460)
    assert kpi(whole, 13)["value"] == 310
    assert kpi(whole, 9)["note"].startswith("'KPI log'!C33 'x': not a number; H9 (2026-11-09)")
    assert kpi(whole, 9)["note"].endswith("; and 1 more unreadable cells")
    assert kpi(whole, 17)["note"] == "'KPI log'!A34 (empty): a value with no date"
    assert kpi(whole, 12)["note"] == "KPI name 'Leads' is also on row 6"
