"""The weekly digest: when it is due (sync.digest, pure) and what a run does about it.

Its state is one row of the Status tab, so every run below starts from the file alone, as a
cron run does; nothing is carried in memory from one run to the next.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest

from sync import digest as weekly
from sync.backends.xlsx import XlsxWorkbook
from sync.config import Config, DigestConfig, parse
from sync.job import run_once
from sync.notify.email import SmtpSender
from sync.report import RunReport

if TYPE_CHECKING:
    from tests.conftest import SmtpServer

UTC = dt.UTC
PARIS = "Europe/Paris"
THURSDAY_9_PARIS = DigestConfig(
    weekday="thursday",
    at=dt.time(9, 0),
    timezone=PARIS,
    recipients=("boss@example.com", "cfo@example.com"),
)
SLOT = dt.datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # Thursday 09:00 in Paris (CET)
BOSS, CFO, LEADS = "boss@example.com", "cfo@example.com", "leads@example.com"


# -- when it is due -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        (SLOT, SLOT),
        (SLOT + dt.timedelta(hours=5), SLOT),
        (SLOT - dt.timedelta(minutes=1), SLOT - dt.timedelta(days=7)),
        (SLOT + dt.timedelta(days=6, hours=23), SLOT),
        # Summer time: 09:00 in Paris is 07:00 UTC.
        (dt.datetime(2026, 6, 4, 7, 30, tzinfo=UTC), dt.datetime(2026, 6, 4, 7, 0, tzinfo=UTC)),
    ],
)
def test_the_latest_slot_is_the_weekday_and_time_in_the_digests_own_zone(
    now: dt.datetime, slot: dt.datetime
) -> None:
    assert weekly.latest_slot(now, THURSDAY_9_PARIS) == slot


def test_a_digest_never_sent_is_due_at_once_to_every_manager() -> None:
    assert weekly.due_recipients(weekly.WeeklyState(), SLOT, THURSDAY_9_PARIS) == (BOSS, CFO)


def test_a_digest_sent_after_this_weeks_slot_is_not_due_until_the_next() -> None:
    sent = weekly.WeeklyState(SLOT + dt.timedelta(minutes=5))
    assert weekly.due_recipients(sent, SLOT + dt.timedelta(days=6), THURSDAY_9_PARIS) == ()
    assert weekly.due_recipients(sent, SLOT + dt.timedelta(days=7), THURSDAY_9_PARIS) == (BOSS, CFO)


def test_after_weeks_without_a_run_one_digest_is_sent_not_one_per_missed_week() -> None:
    now = SLOT + dt.timedelta(days=22)
    state = weekly.WeeklyState(SLOT - dt.timedelta(days=30))
    due = weekly.due_recipients(state, now, THURSDAY_9_PARIS)
    after = weekly.next_state(state, due, due, now, THURSDAY_9_PARIS)
    assert due == (BOSS, CFO)
    assert weekly.due_recipients(after, now + dt.timedelta(hours=1), THURSDAY_9_PARIS) == ()


def test_only_the_managers_whose_server_refused_it_are_owed_the_digest() -> None:
    after = weekly.next_state(weekly.WeeklyState(), (BOSS, CFO), {BOSS}, SLOT, THURSDAY_9_PARIS)
    assert after == weekly.WeeklyState(SLOT, (CFO,))
    later = SLOT + dt.timedelta(hours=1)
    assert weekly.due_recipients(after, later, THURSDAY_9_PARIS) == (CFO,)
    done = weekly.next_state(after, (CFO,), {CFO}, later, THURSDAY_9_PARIS)
    assert done == weekly.WeeklyState(SLOT, ())


def test_the_state_row_reads_back_as_written_in_any_zone() -> None:
    state = weekly.WeeklyState(SLOT, (CFO, BOSS))
    [row] = weekly.rows(state, zoneinfo.ZoneInfo(PARIS))
    assert row[:2] == ["Last weekly digest", "2026-11-26 09:00+01:00"]
    assert weekly.read_state([["metrics-sync — team"], ["Last run", "x"], row]) == state


@pytest.mark.parametrize(
    "grid",
    [None, [], [["Last weekly digest"]], [["Last weekly digest", "whenever"]], [["KPIs", "3 OK"]]],
)
def test_a_missing_or_unreadable_state_row_means_never_sent(grid: Any) -> None:
    assert weekly.read_state(grid) == weekly.WeeklyState()


# -- a run ----------------------------------------------------------------------------------


def write_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    kpis = book.active
    assert kpis is not None
    kpis.title = "KPIs"
    for row in (
        ["KPI", "Owner", "Warning", "Critical", "Current"],
        ["Signups", None, 480, 450, 470],  # WARNING: an alert mail to leads
        ["Uptime", None, 0.999, 0.995, 0.9996],
    ):
        kpis.append(row)
    okrs = book.create_sheet("OKRs")
    for okr in (
        ["Objective", "Key result", "Start", "Target", "Current"],
        ["Grow the pipeline", "Leads from 400 to 600", 400, 600, 560],
        ["Be reliable", "Ship the status page", None, "Done", "Done"],
    ):
        okrs.append(okr)
    book.save(path)
    return path


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = write_workbook(tmp_path / "team.xlsx")
    return parse(
        {
            "workbook": {"path": str(path)},
            "okr": {"start": dt.date(2026, 10, 1), "end": dt.date(2026, 12, 31)},
            "alerts": {"recipients": [LEADS]},
            "digest": {
                "weekday": "thursday",
                "time": "09:00",
                "timezone": PARIS,
                "recipients": [BOSS, CFO],
            },
        },
        tmp_path / "metrics-sync.toml",
    )


def run(config: Config, server: SmtpServer, now: dt.datetime, **options: Any) -> RunReport:
    job = config.jobs[0]
    assert job.workbook.path is not None
    sender = SmtpSender(server.config(), None, ssl_context=server.client_context)
    return run_once(
        job,
        XlsxWorkbook(job.workbook.path),
        sender,
        "metrics@example.com",
        now,
        digest=options.pop("digest", config.digest),
        **options,
    )


def weekly_to(server: SmtpServer) -> list[str]:
    return sorted(
        e.rcpt_tos[0] for e in server.handler.received if "Weekly summary" in e.message["Subject"]
    )


def status_tab(config: Config) -> list[tuple[Any, ...]]:
    assert config.jobs[0].workbook.path is not None
    return list(
        openpyxl.load_workbook(config.jobs[0].workbook.path)["Status"].iter_rows(values_only=True)
    )


def test_the_managers_get_the_weekly_summary_once_per_week_from_the_workbooks_state(
    config: Config, smtp_server: SmtpServer
) -> None:
    run(config, smtp_server, SLOT + dt.timedelta(minutes=5))
    assert weekly_to(smtp_server) == [BOSS, CFO]
    assert ("Last weekly digest", "2026-11-26 08:05+00:00") in [r[:2] for r in status_tab(config)]
    for later in (dt.timedelta(hours=1), dt.timedelta(days=6, hours=23, minutes=59)):
        run(config, smtp_server, SLOT + later)
    assert weekly_to(smtp_server) == [BOSS, CFO]
    run(config, smtp_server, SLOT + dt.timedelta(days=7))
    assert weekly_to(smtp_server) == [BOSS, BOSS, CFO, CFO]


def test_the_weekly_summary_lists_every_objective_and_kpi_and_is_not_an_alert(
    config: Config, smtp_server: SmtpServer
) -> None:
    report = run(config, smtp_server, SLOT)
    [mail] = [e.message for e in smtp_server.handler.received if e.rcpt_tos == (BOSS,)]
    assert mail["Subject"] == "[metrics-sync] Weekly summary — team"
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    for name in ("Grow the pipeline", "Be reliable", "Signups", "Uptime"):
        assert name in text
    assert "Leads from 400 to 600" not in text  # objectives and KPIs; key results roll up
    assert [(m.recipient, m.weekly, m.items) for m in report.mails] == [
        (LEADS, False, 1),
        (BOSS, True, 4),
        (CFO, True, 4),
    ]


def test_a_manager_whose_server_refused_it_gets_it_on_the_next_run_and_only_they(
    config: Config, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.refuse.add(CFO)
    report = run(config, smtp_server, SLOT)
    assert report.exit_code == 1
    assert set(report.failed) == {f"{CFO} (weekly digest)"}
    [row] = [r for r in status_tab(config) if r[0] == "Last weekly digest"]
    assert row[2] == f"not yet accepted for {CFO}; retried next run"
    smtp_server.handler.refuse.clear()
    retry = run(config, smtp_server, SLOT + dt.timedelta(minutes=15))
    assert retry.exit_code == 0
    assert weekly_to(smtp_server) == [BOSS, CFO]
    [row] = [r for r in status_tab(config) if r[0] == "Last weekly digest"]
    assert row[1:3] == ("2026-11-26 08:00+00:00", None)
    run(config, smtp_server, SLOT + dt.timedelta(minutes=30))
    assert weekly_to(smtp_server) == [BOSS, CFO]


def test_a_dry_run_lists_the_weekly_digest_but_sends_and_records_nothing(
    config: Config, smtp_server: SmtpServer
) -> None:
    report = run(config, smtp_server, SLOT, dry_run=True)
    assert [m.recipient for m in report.mails if m.weekly] == [BOSS, CFO]
    assert smtp_server.handler.received == []
    run(config, smtp_server, SLOT + dt.timedelta(minutes=5))
    assert weekly_to(smtp_server) == [BOSS, CFO]


def test_without_a_digest_section_no_summary_is_sent(
    config: Config, smtp_server: SmtpServer
) -> None:
    run(config, smtp_server, SLOT, digest=None)
    assert weekly_to(smtp_server) == []
    assert "Last weekly digest" not in [r[0] for r in status_tab(config)]
