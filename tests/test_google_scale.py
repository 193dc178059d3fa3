"""14,000 KPIs x 104 weeks against the emulator, which refuses a request body over 10 MiB as
Google does: a first run whose write is over the limit and a steady run succeed, every
request under the 2 MB the backend aims for (Google's advice), none refused. The same at
50,000 and 70,000 KPIs runs in `make bench` (bench/RESULTS.md: requests and the largest body
per size); here the size is the smallest whose first write needs splitting, to keep the suite
within its two minutes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sheets_emulator import SheetsEmulator

from sync.backends.google import open_google
from sync.config import AlertsConfig, Job, OkrConfig, WorkbookConfig
from sync.grid import Grid
from sync.job import run_once
from sync.notify.email import OutboxSender

KPIS, WEEKS = 14_000, 104
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
GOOGLE_LIMIT, ADVISED = 10_485_760, 2_000_000


def wide_kpis(kpis: int, weeks: int) -> Grid:
    """Healthy KPIs in the wide layout, a column a week: a run that mails nobody."""
    first = dt.date(2026, 11, 23) - dt.timedelta(weeks=weeks - 1)
    weeks_head = [(first + dt.timedelta(weeks=w)).isoformat() for w in range(weeks)]
    return [
        ["KPI", "Owner", "Warning", "Critical", *weeks_head],
        *(
            [f"KPI {i}", "ops@example.com", 50, 40, *(60 + (i + w) % 7 for w in range(weeks))]
            for i in range(kpis)
        ),
    ]


@pytest.mark.slow
def test_a_first_write_over_10_mib_and_a_steady_run_go_in_requests_google_accepts(
    sheets_emulator: SheetsEmulator, tmp_path: Path
) -> None:
    okrs: Grid = [
        ["Objective", "Key result", "Start", "Target", "Current"],
        ["Grow", "Ten", 0, 10, 10],
    ]
    key = sheets_emulator.create({"KPIs": wide_kpis(KPIS, WEEKS), "OKRs": okrs})
    assert sheets_emulator.max_request_bytes == GOOGLE_LIMIT
    wb = WorkbookConfig(backend="google", spreadsheet=key, endpoint=sheets_emulator.url)
    job = Job(
        wb,
        okr=OkrConfig(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)),
        alerts=AlertsConfig(recipients=("leads@example.com",)),
    )
    sizes = {}
    for run, now in (("first", NOW), ("steady", NOW + dt.timedelta(hours=1))):
        sheets_emulator.clear_log()
        with open_google(wb) as workbook:
            report = run_once(
                job, workbook, OutboxSender(tmp_path / "outbox"), "s@example.com", now
            )
        assert report.kpis == {"OK": KPIS}
        assert report.exit_code == 0
        assert [
            r for r in sheets_emulator.requests if r.status != 200 and r.api != "values.batchGet"
        ] == []
        sizes[run] = [r.body_size for r in sheets_emulator.requests]
    assert max(sizes["first"] + sizes["steady"]) <= ADVISED
    assert sum(sizes["first"]) > GOOGLE_LIMIT  # the first run's write had to be split
    kpis = sheets_emulator.grid(key, "KPIs")
    status, checked = kpis[0].index("Status"), kpis[0].index("Checked")
    assert {row[status] for row in kpis[1:]} == {"OK"}
    assert {row[checked] for row in kpis[1:]} == {"2026-11-26 09:00+00:00"}
