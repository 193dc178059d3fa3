"""Alerts end to end: run_once on a real .xlsx file, mails to a real SMTP server (aiosmtpd).

What the server received is parsed back, and the workbook is reopened, so each test checks
what a recipient and a person reading the sheet would see. Senders are the real ones; the
only stand-in is a sender that crashes after delivering, to play a run killed mid-way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
from workbooks import config_text

from sync.backends.xlsx import XlsxWorkbook
from sync.cli import main
from sync.config import Job, parse
from sync.job import run_once
from sync.notices import DeliveryReport
from sync.notify import chart
from sync.notify.email import Messages, SmtpSender
from sync.report import RunReport

if TYPE_CHECKING:
    from tests.conftest import SmtpServer, SmtpServerFactory

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=15)
ANA, BO, CY, LEADS = "ana@example.com", "bo@example.com", "cy@example.com", "leads@example.com"
SENDER = "metrics@example.com"
WEEKS = [dt.datetime(2026, 11, 2), dt.datetime(2026, 11, 9), dt.datetime(2026, 11, 16)]
# The last value of each KPI row is its current value; the ones before, its history.
KPI_HEAD = ["KPI", "Owner", "Warning", "Critical", *WEEKS]
KPI_ROWS: list[list[Any]] = [
    ["Signups", ANA, 480, 450, 515, 500, 412],  # CRITICAL
    ["Churn", f"{ANA}, {BO}", 0.03, 0.05, 0.02, 0.025, 0.04],  # WARNING, two owners
    ["Uptime", None, 0.999, 0.995, 0.9996, 0.9998, 0.9985],  # WARNING, no owner
    ["Deploys", CY, None, None, 14, 17, 21],  # NO THRESHOLD: never mails
    ["Latency", CY, 300, 400, 250, 260, 240],  # OK
]
OKR_HEAD = ["Objective", "Key result", "Owner", "Start", "Target", "Current"]
OKR_ROWS: list[list[Any]] = [
    ["Grow", "Leads from 400 to 600", BO, 400, 600, 410],  # OFF TRACK
    [None, "Ship the wizard", CY, None, "Done", "Done"],  # DONE
]


def write_workbook(path: Path, kpis: list[list[Any]] = KPI_ROWS, *, history: bool = False) -> Path:
    """The KPIs with their weekly history, or (faster: no charts) only the latest value."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "KPIs"
    for row in (
        [KPI_HEAD, *kpis]
        if history
        else [[*KPI_HEAD[:4], "Current"], *[[*r[:4], r[-1]] for r in kpis]]
    ):
        sheet.append(row)
    okrs = book.create_sheet("OKRs")
    for row in [OKR_HEAD, *OKR_ROWS]:
        okrs.append(row)
    book.save(path)
    return path


def job_for(path: Path) -> Job:
    cfg = parse(
        {
            "workbook": {"backend": "xlsx", "path": str(path)},
            "okr": {"start": dt.date(2026, 10, 1), "end": dt.date(2026, 12, 31)},
            "alerts": {"recipients": [LEADS]},
        },
        path.parent / "metrics-sync.toml",
    )
    return cfg.jobs[0]


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "team.xlsx")


def sender_for(server: SmtpServer, **overrides: Any) -> SmtpSender:
    return SmtpSender(server.config(**overrides), None, ssl_context=server.client_context)


def run(path: Path, server: SmtpServer, now: dt.datetime = NOW) -> RunReport:
    return run_once(job_for(path), XlsxWorkbook(path), sender_for(server), SENDER, now)


def column(path: Path, header: str, tab: str = "KPIs") -> dict[str, Any]:
    """A column of the tab by row name (KPI, or key result)."""
    sheet = openpyxl.load_workbook(path)[tab]
    heads = [c.value for c in sheet[1]]
    key = heads.index("KPI" if tab == "KPIs" else "Key result")
    col = heads.index(header)
    return {row[key]: row[col] for row in sheet.iter_rows(min_row=2, values_only=True) if row[key]}


def inbox(server: SmtpServer) -> dict[str, list[Any]]:
    """Received mails by envelope recipient, in order of arrival."""
    by: dict[str, list[Any]] = {}
    for envelope in server.handler.received:
        for rcpt in envelope.rcpt_tos:
            by.setdefault(rcpt, []).append(envelope.message)
    return by


def text(mail: Any) -> str:
    return str(mail.get_body(("plain",)).get_content())


