"""The KR history tab on Google, through the real gspread client against the emulator: it is
read with the other tabs and written in the same request, so a steady run stays at 3."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sheets_emulator import SheetsEmulator

from sync.backends import open_workbook
from sync.config import AlertsConfig, Job, OkrConfig, Tabs, WorkbookConfig
from sync.grid import Grid
from sync.job import run_once
from sync.notify.email import OutboxSender

MONDAY = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
OKRS: Grid = [
    ["Objective", "Key result", "Start", "Target", "Current"],
    ["Grow", "Close 12 deals", 0, 12, 3],
    [None, "Publish 6 posts", 0, 6, 2],
]


def job(emulator: SheetsEmulator, key: str) -> Job:
    return Job(
        WorkbookConfig(backend="google", spreadsheet=key, endpoint=emulator.url),
        tabs=Tabs(kpis=""),
        okr=OkrConfig(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)),
        alerts=AlertsConfig(recipients=("leads@example.com",)),
    )


def run(emulator: SheetsEmulator, key: str, now: dt.datetime, tmp_path: Path) -> None:
    j = job(emulator, key)
    with open_workbook(j.workbook) as workbook:
        run_once(j, workbook, OutboxSender(tmp_path / "outbox"), "m@example.com", now)


def test_a_steady_run_that_adds_history_rows_makes_three_requests(
    sheets_emulator: SheetsEmulator, tmp_path: Path
) -> None:
    key = sheets_emulator.create({"OKRs": OKRS})
    run(sheets_emulator, key, MONDAY, tmp_path)  # creates the Status and KR history tabs
    assert len(sheets_emulator.grid(key, "KR history")) == 3
    sheets_emulator.put(key, "OKRs", 2, 5, [[5]])  # a week later, two more deals
    sheets_emulator.clear_log()
    run(sheets_emulator, key, MONDAY + dt.timedelta(weeks=1), tmp_path)
    assert sheets_emulator.apis() == ["values.batchGet", "get", "batchUpdate"]
    history = sheets_emulator.grid(key, "KR history")
    assert [r[2] for r in history[1:]] == ["Close 12 deals", "Publish 6 posts", "Close 12 deals"]
    assert history[-1][:4] == ["2026-11-09", "Grow", "Close 12 deals", 5]


def test_a_rerun_at_the_same_moment_makes_one_request_and_adds_no_row(
    sheets_emulator: SheetsEmulator, tmp_path: Path
) -> None:
    key = sheets_emulator.create({"OKRs": OKRS})
    run(sheets_emulator, key, MONDAY, tmp_path)
    before = sheets_emulator.grid(key, "KR history")
    sheets_emulator.clear_log()
    run(sheets_emulator, key, MONDAY, tmp_path)
    assert sheets_emulator.apis() == ["values.batchGet"]
    assert sheets_emulator.grid(key, "KR history") == before
