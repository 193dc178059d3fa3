"""A team's own column under one of the sync's names is never written.

Small frames go through ``foreign_columns``; the refusals through the real CLI on .xlsx
files: ``check`` exits 2 naming the column and the fix, a run exits 2 and leaves the file
byte for byte as it was, and the fix in the config makes both pass.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import openpyxl
import pytest
from workbooks import config_text

from sync.cli import main
from sync.config import ALL_COLUMNS, KPI_OWNED, OKR_OWNED
from sync.frames import read_sheet
from sync.grid import Cell, Grid
from sync.ownership import foreign_columns

UTC = zoneinfo.ZoneInfo("UTC")
NOW = "2026-11-20T09:00:00+00:00"
STAMP = "2026-11-19 09:00+00:00"


def foreign(head: list[Cell], *rows: list[Cell], owned: tuple[str, ...] = KPI_OWNED) -> list[str]:
    sheet = read_sheet("KPIs", [["KPI", *head], *rows], ALL_COLUMNS, ["kpi", *owned], ["kpi"])
    return [f.column_id for f in foreign_columns(sheet, owned, ALL_COLUMNS, UTC)]


@pytest.mark.parametrize(
    ("head", "row", "theirs"),
    [
        pytest.param(["Status"], ["a", "CRITICAL"], [], id="a status word is the sync's"),
        pytest.param(["Status"], ["a", "On Track"], ["status"], id="a team's status word"),
        pytest.param(["Status"], ["a", None], [], id="an empty column is the sync's to take"),
        pytest.param(["Status", "Checked"], ["a", "OK", STAMP], [], id="a time in Checked"),
        pytest.param(["Status", "Checked"], ["a", "OK", "x"], [], id="junk on a marked row"),
        pytest.param(["Checked"], ["a", "x"], ["checked"], id="junk in Checked, row unmarked"),
        pytest.param(
            ["Status", "Last alert"], ["a", "OK", "sent to Tom"], [], id="typed over, marked row"
        ),
        pytest.param(["Since"], ["a", dt.datetime(2026, 11, 2)], [], id="a typed date in Since"),
        pytest.param(["Last alert"], ["a", f"CRITICAL {STAMP}"], [], id="a Last alert"),
        pytest.param(["Last alert"], ["a", "sent to Tom"], ["last_alert"], id="a person's alert"),
        pytest.param(["Status", "Note"], ["a", "OK", "fine"], [], id="a note on a marked row"),
        pytest.param(["Note"], ["a", "ask Tom"], ["note"], id="the team's notes"),
    ],
)
def test_a_column_is_the_sync_s_only_if_it_holds_what_the_sync_writes(
    head: list[Cell], row: list[Cell], theirs: list[str]
) -> None:
    assert foreign(head, row) == theirs


def test_a_progress_formula_s_figures_on_unmarked_rows_are_the_team_s() -> None:
    assert foreign(["Progress"], ["a", 0.42], owned=OKR_OWNED) == ["progress"]
    assert foreign(["Progress", "Status"], ["a", 0.42, "AT RISK"], owned=OKR_OWNED) == []


@pytest.mark.parametrize(
    ("head", "row", "theirs"),
    [
        pytest.param(["Forecast"], ["a", 0.6], ["forecast"], id="a figure on an unmarked row"),
        pytest.param(["Forecast", "Status"], ["a", 0.6, "AT RISK"], [], id="the sync's figure"),
        pytest.param(["Forecast", "Status"], ["a", None, "AT RISK"], [], id="no forecast"),
        pytest.param(
            ["Forecast", "Status"], ["a", "on plan", "AT RISK"], ["forecast"], id="team's words"
        ),
    ],
)
def test_a_forecast_column_is_the_sync_s_only_where_it_marked_the_row_and_with_a_figure(
    head: list[Cell], row: list[Cell], theirs: list[str]
) -> None:
    """Forecast is newer than a team's sheet may be: its own Forecast, typed in words, is kept."""
    assert foreign(head, row, owned=OKR_OWNED) == theirs


# --- on a real file -------------------------------------------------------------------------

KPI_HEAD: list[Cell] = ["KPI", "Warning", "Critical", "Current", "Status"]
KPI_ROWS: Grid = [["Revenue", 90, 80, 95, "On Track"], ["Margin", 0.3, 0.2, 0.1, "Below Target"]]


def setup(folder: Path, columns: str = "") -> tuple[Path, Path]:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "KPIs"
    for row in [KPI_HEAD, *KPI_ROWS]:
        ws.append(row)
    path = folder / "team.xlsx"
    book.save(path)
    cfg = folder / "metrics-sync.toml"
    text = config_text('[workbook]\npath = "team.xlsx"', tabs='okrs = ""\nkpi_log = ""')
    cfg.write_text(text + columns)
    return path, cfg


def test_check_and_the_run_refuse_a_team_s_status_column_and_leave_the_file_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, cfg = setup(tmp_path)
    raw = path.read_bytes()
    assert main(["check", "--config", str(cfg)]) == 2
    out = capsys.readouterr().out
    assert "tab 'KPIs' column E 'Status' is the team's, not the sync's: it holds 'On Track'" in out
    assert '[columns.kpis] status = "Sync status"' in out
    assert main(["run", "--once", "--as-of", NOW, "--config", str(cfg)]) == 2
    assert '[columns.kpis] status = "Sync status"' in capsys.readouterr().err
    assert path.read_bytes() == raw


def test_the_fix_check_suggests_lets_the_run_write_its_own_column_beside_the_team_s(
    tmp_path: Path,
) -> None:
    path, cfg = setup(tmp_path, '\n[columns.kpis]\nstatus = "Sync status"\n')
    assert main(["check", "--config", str(cfg)]) == 0
    assert main(["run", "--once", "--as-of", NOW, "--config", str(cfg)]) == 0
    ws = openpyxl.load_workbook(path)["KPIs"]
    assert [ws.cell(r, 5).value for r in (1, 2, 3)] == ["Status", "On Track", "Below Target"]
    assert [ws.cell(r, 6).value for r in (1, 2, 3)] == ["Sync status", "OK", "CRITICAL"]
