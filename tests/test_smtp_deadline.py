"""A stalling SMTP server costs a run its ``[email] deadline``, never more.

A socket timeout bounds one read: a server that trickles a byte at a time never trips it,
and one that hangs after DATA costs a timeout per recipient. Against a real tarpit on
loopback (tests/hostile_smtp.py), the run ends within its deadline, exits 1 and says why; the
mails it could not send are left for the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from hostile_smtp import hostile_smtp
from workbooks import AS_OF, config_text, demo_workbook

from sync import cli
from sync.config import EmailConfig
from sync.notices import AlertItem, Digest
from sync.notify.compose import compose
from sync.notify.email import SmtpSender

ANA, BO, CY = "ana@example.com", "bo@example.com", "cy@example.com"
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
SLACK = 3.0  # seconds allowed beyond the deadline on a busy 2-core machine


def mail_for(recipient: str) -> tuple[str, EmailMessage]:
    item = AlertItem("kpi", "Signups", "CRITICAL", "", "new", 2, "KPIs")
    return recipient, compose(Digest(recipient, (item,), "Team metrics", None, NOW), "m@x.org")


def plain(port: int, **overrides: object) -> EmailConfig:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "timeout": 10.0,
        "deadline": 1.0,
    }
    return EmailConfig(**{**values, **overrides})  # type: ignore[arg-type]


def test_a_server_trickling_its_greeting_costs_the_deadline_not_forever() -> None:
    with hostile_smtp("trickle") as pit:
        started = time.monotonic()
        report = SmtpSender(plain(pit.port), None).send([mail_for(ANA), mail_for(BO)])
        took = time.monotonic() - started
    assert took < 1.0 + SLACK
    assert report.accepted == frozenset()
    assert set(report.failed) == {ANA, BO}
    assert "1s" in report.failed[ANA]
    assert pit.connections == 1  # a stalled greeting is not tried again for each mail


def test_a_server_hanging_after_data_costs_the_deadline_not_a_timeout_per_recipient() -> None:
    recipients = [f"owner{i}@example.com" for i in range(20)]
    with hostile_smtp("hang_after_data") as pit:
        started = time.monotonic()
        report = SmtpSender(plain(pit.port, timeout=5.0), None).send(
            [mail_for(r) for r in recipients]
        )
        took = time.monotonic() - started
    assert took < 1.0 + SLACK  # not 20 x 5 s
    assert report.accepted == frozenset()
    assert set(report.failed) == set(recipients)
    assert pit.messages >= 1
    left = [why for why in report.failed.values() if "deadline of 1s for a run's mail" in why]
    assert left, report.failed


def test_each_mail_has_its_own_budget_so_one_stall_does_not_take_the_whole_deadline() -> None:
    with hostile_smtp("hang_after_data") as pit:
        started = time.monotonic()
        report = SmtpSender(plain(pit.port, timeout=0.2, deadline=60.0), None).send(
            [mail_for(ANA), mail_for(BO), mail_for(CY)]
        )
        took = time.monotonic() - started
    assert took < 3 * 4 * 0.2 + SLACK
    assert pit.messages == 3  # each mail was offered on a connection of its own
    assert set(report.failed) == {ANA, BO, CY}


@pytest.mark.parametrize("mode", ["trickle", "hang_after_data"])
def test_a_run_against_a_tarpit_ends_within_its_deadline_exits_1_and_says_why(
    mode: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    workbook = demo_workbook(tmp_path / "team-metrics.xlsx")
    with hostile_smtp(mode) as pit:  # type: ignore[arg-type]
        config = tmp_path / "metrics-sync.toml"
        config.write_text(
            config_text(
                email=f'host = "127.0.0.1"\nport = {pit.port}\nstarttls = false\n'
                "timeout = 10\ndeadline = 1"
            ),
            encoding="utf-8",
        )
        started = time.monotonic()
        with caplog.at_level(logging.INFO):
            code = cli.main(["run", "--once", "--config", str(config), "--as-of", AS_OF])
        took = time.monotonic() - started
    assert code == 1
    assert took < 1.0 + 10.0  # the run's other work (pandas, charts) plus the 1 s deadline
    assert "[email] deadline" in caplog.text
    assert "left for the next run" in caplog.text
    assert "Traceback" not in caplog.text
    assert _last_alerts(workbook) == set(), "no mail may be recorded as sent"


def _last_alerts(path: Path) -> set[str]:
    """The non-empty ``Last alert`` cells of the KPIs tab."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book["KPIs"].iter_rows(values_only=True))
    finally:
        book.close()
    column = rows[0].index("Last alert")
    return {str(r[column]) for r in rows[1:] if r[column] not in (None, "")}
