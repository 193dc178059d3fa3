"""Forty workbooks, one quota, a bad day at Google: the worker paces itself and fails fast.

The emulator enforces Google's per-user quota (tests/sheets_emulator/quota.py) over a
short window, and the worker's pacing is given the same window, so a minute of Google
is half a second here.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import pytest
import reliability_book as rb
import workbooks
from ping_server import ping_server
from sheets_emulator import Fault, SheetsEmulator

from sync import logs
from sync.config import Config, load
from sync.monitor import Heartbeat
from sync.output import Output
from sync.pacing import Limits, Pacing, shortfalls
from sync.runner import Runner
from sync.tick import interval

FLEET = 40
WINDOW = 0.5  # seconds standing for Google's minute
STEADY = rb.NOW + dt.timedelta(hours=1)


def fleet_config(
    folder: Path, emulator: SheetsEmulator, keys: list[str], google: str = ""
) -> Config:
    sections = "".join(
        f'[[workbooks]]\nbackend = "google"\nname = "team{i:02}"\nspreadsheet = "{key}"\n'
        f'endpoint = "{emulator.url}"\n\n'
        for i, key in enumerate(keys)
    )
    text = workbooks.config_text(
        f"[google]\nretry_base = 0.01\n{google}\n\n{sections}",
        tabs='kpi_log = ""',
        recipients=(rb.LEADS,),
        sender=rb.SENDER,
    )
    path = folder / "metrics-sync.toml"
    path.write_text(text, encoding="utf-8")
    return load(path)


def books(emulator: SheetsEmulator, count: int) -> list[str]:
    return [emulator.create({"KPIs": rb.KPIS, "OKRs": rb.OKRS}) for _ in range(count)]


def runner(cfg: Config, pacing: Pacing, ping: str | None = None) -> Runner:
    return Runner(cfg, Output(logs.Redactor()), Heartbeat(ping), pacing)


def statuses(emulator: SheetsEmulator, key: str) -> list[object]:
    grid = emulator.grid(key, "KPIs")
    col = grid[0].index("Status")
    return [row[col] for row in grid[1:]]


@pytest.mark.slow
def test_forty_workbooks_under_one_quota_are_all_done_without_a_single_429(
    sheets_emulator: SheetsEmulator, tmp_path: Path
) -> None:
    keys = books(sheets_emulator, FLEET)
    cfg = fleet_config(tmp_path, sheets_emulator, keys)
    first_quota = sheets_emulator.limit(reads=30, writes=30, window=WINDOW)
    first = runner(cfg, Pacing(Limits(30, 30, window=WINDOW, margin=0.0))).run_all(
        rb.NOW, dry_run=False
    )
    steady_quota = sheets_emulator.limit(reads=8, writes=4, window=WINDOW)
    pacing = Pacing(Limits(8, 4, window=WINDOW, margin=0.0))
    steady = runner(cfg, pacing).run_all(STEADY, dry_run=False)
    assert (first_quota.refused, steady_quota.refused) == (0, 0)
    assert (first, steady) == (0, 0)
    assert pacing.paced > 0  # the quota, not the round trips, bounded the steady run
    expected = list(rb.EXPECTED_KPI_STATUS.values())
    assert all(statuses(sheets_emulator, key) == expected for key in keys)


def test_a_run_throttled_by_someone_else_sharing_the_account_says_so_with_counts(
    sheets_emulator: SheetsEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    quota = sheets_emulator.limit(reads=6, writes=30, window=WINDOW)
    keys = books(sheets_emulator, 4)
    cfg = fleet_config(tmp_path, sheets_emulator, keys, google="workers = 2")
    pacing = Pacing(Limits(reads=30, writes=30, window=WINDOW, margin=0.0))
    with caplog.at_level(logging.WARNING, logger="metrics_sync"):
        runner(cfg, pacing).run_all(rb.NOW, dry_run=False)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    throttled = [w for w in warnings if "answered 429" in w]
    assert quota.refused > 0
    assert throttled == [
        f"Google answered 429 (quota exceeded) to {sum(pacing.throttled.values())} request(s) "
        f"in {len(pacing.throttled)} workbook(s) this run, though the worker paces itself to "
        "30 reads and 30 writes a minute: another process may share the account's quota"
    ]


def test_an_outage_of_google_ends_a_forty_workbook_run_early_with_exit_2_and_a_fail_ping(
    sheets_emulator: SheetsEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = books(sheets_emulator, FLEET)
    sheets_emulator.fail(Fault.error(502, html=True), times=100_000)
    cfg = fleet_config(tmp_path, sheets_emulator, keys)
    started = time.monotonic()
    with ping_server() as pings, caplog.at_level(logging.INFO, logger="metrics_sync"):
        code = runner(cfg, Pacing(), pings.url).run_all(rb.NOW, dry_run=False)
    took = time.monotonic() - started
    assert code == 2
    assert took < 60
    assert pings.paths()[-1] == "/fail"
    tried = {r.path.split("/")[3] for r in sheets_emulator.requests}
    assert len(tried) <= cfg.google.workers + 2  # the breaker skipped the rest
    (stopped,) = [r.getMessage() for r in caplog.records if "run stopped early" in r.getMessage()]
    assert "3 workbooks in a row failed with Google unavailable (HTTP 5xx or timeouts)" in stopped
    assert f"{FLEET - len(tried)} workbook(s) skipped" in stopped


def test_a_budget_too_small_for_the_schedule_is_named_with_its_numbers(
    sheets_emulator: SheetsEmulator, tmp_path: Path
) -> None:
    cfg = fleet_config(
        tmp_path, sheets_emulator, [f"key{i}" for i in range(FLEET)], "reads_per_minute = 100"
    )
    every_minute = dt.timedelta(minutes=1).total_seconds()
    (problem,) = shortfalls(cfg.jobs, Limits(reads=100, writes=100), every_minute)
    assert problem.startswith(
        "40 workbook(s) x up to 3 read requests a run = 120 > 100 reads a minute x 1 "
        "minute(s) between runs = 100 for default credentials at http://127.0.0.1:"
    )
    assert shortfalls(cfg.jobs, Limits(reads=100, writes=100), interval(cfg.schedule)) == []


def test_check_warns_when_the_quota_cannot_hold_the_schedule(
    sheets_emulator: SheetsEmulator, tmp_path: Path
) -> None:
    from sync.checks import check_config

    keys = [f"key{i}" for i in range(FLEET)]
    cfg = fleet_config(
        tmp_path, sheets_emulator, keys, "reads_per_minute = 100\nwrites_per_minute = 100"
    )
    assert not [f for f in check_config(cfg) if "quota" in f.what]
    every_minute = tmp_path / "every-minute.toml"
    every_minute.write_text(
        cfg.source.read_text(encoding="utf-8") + '\n[schedule]\nevery = "1m"\n', encoding="utf-8"
    )
    (warned,) = [f for f in check_config(load(every_minute)) if "quota" in f.what]
    assert warned.level == "warn"
    assert "40 workbook(s) x up to 3 read requests a run = 120 > 100 reads a minute" in warned.what


def test_a_run_past_its_deadline_starts_no_more_workbooks_and_says_so(
    sheets_emulator: SheetsEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = books(sheets_emulator, 3)
    cfg = fleet_config(tmp_path, sheets_emulator, keys)
    with caplog.at_level(logging.ERROR, logger="metrics_sync"):
        code = runner(cfg, Pacing()).run_all(rb.NOW, dry_run=False, deadline=0.0)
    assert code == 2
    assert sheets_emulator.requests == []
    (stopped,) = [r.getMessage() for r in caplog.records if "run stopped early" in r.getMessage()]
    assert "the run's deadline (0 s) has passed; 3 workbook(s) skipped" in stopped
