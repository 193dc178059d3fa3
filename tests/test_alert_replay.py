"""Ninety daily runs of run_once on a real .xlsx file, mailing to an outbox folder.

Between runs a seeded random walk is written into each KPI's ``Current`` cell (now and then
left blank: missing data). The mails each KPI's owner received must be exactly what the
issue promises, counted here from the statuses alone: one per transition into a worse
alerting state, one resolved notice per mailed breach that recovered, one reminder per
``repeat_after`` while breached. A rerun every third day, with nothing changed, would
send nothing and change no cell but ``Checked`` (a dry run: it reports what it would do).

The outbox rather than SMTP keeps 180 runs within seconds (the SMTP path, refusals and
retries are tested in test_alert_delivery.py); each mail is parsed back from its .eml file.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import random
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from sync.backends.xlsx import XlsxWorkbook
from sync.config import Job, parse
from sync.job import run_once
from sync.notify.email import OutboxSender
from sync.report import RunReport

DAYS, KPIS, SEED = 90, 5, 20261126
WARNING_AT, CRITICAL_AT = 100.0, 90.0  # higher is better
REPEAT_DAYS = 3
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
LEVEL = {"WARNING": 1, "CRITICAL": 2}


def owner(k: int) -> str:
    return f"kpi{k}@example.com"


def walks(seed: int) -> list[list[float | None]]:
    """Per KPI, a value per day: a random walk around the thresholds, ~5 % of days blank."""
    rng = random.Random(seed)
    out = []
    for _ in range(KPIS):
        value, days = rng.uniform(90, 110), []
        for _ in range(DAYS):
            value = min(max(value + rng.gauss(0, 5), 70), 130)
            days.append(None if rng.random() < 0.05 else round(value, 1))
        out.append(days)
    return out


def status_of(value: float | None) -> str:
    """The KPI rule for this sheet, stated independently of sync.rules.kpi."""
    if value is None:
        return "NO DATA"
    if value < CRITICAL_AT:
        return "CRITICAL"
    return "WARNING" if value < WARNING_AT else "OK"


@dataclass
class Expected:
    transitions: int = 0  # into an alerting state worse than the one last told
    resolved: int = 0  # back to OK after a mailed breach
    reminders: int = 0  # repeat_after passed while still breached

    @property
    def mails(self) -> int:
        return self.transitions + self.resolved + self.reminders


def expected(statuses: list[str]) -> Expected:
    """What the owner must receive, from the statuses alone (one run a day)."""
    out, told, told_day = Expected(), 0, 0  # told: the level the owner knows of (0: none)
    for day, status in enumerate(statuses):
        level = LEVEL.get(status, 0)
        if level > told:
            out.transitions += 1
            told, told_day = level, day
        elif level and day - told_day >= REPEAT_DAYS:
            out.reminders += 1
            told, told_day = level, day
        elif level:
            told = level  # eased: a later return to the worse level is news again
        elif status == "OK" and told:
            out.resolved += 1
            told = 0
        # NO DATA: missing data never resolves and never eases
    return out


def write_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    kpis = book.active
    assert kpis is not None
    kpis.title = "KPIs"
    kpis.append(["KPI", "Owner", "Warning", "Critical", "Current"])
    for k in range(KPIS):
        kpis.append([f"KPI {k}", owner(k), WARNING_AT, CRITICAL_AT, None])
    okrs = book.create_sheet("OKRs")
    okrs.append(["Objective", "Key result", "Start", "Target", "Current"])
    okrs.append(["Steady", "Ship it", None, "Done", "Done"])
    book.save(path)
    return path


def set_values(path: Path, values: list[float | None]) -> None:
    book = openpyxl.load_workbook(path)
    for k, value in enumerate(values):
        book["KPIs"].cell(row=2 + k, column=5).value = value  # value=None would be ignored
    book.save(path)


STATUS, CHECKED = 6, 10  # the columns the first run adds: Status, Note, Since, Last alert, Checked


def statuses_after(report: RunReport, before: list[str]) -> list[str]:
    """Each KPI's Status cell after a run: the one before, or what the run wrote there."""
    now = list(before) or [""] * KPIS
    for change in report.changes:
        u = change.update
        if u.tab == "KPIs" and u.col == STATUS and u.row > 1:
            now[u.row - 2] = str(u.value)
    return now


def job_for(path: Path) -> Job:
    return parse(
        {
            "workbook": {"path": str(path)},
            "okr": {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 12, 31)},
            "alerts": {"repeat_after": f"{REPEAT_DAYS * 24}h"},
            "email": {"from": "metrics@example.com"},  # owners' domain: mail may go there
        },
        path.parent / "metrics-sync.toml",
    ).jobs[0]


@pytest.mark.slow
def test_ninety_daily_runs_mail_each_kpi_its_transitions_resolutions_and_reminders_only(
    tmp_path: Path,
) -> None:
    path = write_workbook(tmp_path / "replay.xlsx")
    job, values = job_for(path), walks(SEED)
    sender = OutboxSender(tmp_path / "outbox")
    seen: list[list[str]] = []
    for day in range(DAYS):
        today = [values[k][day] for k in range(KPIS)]
        set_values(path, today)
        now = START + dt.timedelta(days=day)
        report = run_once(job, XlsxWorkbook(path), sender, "metrics@example.com", now)
        assert report.failed == {}
        seen.append(statuses_after(report, seen[-1] if seen else []))
        assert seen[-1] == [status_of(v) for v in today], f"day {day}"
        if day % 3 == 0:
            rerun = run_once(
                job,
                XlsxWorkbook(path),
                sender,
                "metrics@example.com",
                now + dt.timedelta(minutes=30),
                dry_run=True,
            )
            assert rerun.mails == [], f"a rerun on day {day} would mail again"
            touched = {c.update.col for c in rerun.changes if c.update.tab == "KPIs"}
            assert touched == {CHECKED}, f"a rerun on day {day} would change more than Checked"

    received: dict[str, list[str]] = {}
    for eml in (tmp_path / "outbox").glob("*.eml"):
        mail = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        body = mail.get_body(("plain",))
        assert body is not None
        received.setdefault(str(mail["To"]), []).append(str(body.get_content()))
    for k in range(KPIS):
        want = expected([day[k] for day in seen])
        mails = received.get(owner(k), [])
        assert len(mails) == want.mails, f"KPI {k}: {want}"
        assert sum("RESOLVED  KPI" in m for m in mails) == want.resolved, f"KPI {k}"
        assert all(f"KPI {k}" in m for m in mails)
    assert sum(expected([day[k] for day in seen]).transitions for k in range(KPIS)) > KPIS
    assert sum(expected([day[k] for day in seen]).reminders for k in range(KPIS)) > KPIS


def test_the_random_walk_crosses_every_threshold_and_leaves_gaps() -> None:
    statuses = {status_of(v) for walk in walks(SEED) for v in walk}
    assert statuses == {"OK", "WARNING", "CRITICAL", "NO DATA"}
