"""The header row found where a team put it, and workbooks holding only KPIs or only OKRs.

Small cases go through ``find_header``; the rest through ``evaluate`` and the real CLI on
.xlsx files, where the sync's columns must land on the header row found, never on row 1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as hst
from sheets_emulator import SheetsEmulator
from workbooks import config_text

from sync.backends.google import open_google
from sync.cli import main
from sync.config import Job, Tabs, WorkbookConfig
from sync.errors import ConcurrentEditError
from sync.evaluate import evaluate
from sync.grid import Cell, CellUpdate, Grid, RowKey
from sync.header import find_header

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
WEEKS = [dt.datetime(2026, 11, 2), dt.datetime(2026, 11, 9), dt.datetime(2026, 11, 16)]
KPI_HEAD: list[Cell] = ["KPI", "Owner", "Direction", "Warning", "Critical", "Cadence", *WEEKS]
KPI_ROWS: Grid = [
    ["Qualified leads", "", "higher", 480, 450, "weekly", 515, 500, 440],
    ["Uptime", "", "higher", 0.999, 0.995, "weekly", 0.9996, 0.9998, 0.9997],
]
OKR_HEAD: list[Cell] = ["Objective", "Key result", "Start", "Target", "Current"]
OKR_ROWS: Grid = [["Grow", "Leads from 400 to 600", 400, 600, 500]]


@pytest.mark.parametrize(
    ("grid", "row", "cells"),
    [
        pytest.param([["KPI", "Warning"], ["a", 1]], 1, ("KPI", "Warning"), id="row 1"),
        pytest.param([["Team KPIs"], [], ["KPI", "Warning"]], 3, ("KPI", "Warning"), id="title"),
        pytest.param(
            [["Year: 2026"], [" kpi ", "Jan"], ["Leads", 3]], 2, (" kpi ", "Jan"), id="period line"
        ),
        pytest.param(
            [["KPI", "Monthly", None], [None, "Jan", "Feb"], ["Leads", 1, 2]],
            2,
            ("KPI", "Jan", "Feb"),
            id="two-row header, the key merged down",
        ),
        pytest.param(
            [[None, "Category", "Targets", None], ["KPI", None, "Warning", "Critical"]],
            2,
            ("KPI", "Category", "Warning", "Critical"),
            id="group cells above, one merged down",
        ),
        pytest.param([["Leads", 1], ["Uptime", 2]], 1, ("Leads", 1), id="no header: row 1"),
    ],
)
def test_the_header_is_the_first_row_holding_the_key_column(
    grid: Grid, row: int, cells: tuple[Cell, ...]
) -> None:
    header = find_header(grid, "KPI")
    assert (header.row, header.cells[: len(cells)]) == (row, cells)


def test_a_first_data_row_is_never_taken_for_the_lower_half_of_a_header() -> None:
    grid: Grid = [["KPI", "Warning", "Current"], [None, "note", "x"], ["Leads", 1, 2]]
    assert find_header(grid, "KPI").row == 1


def test_a_header_row_in_the_config_wins_over_the_search() -> None:
    grid: Grid = [["KPI", "old"], ["Notes"], ["KPI", "Warning"]]
    assert find_header(grid, "KPI", override=3).cells == ("KPI", "Warning")


@given(
    hst.lists(
        hst.lists(hst.one_of(hst.none(), hst.text(max_size=5), hst.integers()), max_size=4),
        max_size=25,
    )
)
def test_finding_a_header_never_fails_and_stays_within_the_grid(grid: Grid) -> None:
    header = find_header(grid, "KPI")
    assert 0 <= header.index <= max(len(grid) - 1, 0)
    assert header.found == any(
        isinstance(c, str) and c.strip().casefold() == "kpi" for r in grid[:20] for c in r
    )


def job(**tabs: Any) -> Job:
    return Job(workbook=WorkbookConfig(backend="xlsx"), tabs=Tabs(**tabs))


def test_kpis_under_a_title_and_a_period_line_are_read_with_their_sheet_rows() -> None:
    grids: dict[str, Grid | None] = {
        "KPIs": [["Sales dashboard"], ["Year: 2026"], [], KPI_HEAD, *KPI_ROWS],
        "OKRs": [OKR_HEAD, *OKR_ROWS],
    }
    ev = evaluate(grids, NOW, job())
    assert ev.kpi_sheet.header_row == 4
    assert ev.kpis["status"].to_dict() == {5: "CRITICAL", 6: "OK"}


def test_an_okr_only_workbook_reads_no_kpis_and_no_kpi_log() -> None:
    grids: dict[str, Grid | None] = {"OKRs": [OKR_HEAD, *OKR_ROWS], "KPI log": [["junk"]]}
    ev = evaluate(grids, NOW, job(kpis=""))
    assert ev.kpis.empty
    assert ev.okrs.key_results["progress"].tolist() == [0.5]
    assert job(kpis="").tabs.to_read() == ["OKRs", "KR history", "Status"]


def test_a_kpi_only_workbook_reads_no_okrs() -> None:
    grids: dict[str, Grid | None] = {"KPIs": [KPI_HEAD, *KPI_ROWS]}
    ev = evaluate(grids, NOW, job(okrs=""))
    assert ev.okrs.key_results.empty
    assert ev.kpis["status"].tolist() == ["CRITICAL", "OK"]


# --- on a real file -------------------------------------------------------------------------


def save(path: Path, tabs: dict[str, Grid]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, grid in tabs.items():
        ws = book.create_sheet(title)
        for row in grid:
            ws.append(row)
    book.save(path)
    return path


def sync(folder: Path, tabs: str = "", *args: str) -> int:
    cfg = folder / "metrics-sync.toml"
    cfg.write_text(config_text('[workbook]\npath = "team.xlsx"', tabs=tabs))
    command = list(args) or ["run", "--once", "--as-of", NOW.isoformat()]
    return main([*command, "--config", str(cfg)])


def test_the_sync_writes_its_columns_on_the_header_row_found(tmp_path: Path) -> None:
    title: Grid = [["Sales dashboard"], ["Year: 2026"], []]
    path = save(tmp_path / "team.xlsx", {"KPIs": [*title, KPI_HEAD, *KPI_ROWS]})
    assert sync(tmp_path, 'okrs = ""') == 0
    ws = openpyxl.load_workbook(path)["KPIs"]
    width = len(KPI_HEAD)
    assert [ws.cell(4, width + i).value for i in (1, 2)] == ["Status", "Note"]
    assert [ws.cell(r, width + 1).value for r in (1, 2, 3, 5, 6)] == [
        None,
        None,
        None,
        "CRITICAL",
        "OK",
    ]
    assert ws["A1"].value == "Sales dashboard"
    assert "OKRs" not in openpyxl.load_workbook(path).sheetnames


def test_a_two_row_header_gets_the_sync_columns_on_its_lower_row(tmp_path: Path) -> None:
    upper: list[Cell] = ["KPI", "Owner", "Rules", None, None, None, "Weekly", None, None]
    lower: list[Cell] = [None, None, "Direction", "Warning", "Critical", "Cadence", *WEEKS]
    path = save(tmp_path / "team.xlsx", {"KPIs": [upper, lower, *KPI_ROWS]})
    assert sync(tmp_path, 'okrs = ""') == 0
    ws = openpyxl.load_workbook(path)["KPIs"]
    assert ws.cell(2, 10).value == "Status"
    assert [ws.cell(r, 10).value for r in (1, 3, 4)] == [None, "CRITICAL", "OK"]


def test_an_okr_only_workbook_runs_and_check_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = save(tmp_path / "team.xlsx", {"Key results": [["Q4 OKRs"], OKR_HEAD, *OKR_ROWS]})
    tabs = 'kpis = ""\nokrs = "Key results"'
    assert sync(tmp_path, tabs, "check") == 0
    assert "tab 'Key results': header on row 2, 1 row(s) below it" in capsys.readouterr().out
    assert sync(tmp_path, tabs) == 0
    ws = openpyxl.load_workbook(path)["Key results"]
    assert [c.value for c in ws[2]][5:9] == ["Progress", "Expected", "Forecast", "Status"]
    assert ws.cell(3, 6).value == 0.5


def test_check_names_the_header_row_override_when_no_row_holds_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(tmp_path / "team.xlsx", {"KPIs": [["Metric", "Warning"], ["Leads", 1]]})
    assert sync(tmp_path, 'okrs = ""', "check") == 2
    out = capsys.readouterr().out
    assert "tab 'KPIs' has no column 'KPI' in its first 20 rows" in out
    assert '[columns] kpi = "<your header>"' in out
    assert "[tabs] header_rows = { kpis = <row> }" in out


def test_on_google_the_header_found_below_a_title_takes_the_columns_in_three_requests(
    tmp_path: Path, sheets_emulator: SheetsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    serials = [(w - dt.datetime(1899, 12, 30)).days for w in WEEKS]
    head = [*KPI_HEAD[:6], *serials]
    key = sheets_emulator.create({"KPIs": [["Sales dashboard"], [], head, *KPI_ROWS]})
    cfg = tmp_path / "metrics-sync.toml"
    workbook = f'[workbook]\nbackend = "google"\nspreadsheet = "{key}"\n'
    tabs = 'okrs = ""\nkpi_log = ""'
    cfg.write_text(config_text(workbook + f'endpoint = "{sheets_emulator.url}"', tabs=tabs))
    as_of = ["--as-of", NOW.isoformat()]
    assert main(["run", "--once", *as_of, "--config", str(cfg)]) == 0
    grid = sheets_emulator.grid(key, "KPIs")
    assert (grid[0][0], grid[2][9], grid[3][9], grid[4][9]) == (
        "Sales dashboard",
        "Status",
        "CRITICAL",
        "OK",
    )
    assert len(grid[0]) == 1 or grid[0][9] in (None, "")
    sheets_emulator.clear_log()
    later = ["--as-of", (NOW + dt.timedelta(hours=1)).isoformat()]  # Checked changes
    assert main(["run", "--once", *later, "--config", str(cfg)]) == 0
    assert len(sheets_emulator.apis()) == 3, sheets_emulator.apis()


def test_on_google_a_column_inserted_under_a_header_below_row_1_stops_the_write(
    sheets_emulator: SheetsEmulator,
) -> None:
    key = sheets_emulator.create({"KPIs": [["Sales dashboard"], [], ["KPI", "Status"], ["A", ""]]})
    cfg = WorkbookConfig(backend="google", spreadsheet=key, endpoint=sheets_emulator.url)
    with open_google(cfg, backoff_factor=0.0) as workbook:
        workbook.read(["KPIs"])
        sheets_emulator.insert_columns(key, "KPIs", 1)
        header = RowKey("KPIs", 3, ((1, "KPI"), (2, "Status")))
        with pytest.raises(ConcurrentEditError, match="row 3: expected 'KPI', found None"):
            workbook.write([CellUpdate("KPIs", 4, 2, "OK")], [], [header])
    assert "OK" not in sheets_emulator.grid(key, "KPIs")[3]
