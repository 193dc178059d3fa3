"""The whole loop on a real .xlsx file: write it with openpyxl, run the CLI, reopen it."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from workbooks import config_text

from sync.cli import main

WEEKS = [dt.datetime(2026, 11, 2), dt.datetime(2026, 11, 9), dt.datetime(2026, 11, 16)]
KPI_HEAD = ["KPI", "Owner", "Team notes", "Warning", "Critical", "Max change %", "Cadence", *WEEKS]
KPI_ROWS: list[list[Any]] = [
    ["Qualified leads", "sam@example.com", "from the CRM", 480, 450, 15, "weekly", 515, 500, 412],
    ["Uptime", "", "", 0.999, 0.995, None, "weekly", 0.9996, 0.9998, 0.9997],
    ["Deploys", "ops@example.com", "no threshold on purpose", None, None, None, "", 14, 17, 21],
    ['=IMPORTXML("http://evil")', "", "a hostile name", 10, 5, None, "", 12, 13, 14],
    ["Churn", "", "typo in warning", "3%%", 0.05, None, "", 0.02, 0.03, 0.04],
]
OKR_HEAD = ["Objective", "Key result", "Owner", "Start", "Target", "Current", "Kind", "Mine"]
OKR_ROWS: list[list[Any]] = [
    ["Grow pipeline", "Leads from 400 to 600", "sam@example.com", 400, 600, 500, "committed", "x"],
    [None, "Close 12 deals", "sam@example.com", 0, 12, 2, "committed", None],
    ["Reliability", "Ship status page", "ops@example.com", None, "Done", "Done", None, None],
    [None, "Cut P1 bugs from 10 to 0", "ops@example.com", 10, 0, 4, "aspirational", None],
]
CONFIG = config_text('[workbook]\nbackend = "xlsx"\npath = "team.xlsx"', sender="sync@example.com")
NOW = "2026-11-20T09:00:00+00:00"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    kpis = book.active
    assert kpis is not None
    kpis.title = "KPIs"
    for row in [KPI_HEAD, *KPI_ROWS]:
        kpis.append(row)
    kpis["A5"].data_type = "s"  # typed by a person as text, as Sheets/Excel would keep it
    kpis["C3"] = "=LEN(B2)"  # a user's own formula in a user column
    okrs = book.create_sheet("OKRs")
    for row in [OKR_HEAD, *OKR_ROWS]:
        okrs.append(row)
    book.create_sheet("Other").append(["untouched", 1, dt.datetime(2026, 1, 1)])
    path = tmp_path / "team.xlsx"
    book.save(path)
    (tmp_path / "metrics-sync.toml").write_text(CONFIG)
    return path


def snapshot(path: Path) -> dict[tuple[str, str], tuple[Any, str]]:
    book = openpyxl.load_workbook(path)
    return {
        (ws.title, c.coordinate): (c.value, c.data_type)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c, Cell) and c.value is not None
    }


def column(path: Path, tab: str, header: str) -> list[Any]:
    ws = openpyxl.load_workbook(path)[tab]
    heads = [c.value for c in ws[1]]
    col = heads.index(header) + 1
    return [ws.cell(row=r, column=col).value for r in range(2, ws.max_row + 1)]


def run(workbook: Path, *extra: str) -> int:
    return main(
        [
            "run",
            "--once",
            "--config",
            str(workbook.parent / "metrics-sync.toml"),
            "--as-of",
            NOW,
            *extra,
        ]
    )


def test_a_run_writes_kpi_statuses_and_notes(workbook: Path) -> None:
    assert run(workbook) == 1  # one row is ERROR: ran, but not all is well
    assert column(workbook, "KPIs", "Status") == ["CRITICAL", "OK", "NO THRESHOLD", "OK", "ERROR"]
    notes = column(workbook, "KPIs", "Note")
    assert notes[0].startswith("412 < critical 450")
    assert "-17.6 % since 2026-11-09" in notes[0]
    assert "B6" not in notes[4]
    assert "D6" in notes[4]
    assert "'3%%'" in notes[4]


def test_a_run_writes_key_result_progress_expected_and_status(workbook: Path) -> None:
    run(workbook)
    assert column(workbook, "OKRs", "Progress") == [0.5, pytest.approx(0.1667, abs=1e-4), 1.0, 0.6]
    expected = column(workbook, "OKRs", "Expected")
    # 2026-11-20 09:00 is 50.4 days into a 92-day cycle.
    assert expected[0] == pytest.approx(50.375 / 92, abs=1e-3)
    assert expected[3] == pytest.approx(0.7 * 50.375 / 92, abs=1e-3)
    assert column(workbook, "OKRs", "Status") == ["ON TRACK", "OFF TRACK", "DONE", "ON TRACK"]


def test_the_status_tab_shows_counts_objectives_and_kpis_worst_first(workbook: Path) -> None:
    run(workbook)
    ws = openpyxl.load_workbook(workbook)["Status"]
    cells = [list(row) for row in ws.iter_rows(values_only=True)]
    text = "\n".join(" | ".join("" if c is None else str(c) for c in row) for row in cells)
    assert "Grow pipeline" in text
    assert "Reliability" in text
    assert "▓" in text
    kpi_header = next(i for i, row in enumerate(cells) if row[0] == "KPI")
    first_kpis = [cells[i][0] for i in range(kpi_header + 1, kpi_header + 3)]
    assert first_kpis == ["Churn", "Qualified leads"]  # ERROR, then CRITICAL


def test_nothing_outside_the_owned_columns_and_tab_changes(workbook: Path) -> None:
    before = snapshot(workbook)
    run(workbook)
    after = snapshot(workbook)
    owned_headers = {
        *("Status", "Note", "Since", "Last alert", "Checked", "Progress", "Expected", "Forecast")
    }
    owned_tabs = ("Status", "KR history")
    book = openpyxl.load_workbook(workbook)
    owned_cols = {
        (ws.title, c.column_letter)
        for ws in book.worksheets
        if ws.title not in owned_tabs
        for c in ws[1]
        if c.value in owned_headers
    }
    for key, value in before.items():
        assert after.get(key) == value, key
    for (tab, coord), _ in after.items():
        if (tab, coord) in before or tab in owned_tabs:
            continue
        letters = coord.rstrip("0123456789")
        assert (tab, letters) in owned_cols, f"{tab}!{coord} written outside owned columns"


def test_no_formula_is_ever_written(workbook: Path) -> None:
    run(workbook)
    book = openpyxl.load_workbook(workbook)
    formulas = [
        (ws.title, c.coordinate)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    assert formulas == [("KPIs", "C3")]  # the user's own, and only it
    status = book["Status"]
    names = [
        c.value
        for row in status.iter_rows()
        for c in row
        if isinstance(c.value, str) and "IMPORTXML" in c.value
    ]
    assert names
    assert all(isinstance(n, str) for n in names)


def test_alerting_rows_are_mailed_once_as_one_digest_per_recipient(workbook: Path) -> None:
    run(workbook)
    outbox = workbook.parent / "outbox"
    mails = {
        m["To"]: m
        for m in (
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in outbox.glob("*.eml")
        )
    }
    assert set(mails) == {"sam@example.com", "leads@example.com"}
    assert "1 critical" in mails["sam@example.com"]["Subject"]
    assert column(workbook, "KPIs", "Last alert")[0].startswith("CRITICAL 2026-11-20 09:00")
    before = sorted(outbox.glob("*.eml"))
    run(workbook)  # nothing changed: nothing new to say
    assert sorted(outbox.glob("*.eml")) == before


def test_a_dry_run_writes_and_sends_nothing(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = workbook.read_bytes()
    assert run(workbook, "--dry-run") == 1
    out = capsys.readouterr().out
    assert "KPIs!" in out
    assert "-> 'CRITICAL'" in out
    assert "to sam@example.com" in out
    assert workbook.read_bytes() == before
    assert not (workbook.parent / "outbox").exists()


def test_a_missing_tab_is_one_clear_line_and_exit_2(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = openpyxl.load_workbook(workbook)
    del book["OKRs"]
    book.save(workbook)
    assert run(workbook) == 2
    err = capsys.readouterr().err
    assert "tab 'OKRs' not found" in err
    assert "Traceback" not in err


def test_a_missing_required_column_names_the_tab_and_column(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = openpyxl.load_workbook(workbook)
    book["KPIs"]["A1"] = "Metric"
    book.save(workbook)
    assert run(workbook) == 2
    assert "tab 'KPIs': no column 'KPI' in row 1" in capsys.readouterr().err


def test_the_cli_sends_the_weekly_digest_to_the_managers_once(workbook: Path) -> None:
    config = workbook.parent / "metrics-sync.toml"
    config.write_text(
        CONFIG
        + """
