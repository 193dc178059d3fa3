"""From grids to tables: header matching, blank rows, dated columns and the wide history."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sync.config import ALL_COLUMNS, KPI_COLUMNS
from sync.errors import LayoutError
from sync.frames import blank_mask, dated_columns, read_sheet, records, sheet_dayfirst, wide_history
from sync.grid import Cell, Grid

KPI_IDS = list(KPI_COLUMNS)
NOV_16 = dt.date(2026, 11, 16)
SERIAL_NOV_16 = (NOV_16 - dt.date(1899, 12, 30)).days


def kpi_sheet(grid: Grid, *, dated: bool = True) -> object:
    return read_sheet("KPIs", grid, ALL_COLUMNS, KPI_IDS, ["kpi"], dated=dated)


def header_dates(*header: Cell) -> tuple[list[tuple[int, dt.date]], list[str]]:
    dates, problems = dated_columns("KPIs", ["KPI", *header], {"kpi": 1})
    return list(dates), problems


# --- header and rows -------------------------------------------------------------------------


def test_headers_match_in_any_case_order_and_spacing() -> None:
    sheet = read_sheet(
        "KPIs",
        [["  warning ", "kpi", "Max  Change %"], [5, "A", 10]],
        ALL_COLUMNS,
        KPI_IDS,
        ["kpi"],
    )
    assert dict(sheet.positions) == {"kpi": 2, "warning": 1, "max_change": 3}
    assert sheet.rows.loc[2].to_dict() == {"kpi": "A", "warning": 5, "max_change": 10}


def test_a_repeated_header_is_reported_and_the_first_is_used() -> None:
    sheet = read_sheet(
        "KPIs", [["KPI", "Warning", "warning"], ["A", 1, 2]], ALL_COLUMNS, KPI_IDS, ["kpi"]
    )
    assert sheet.positions["warning"] == 2
    assert sheet.problems == (
        "tab 'KPIs': header 'warning' appears twice (columns 2 and 3); the first is used",
    )


def test_blank_rows_are_dropped_and_rows_keep_their_sheet_numbers() -> None:
    sheet = read_sheet(
        "KPIs", [["KPI", "Warning"], ["A", 1], [None, ""], [], ["B"]], ALL_COLUMNS, KPI_IDS, ["kpi"]
    )
    assert list(sheet.rows.index) == [2, 5]
    assert sheet.rows.at[5, "warning"] is None  # a ragged row is padded with empty cells
    assert sheet.body.shape == (2, 2)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        pytest.param(None, "tab 'KPIs' not found in the workbook", id="a missing tab"),
        pytest.param(
            [], "tab 'KPIs' is empty: expected a header row with 'KPI'", id="an empty tab"
        ),
        pytest.param(
            [["Name", "Warning"]],
            "tab 'KPIs': no column 'KPI' in row 1 (found 'Name', 'Warning')",
            id="a missing required column",
        ),
    ],
)
def test_a_tab_that_cannot_be_read_is_a_layout_error(grid: Grid | None, message: str) -> None:
    with pytest.raises(LayoutError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        read_sheet("KPIs", grid, ALL_COLUMNS, KPI_IDS, ["kpi"])


def test_blank_cells_are_none_nan_and_empty_text() -> None:
    cells = np.array([None, float("nan"), "", " ", 0, False, "x"], dtype=object)
    assert list(blank_mask(cells)) == [True, True, True, False, False, False, False]


def test_records_put_the_sheet_row_beside_the_values() -> None:
    frame = pd.DataFrame({"a": [1]}, index=pd.Index([7], name="row"))
    assert records(frame) == [{"row": 7, "a": 1}]


# --- dated columns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(NOV_16, id="a real date cell"),
        pytest.param(dt.datetime(2026, 11, 16, 0, 0), id="a real date-time cell"),
        pytest.param("2026-11-16", id="ISO text"),
        pytest.param(" 2026/11/16 ", id="ISO text with slashes and spaces"),
        pytest.param("11/16/2026", id="month-first text with a day above 12"),
        pytest.param("16/11/2026", id="day-first text with a day above 12"),
        pytest.param(SERIAL_NOV_16, id="a Sheets serial number"),
        pytest.param(float(SERIAL_NOV_16), id="a Sheets serial as a float"),
        pytest.param("16 Nov 2026", id="a month in words"),
    ],
)
def test_a_header_naming_a_day_is_a_dated_column(header: Cell) -> None:
    assert header_dates(header) == ([(2, NOV_16)], [])


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Comments", id="text"),
        pytest.param(5, id="a small number"),
        pytest.param(2026, id="a year"),
        pytest.param(True, id="a checkbox"),
        pytest.param(None, id="an empty header"),
        pytest.param("Q4 2026", id="a quarter"),
        pytest.param("2026-02-30", id="a day that does not exist"),
    ],
)
def test_a_header_that_names_no_day_is_an_ordinary_column(header: Cell) -> None:
    assert header_dates(header) == ([], [])


def test_known_columns_are_never_dated_even_with_a_date_like_header() -> None:
    columns = {**ALL_COLUMNS, "current": "2026-11-16"}
    sheet = read_sheet(
        "KPIs", [["KPI", "2026-11-16", "2026-11-09"]], columns, KPI_IDS, ["kpi"], dated=True
    )
    assert sheet.positions["current"] == 2
    assert sheet.dates == ((3, dt.date(2026, 11, 9)),)


def test_one_unambiguous_header_settles_a_day_first_tab() -> None:
    dates, problems = header_dates("02/11/2026", "09/11/2026", "16/11/2026")
    assert [d for _, d in dates] == [dt.date(2026, 11, 2), dt.date(2026, 11, 9), NOV_16]
    assert problems == []


def test_one_unambiguous_header_settles_a_month_first_tab() -> None:
    dates, _ = header_dates("11/2/2026", "11/9/2026", "11/16/2026")
    assert [d for _, d in dates] == [dt.date(2026, 11, 2), dt.date(2026, 11, 9), NOV_16]


def test_headers_that_could_be_either_way_are_read_month_first_and_reported() -> None:
    dates, problems = header_dates("11/02/2026", "11/09/2026")
    assert [d for _, d in dates] == [dt.date(2026, 11, 2), dt.date(2026, 11, 9)]
    assert problems == [
        "tab 'KPIs' row 1: no date shows whether '11/02/2026' is day-first or "
        "month-first; read month-first (dotted: day-first), write dates as "
        "yyyy-mm-dd to be sure"
    ]


def test_a_tab_mixing_day_first_and_month_first_is_reported() -> None:
    dates, problems = header_dates("16/11/2026", "11/23/2026")
    assert [d for _, d in dates] == [NOV_16, dt.date(2026, 11, 23)]
    assert problems
    assert "both day-first and month-first" in problems[0]


def test_the_same_day_twice_is_reported() -> None:
    _, problems = header_dates(NOV_16, "2026-11-16")
    assert problems == [
        "tab 'KPIs': columns B and C are both dated 2026-11-16; for each KPI "
        "the right-most value is used"
    ]


def test_the_convention_ignores_iso_dates_and_plain_text() -> None:
    cells = pd.Series(["2026-11-26", "Comments", 12, None, "1/2/2026"], dtype=object)
    assert sheet_dayfirst("KPIs", "row 1", cells)[0] is None
    assert sheet_dayfirst("KPIs", "row 1", pd.Series(["26.11.2026"], dtype=object)) == (True, [])


# --- the wide history ------------------------------------------------------------------------


def test_the_wide_history_has_one_entry_per_filled_dated_cell() -> None:
    sheet = read_sheet(
        "KPIs",
        [
            ["KPI", "Comments", "2026-11-09", "2026-11-16"],
            ["A", "x", 500, 412],
            ["B", None, None, ""],
            [None],
            ["C", None, "n/a", 7],
        ],
        ALL_COLUMNS,
        KPI_IDS,
        ["kpi"],
        dated=True,
    )
    history = wide_history(sheet)
    assert history.to_dict("list") == {
        "row": [2, 2, 5, 5],
        "date": [pd.Timestamp("2026-11-09"), pd.Timestamp("2026-11-16")] * 2,
        "col": [3, 4, 3, 4],
        "raw": [500, 412, "n/a", 7],  # text is the rules' to read: "n/a" is no value there
    }
    assert history["date"].dtype == "datetime64[ns]"


def test_a_tab_without_dated_columns_has_an_empty_history() -> None:
    history = wide_history(
        read_sheet(
            "KPIs", [["KPI", "Current"], ["A", 1]], ALL_COLUMNS, KPI_IDS, ["kpi"], dated=True
        )
    )
    assert history.empty
    assert list(history.columns) == ["row", "date", "col", "raw"]


def test_a_ragged_row_shorter_than_the_header_reads_as_blanks() -> None:
    sheet = read_sheet(
        "KPIs",
        [["KPI", "2026-11-09", "2026-11-16"], ["A", 3]],
        ALL_COLUMNS,
        KPI_IDS,
        ["kpi"],
        dated=True,
    )
    assert wide_history(sheet)["raw"].tolist() == [3]


def test_the_wide_history_of_some_rows_is_the_whole_ones_entries_for_those_rows() -> None:
    sheet = read_sheet(
        "KPIs",
        [
            ["KPI", "2026-11-09", "Comments", "2026-11-16"],
            ["A", 500, "x", 412],
            ["B", None, None, ""],
            [None],
            ["C", "n/a", None, 7],
            ["D", 1, None, None],
        ],
        ALL_COLUMNS,
        KPI_IDS,
        ["kpi"],
        dated=True,
    )
    whole = wide_history(sheet)
    for rows in ([3, 5, 6], [2, 6], [5]):  # kept rows one after another, or with gaps
        some = wide_history(sheet, pd.Index(rows))
        pd.testing.assert_frame_equal(some, whole[whole["row"].isin(rows)].reset_index(drop=True))
    assert wide_history(sheet, [3, 5, 6])["row"].tolist() == [5, 5, 6]
    assert wide_history(sheet, [2, 6])["raw"].tolist() == [500, 412, 1]
    assert (whole["row"].dtype, whole["col"].dtype) == (np.int32, np.int32)


def test_the_wide_history_of_no_rows_is_empty_and_of_an_unkept_row_an_error() -> None:
    sheet = read_sheet(
        "KPIs",
        [["KPI", "2026-11-09"], ["A", 500], [None]],
        ALL_COLUMNS,
        KPI_IDS,
        ["kpi"],
        dated=True,
    )
    assert list(wide_history(sheet, pd.Index([], dtype="int64")).columns) == [
        "row",
        "date",
        "col",
        "raw",
    ]
    with pytest.raises(KeyError, match="no kept row 3"):
        wide_history(sheet, [2, 3])