# -- routing and content ------------------------------------------------------------------


def test_each_owner_gets_one_digest_of_their_rows_and_ownerless_rows_go_to_the_defaults(
    book: Path, smtp_server: SmtpServer
) -> None:
    report = run(book, smtp_server)
    assert report.exit_code == 0
    mails = inbox(smtp_server)
    assert sorted(mails) == [ANA, BO, LEADS]  # cy's rows do not alert
    assert all(len(m) == 1 for m in mails.values())
    assert mails[ANA][0]["Subject"] == "[metrics-sync] 1 critical, 1 warning — team"
    assert mails[BO][0]["Subject"] == "[metrics-sync] 1 warning, 1 off track — team"
    assert mails[LEADS][0]["Subject"] == "[metrics-sync] 1 warning — team"
    assert "Grow › Leads from 400 to 600" in text(mails[BO][0])
    assert "Uptime" in text(mails[LEADS][0])
    assert "Signups" not in text(mails[LEADS][0])


def test_the_mail_received_has_text_then_html_a_chart_and_says_it_is_automatic(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    run(write_workbook(tmp_path / "team.xlsx", history=True), smtp_server)
    [envelope] = [e for e in smtp_server.handler.received if e.rcpt_tos == (ANA,)]
    mail = envelope.message
    assert envelope.mail_from == SENDER
    assert envelope.tls
    assert mail["From"] == SENDER
    assert mail["To"] == ANA
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Message-ID"].endswith("@example.com>")
    parts = [p.get_content_type() for p in mail.walk() if not p.is_multipart()]
    assert parts[:2] == ["text/plain", "text/html"]
    body = text(mail)
    assert "CRITICAL  Signups" in body
    assert "value 412 · critical 450 · -17.6 % since 2026-11-09" in body
    assert "KPIs row 2" in body
    html_part = mail.get_body(("html",))
    assert html_part is not None
    html = str(html_part.get_content())
    assert "Signups" in html
    charts = 2 if chart.available() else 0  # Signups and Churn, with matplotlib installed
    assert parts.count("image/png") == charts
    assert html.count("cid:chart") == charts


def test_more_than_fifty_rows_for_one_recipient_are_counted_not_listed(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    many = [[f"KPI {i:02d}", None, 10, 5, None, None, 7] for i in range(55)]
    path = write_workbook(tmp_path / "team.xlsx", many)
    run(path, smtp_server)
    [mail] = inbox(smtp_server)[LEADS]
    assert mail["Subject"] == "[metrics-sync] 55 warning — team"
    assert "+5 more: the Status tab lists every row." in text(mail)


# -- what is recorded -------------------------------------------------------------------


def test_last_alert_is_written_for_mailed_rows_and_a_rerun_sends_nothing(
    book: Path, smtp_server: SmtpServer
) -> None:
    run(book, smtp_server)
    assert column(book, "Last alert") == {
        "Signups": "CRITICAL 2026-11-20 09:00+00:00",
        "Churn": "WARNING 2026-11-20 09:00+00:00",
        "Uptime": "WARNING 2026-11-20 09:00+00:00",
        "Deploys": None,
        "Latency": None,
    }
    assert column(book, "Last alert", "OKRs") == {
        "Leads from 400 to 600": "OFF TRACK 2026-11-20 09:00+00:00",
        "Ship the wizard": None,
    }
    sent = len(smtp_server.handler.received)
    report = run(book, smtp_server, LATER)
    assert report.mails == []
    assert len(smtp_server.handler.received) == sent


def test_a_deferred_recipient_leaves_their_rows_unrecorded_and_the_next_run_retries_them(
    book: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.defer.add(BO)
    report = run(book, smtp_server)
    assert report.exit_code == 1
    assert set(report.failed) == {BO}
    recorded = column(book, "Last alert")
    assert recorded["Signups"]
    assert recorded["Uptime"]
    assert recorded["Churn"] is None  # one of its two owners was not told
    assert column(book, "Status")["Churn"] == "WARNING"  # the state is written all the same
    smtp_server.handler.defer.clear()
    smtp_server.handler.received.clear()
    assert run(book, smtp_server, LATER).exit_code == 0
    retried = inbox(smtp_server)
    assert sorted(retried) == [ANA, BO]  # ana is told about Churn again: at least once
    assert retried[BO][0]["Subject"] == "[metrics-sync] 1 warning, 1 off track — team"
    assert "Signups" not in text(retried[ANA][0])
    assert run(book, smtp_server, LATER + dt.timedelta(minutes=15)).mails == []


def test_a_server_deferring_everyone_records_nothing_and_the_next_run_sends_the_same_mails(
    book: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.defer_all = True
    first = run(book, smtp_server)
    assert first.exit_code == 1
    assert set(first.failed) == {ANA, BO, LEADS}
    assert set(column(book, "Last alert").values()) == {None}
    assert column(book, "Status")["Signups"] == "CRITICAL"
    smtp_server.handler.defer_all = False
    second = run(book, smtp_server, LATER)
    assert second.exit_code == 0
    assert {m.recipient: m.message_id for m in second.mails} == {
        m.recipient: m.message_id for m in first.mails
    }
    assert {m["Message-ID"] for m in smtp_server.handler.messages} == {
        m.message_id for m in first.mails
    }


def test_a_connection_closed_mid_data_fails_that_mail_and_it_is_resent_with_the_same_id(
    book: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.drop_during_data.add(ANA)
    first = run(book, smtp_server)
    assert "closed the connection before confirming" in first.failed[ANA]
    assert sorted(inbox(smtp_server)) == [BO, LEADS]  # the next mail still went
    assert column(book, "Last alert")["Signups"] is None
    smtp_server.handler.drop_during_data.clear()
    smtp_server.handler.received.clear()
    run(book, smtp_server, LATER)
    [again] = inbox(smtp_server)[ANA]
    assert again["Message-ID"] == next(m.message_id for m in first.mails if m.recipient == ANA)
    assert column(book, "Last alert")["Signups"] == "CRITICAL 2026-11-20 09:15+00:00"


def test_a_server_without_starttls_gets_nothing_and_every_row_is_retried(
    book: Path, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(starttls=False)
    report = run_once(
        job_for(book), XlsxWorkbook(book), sender_for(server, starttls=True), SENDER, NOW
    )
    assert report.exit_code == 1
    assert all("does not offer STARTTLS" in why for why in report.failed.values())
    assert server.handler.received == []
    assert set(column(book, "Last alert").values()) == {None}


# -- a crash between sending and writing --------------------------------------------------


class CrashAfterSending:
    """Delivers for real, then dies before the run can write (a kill, a power cut)."""

    def __init__(self, inner: SmtpSender) -> None:
        self.inner = inner

    def send(self, messages: Messages) -> DeliveryReport:
        self.inner.send(messages)
        raise RuntimeError("killed after sending")


def test_a_crash_after_sending_leads_to_one_duplicate_with_the_same_message_id(
    book: Path, smtp_server: SmtpServer
) -> None:
    before = book.read_bytes()
    with pytest.raises(RuntimeError, match="killed after sending"):
        run_once(
            job_for(book),
            XlsxWorkbook(book),
            CrashAfterSending(sender_for(smtp_server)),
            SENDER,
            NOW,
        )
    assert book.read_bytes() == before  # nothing was recorded
    first = {m["To"]: m["Message-ID"] for m in smtp_server.handler.messages}
    smtp_server.handler.received.clear()
    run(book, smtp_server, LATER)
    assert {m["To"]: m["Message-ID"] for m in smtp_server.handler.messages} == first
    smtp_server.handler.received.clear()
    assert run(book, smtp_server, LATER + dt.timedelta(hours=1)).mails == []
    assert smtp_server.handler.received == []


# -- the command line ---------------------------------------------------------------------


def test_the_cli_mails_through_smtp_and_exits_1_when_a_mail_was_not_accepted(
    book: Path, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(starttls=False)  # the CLI trusts the system CAs only
    server.handler.defer.add(LEADS)
    config = book.parent / "metrics-sync.toml"
    config.write_text(
        config_text(
            f'[workbook]\npath = "{book.name}"',
            recipients=(LEADS,),
            sender=SENDER,
            email=f'host = "{server.host}"\nport = {server.port}\nstarttls = false',
        ),
        encoding="utf-8",
    )
    argv = ["run", "--once", "--config", str(config), "--as-of"]
    assert main([*argv, NOW.isoformat()]) == 1
    assert sorted(inbox(server)) == [ANA, BO]
    server.handler.defer.clear()
    assert main([*argv, LATER.isoformat()]) == 0
    assert sorted(inbox(server)) == [ANA, BO, LEADS]


# -- hostile cells ------------------------------------------------------------------------

HOSTILE_LAST_ALERTS = {
    "Signups": "pending 99999999999999999999999 of 3 runs",  # CRITICAL
    "Churn": "CRITICAL 2099-01-01 08:00+00:00",  # WARNING; a future time
    "Uptime": "WARNING" + " " * 30_000 + "x",  # WARNING; quadratic for a backtracking pattern
    "Latency": f"WARNING 2026-11-19 08:00+00:00; pending {2**63 - 1} of 3 runs",  # OK
}


def test_unreadable_last_alert_cells_are_reset_with_a_note_and_the_workbook_runs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    book = tmp_path / "team.xlsx"
    # The sync has run before (its Status words mark the rows as its own); then someone typed
    # over the Last alert cells.
    rows = [[*r[:4], r[-1], "OK", HOSTILE_LAST_ALERTS.get(r[0])] for r in KPI_ROWS]
    sheet = openpyxl.Workbook()
    kpis = sheet.active
    assert kpis is not None
    kpis.title = "KPIs"
    for row in [[*KPI_HEAD[:4], "Current", "Status", "Last alert"], *rows]:
        kpis.append(row)
    okrs = sheet.create_sheet("OKRs")
    for row in [OKR_HEAD, *OKR_ROWS]:
        okrs.append(row)
    sheet.save(book)
    config = tmp_path / "metrics-sync.toml"
    config.write_text(config_text(f'[workbook]\npath = "{book.name}"'), encoding="utf-8")

    assert main(["run", "--once", "--config", str(config), "--as-of", NOW.isoformat()]) == 0

    assert column(book, "Status") == {
        "Signups": "CRITICAL",
        "Churn": "WARNING",
        "Uptime": "WARNING",
        "Deploys": "NO THRESHOLD",
        "Latency": "OK",
    }
    told = f"{NOW:%Y-%m-%d %H:%M}+00:00"
    assert column(book, "Last alert") == {
        "Signups": f"CRITICAL {told}",  # nothing told: mailed as new
        "Churn": f"WARNING {told}",
        "Uptime": f"WARNING {told}",
        "Deploys": None,
        "Latency": None,  # reset: nothing to resolve
    }
    warned = "\n".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    for row in (2, 3, 4, 6):
        assert f"KPIs row {row}, column Last alert" in warned
    assert "in the future" in warned


# -- a sort while the run writes ----------------------------------------------------------

SAME_AS_ABOVE: list[list[Any]] = [  # objective cells left blank under the first of each
    ["Grow", "Leads from 400 to 600", BO, 400, 600, 410],  # OFF TRACK
    [None, "Signups from 1000 to 2000", BO, 1000, 2000, 1010],  # OFF TRACK
    ["Retain", "Ship the wizard", CY, None, "Done", "Done"],  # DONE
    [None, "NPS from 20 to 40", CY, 20, 40, 21],  # OFF TRACK
]


class SortsKeyResultsBeforeTheWrite:
    """An .xlsx workbook whose OKRs tab a person sorts by key result just as the run writes
    (once): key results below a blank objective cell move under another objective."""

    def __init__(self, path: Path) -> None:
        self.inner = XlsxWorkbook(path)
        self.path = path
        self.sorted = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def write(self, *args: Any, **kwargs: Any) -> None:
        if not self.sorted:
            self.sorted = True
            book = openpyxl.load_workbook(self.path)
            okrs = book["OKRs"]
            rows = sorted(okrs.iter_rows(min_row=2, values_only=True), key=lambda r: str(r[1]))
            for i, values in enumerate(rows, 2):
                for j, value in enumerate(values, 1):
                    okrs.cell(i, j, value)
            book.save(self.path)
        self.inner.write(*args, **kwargs)


def test_key_results_sorted_under_other_objectives_during_a_write_keep_their_alert_state(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    book = write_workbook(tmp_path / "team.xlsx")
    sheet = openpyxl.load_workbook(book)
    sheet.remove(sheet["OKRs"])
    okrs = sheet.create_sheet("OKRs")
    for row in [OKR_HEAD, *SAME_AS_ABOVE]:
        okrs.append(row)
    sheet.save(book)
    run(book, smtp_server)
    reminders_due = NOW + dt.timedelta(hours=25)
    report = run_once(
        job_for(book),
        SortsKeyResultsBeforeTheWrite(book),
        sender_for(smtp_server),
        SENDER,
        reminders_due,
    )
    assert report.exit_code == 0
    told = f"OFF TRACK {reminders_due:%Y-%m-%d %H:%M}+00:00"
    assert column(book, "Last alert", "OKRs") == {
        "Leads from 400 to 600": told,
        "NPS from 20 to 40": told,
        "Ship the wizard": None,
        "Signups from 1000 to 2000": told,
    }
    smtp_server.handler.received.clear()
    assert run(book, smtp_server, reminders_due + dt.timedelta(hours=1)).mails == []


# -- who may be mailed --------------------------------------------------------------------

FOREIGN = [f"user{i}@elsewhere.test" for i in range(1_000)]


def test_owners_outside_the_allowed_domains_are_not_mailed_nor_shown_to_the_allowed_one(
    tmp_path: Path, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    owners = ", ".join([*FOREIGN[:500], ANA, *FOREIGN[500:]])
    book = write_workbook(tmp_path / "team.xlsx", [["Signups", owners, 480, 450, 412]])
    report = run(book, smtp_server)
    assert report.exit_code == 0
    assert sorted(inbox(smtp_server)) == [ANA, BO]  # example.com, the domain of LEADS; BO: a KR
    (mail,) = inbox(smtp_server)[ANA]
    assert "elsewhere.test" not in mail.as_string()
    assert f"owner: {ANA}" in text(mail)
    warned = "\n".join(r.getMessage() for r in caplog.records)
    assert "KPIs row 2, column Owner: not told: 1000 addresses outside" in warned


def test_a_row_mails_at_most_twenty_five_owners_and_each_sees_only_their_own_address(
    tmp_path: Path, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    many = [f"owner{i}@example.com" for i in range(27)]
    book = write_workbook(tmp_path / "team.xlsx", [["Signups", "; ".join(many), 480, 450, 412]])
    run(book, smtp_server)
    got = inbox(smtp_server)
    assert sorted(a for a in got if a.startswith("owner")) == sorted(many[:25])
    for address in many[:25]:
        (mail,) = got[address]
        shown = [a for a in many if a in f"{mail['To']} {text(mail)}"]
        assert shown == [address]
    assert "over 25 a row (owner25@example.com, owner26@example.com)" in caplog.text


def test_allowed_domains_default_to_those_of_the_recipients_and_the_sender(tmp_path: Path) -> None:
    def allowed(alerts: dict[str, Any], email: dict[str, Any]) -> tuple[str, ...] | None:
        data = {"workbook": {"backend": "xlsx", "path": "x.xlsx"}, "alerts": alerts, "email": email}
        return parse(data, tmp_path / "c.toml").jobs[0].alerts.allowed_domains

    assert allowed({"recipients": [LEADS]}, {"from": "bot@Corp.example"}) == (
        "example.com",
        "corp.example",
    )
    assert allowed({"allowed_domains": ["a.example"]}, {}) == ("a.example",)
    assert allowed({}, {}) == ("localhost",)


def test_a_co_owner_refused_for_good_among_twenty_leaves_each_of_the_others_one_mail_in_four_runs(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    others = [f"co{i}@example.com" for i in range(20)]
    gone = "left-the-company@example.com"
    owners = ", ".join([*others[:10], gone, *others[10:]])
    book = write_workbook(tmp_path / "team.xlsx", [["Signups", owners, 480, 450, 412]])
    smtp_server.handler.refuse.add(gone)
    reports = [run(book, smtp_server, NOW + i * dt.timedelta(minutes=15)) for i in range(4)]
    got = inbox(smtp_server)
    assert {a: len(got.get(a, [])) for a in others} == dict.fromkeys(others, 1)
    assert gone not in got
    assert [set(r.failed) for r in reports] == [{gone}, set(), set(), set()]
    assert column(book, "Last alert")["Signups"] == f"CRITICAL {NOW:%Y-%m-%d %H:%M}+00:00"


def test_check_names_owners_outside_the_allowed_domains_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    owners = f"{ANA}, mallory@elsewhere.test"
    book = write_workbook(tmp_path / "team.xlsx", [["Signups", owners, 480, 450, 412]])
    config = tmp_path / "metrics-sync.toml"
    config.write_text(config_text(f'[workbook]\npath = "{book.name}"'), encoding="utf-8")
    assert main(["check", "--config", str(config), "--as-of", NOW.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "KPIs row 2: Owner not told: 1 address outside [alerts] allowed_domains" in out
    assert "mallory@elsewhere.test" in out