[digest]
weekday = "friday"
at = "08:00"
recipients = ["managers@example.com"]
"""
    )
    outbox = workbook.parent / "outbox"

    def weekly() -> list[str]:
        mails = (
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in outbox.glob("*.eml")
        )
        return [str(m["Subject"]) for m in mails if m["To"] == "managers@example.com"]

    run(workbook)  # 2026-11-20 is a Friday, 09:00 is past the slot
    assert weekly() == ["[metrics-sync] Weekly summary — team"]
    run(workbook)
    assert len(weekly()) == 1


def test_a_key_result_linked_to_a_kpi_name_used_twice_is_an_error_not_a_guess(
    workbook: Path,
) -> None:
    book = openpyxl.load_workbook(workbook)
    kpis, okrs = book["KPIs"], book["OKRs"]
    kpis.append(["Qualified leads", "", "a second row by mistake", 480, 450, None, "", 1, 2, 3])
    okrs["I1"] = "KPI"
    okrs["I2"] = "qualified leads"
    book.save(workbook)
    run(workbook)
    status = column(workbook, "OKRs", "Status")
    assert status[0] == "ERROR"
    text = "\n".join(
        str(c)
        for row in openpyxl.load_workbook(workbook)["Status"].iter_rows(values_only=True)
        for c in row
        if c
    )
    assert "I2 'qualified leads': that KPI name is on several rows of the KPIs tab" in text
