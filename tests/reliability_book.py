"""The workbook every reliability test and bench/reliability.py runs on, and how to judge a run.

A small Google spreadsheet (on the Sheets emulator) whose first run mails three people and
creates the Status tab, with user columns on both sides of the data, so that a write landing
one column off would show. ``reference`` runs it without faults: what every faulted, killed
or edited run is compared with. Shared by tests/test_faults.py, tests/test_crashes.py,
tests/test_concurrent_edits.py and bench/reliability.py, so the bench sweeps exactly what the
tests check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import workbooks
from sheets_emulator import SheetsEmulator

from sync.backends.google import GoogleWorkbook, open_google
from sync.backends.google.payload import colour_rules
from sync.config import AlertsConfig, Job, OkrConfig, Tabs, WorkbookConfig
from sync.job import run_once
from sync.notices import DeliveryReport
from sync.notify.email import Messages, OutboxSender
from sync.report import RunReport
from sync.rules.status import COLOURS

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=15)
ANA, BO, CY, LEADS = "ana@example.com", "bo@example.com", "cy@example.com", "leads@example.com"
SENDER = "metrics@example.com"
RECIPIENTS = (ANA, BO, LEADS)  # who the first run mails; cy's rows are healthy

KPIS: list[list[Any]] = [
    ["Notes", "KPI", "Owner", "Warning", "Critical", "Current", "Team"],
    ["watch", "Signups", ANA, 480, 450, 412, "growth"],  # CRITICAL
    [None, "Churn", BO, 0.03, 0.05, 0.04, "growth"],  # WARNING
    ["", "Uptime", None, 0.999, 0.995, 0.9985, "infra"],  # WARNING, no owner: leads
    [None, "Latency", CY, 300, 400, 240, "infra"],  # OK
    ["new", "Deploys", CY, None, None, 21, "infra"],  # NO THRESHOLD
]
OKRS: list[list[Any]] = [
    ["Objective", "Key result", "Owner", "Start", "Target", "Current", "Comment"],
    ["Grow", "Leads from 400 to 600", BO, 400, 600, 410, "slow start"],  # OFF TRACK
    [None, "Ship the wizard", CY, None, "Done", "Done", None],  # DONE
]
TABS = ("KPIs", "OKRs", "Status")
KPI_OWNED = ("Status", "Note", "Since", "Last alert", "Checked")
OKR_OWNED = ("Progress", "Expected", "Forecast", "Status", "Since", "Last alert", "Checked")
EXPECTED_KPI_STATUS = {
    "Signups": "CRITICAL",
    "Churn": "WARNING",
    "Uptime": "WARNING",
    "Latency": "OK",
    "Deploys": "NO THRESHOLD",
}
EXPECTED_KR_STATUS = {"Leads from 400 to 600": "OFF TRACK", "Ship the wizard": "DONE"}
# open_google's seam for a fast give-up: 2 attempts, no backoff, a 0.3 s read timeout
FAST: dict[str, Any] = {
    "retry_budget": 5.0,
    "timeout": (1.0, 0.3),
    "backoff_factor": 0.0,
    "max_attempts": 2,
}

Grids = dict[str, list[list[object]]]


def job(emulator: SheetsEmulator, key: str) -> Job:
    return Job(
        WorkbookConfig(backend="google", spreadsheet=key, endpoint=emulator.url, name="team"),
        tabs=Tabs(kpi_log="", kr_history=""),  # request counts here pin the fault points
        okr=OkrConfig(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)),
        alerts=AlertsConfig(recipients=(LEADS,)),
    )


def config_text(emulator: SheetsEmulator, key: str, smtp_port: int | None) -> str:
    """The same job as a config file, for the command line, mailing through SMTP on
    ``smtp_port`` (None: to the outbox folder beside the config)."""
    email = (
        'outbox = "outbox"'
        if smtp_port is None
        else f'host = "127.0.0.1"\nport = {smtp_port}\nstarttls = false\ntimeout = 5'
    )
    return workbooks.config_text(
        f"""[workbook]
backend = "google"
name = "team"
spreadsheet = "{key}"
endpoint = "{emulator.url}"
""",
        tabs='kpi_log = ""\nkr_history = ""',
        recipients=(LEADS,),
        email=email,
        sender=SENDER,
    )


class Recorder:
    """Mails go to an outbox folder (the real OutboxSender); each (recipient, Message-ID)
    accepted is also kept in order, so duplicates across runs can be counted."""

    def __init__(self, folder: Path) -> None:
        self.outbox = OutboxSender(folder)
        self.sent: list[tuple[str, str]] = []

    def send(self, messages: Messages) -> DeliveryReport:
        report = self.outbox.send(messages)
        self.sent += [(r, str(m["Message-ID"])) for r, m in messages if r in report.accepted]
        return report


@dataclass
class Book:
    """One spreadsheet on the emulator and the runs made on it."""

    emulator: SheetsEmulator
    key: str
    folder: Path
    recorder: Recorder = field(init=False)

    def __post_init__(self) -> None:
        self.recorder = Recorder(self.folder / "outbox")

    @classmethod
    def first(cls, emulator: SheetsEmulator, folder: Path) -> Book:
        """The workbook before its first run: no Status tab, no owned columns."""
        return cls(emulator, emulator.create({"KPIs": KPIS, "OKRs": OKRS}, title="Team"), folder)

    @classmethod
    def steady(cls, emulator: SheetsEmulator, folder: Path, after_first: Grids) -> Book:
        """The workbook as the fault-free first run left it, the Status tab's colour rules
        included (a run that finds them gone adds them back)."""
        key = emulator.create(after_first, title="Team")
        sheet = emulator.sheet(key, "Status")
        rules = colour_rules(sheet.sheet_id, COLOURS)
        sheet.conditional_formats = [r["addConditionalFormatRule"]["rule"] for r in rules]
        return cls(emulator, key, folder)

    @property
    def job(self) -> Job:
        return job(self.emulator, self.key)

    @contextmanager
    def opened(self, **options: Any) -> Iterator[GoogleWorkbook]:
        with open_google(self.job.workbook, **{**FAST, **options}) as workbook:
            yield workbook

    def run(self, now: dt.datetime = NOW, **options: Any) -> RunReport:
        """One run through a freshly opened workbook, as a new process makes it."""
        with self.opened(**options) as workbook:
            return run_once(self.job, workbook, self.recorder, SENDER, now)

    def grids(self) -> Grids:
        tabs = self.emulator.tabs(self.key)
        return {t: self.emulator.grid(self.key, t) for t in TABS if t in tabs}


@dataclass(frozen=True)
class Reference:
    """What fault-free runs do: the grids after the first and the steady run, the request
    sequence of each, and the mails of the first."""

    before: Grids
    first: Grids
    steady: Grids
    first_requests: tuple[str, ...]
    steady_requests: tuple[str, ...]
    first_mails: tuple[tuple[str, str], ...]


def reference(emulator: SheetsEmulator, folder: Path) -> Reference:
    book = Book.first(emulator, folder)
    before = book.grids()
    emulator.clear_log()
    report = book.run(NOW)
    assert report.exit_code == 0, report
    first_requests = tuple(emulator.apis())
    first = book.grids()
    emulator.clear_log()
    assert book.run(LATER).exit_code == 0
    steady_requests = tuple(emulator.apis())
    return Reference(
        before, first, book.grids(), first_requests, steady_requests, tuple(book.recorder.sent)
    )


def nth_of_kind(sequence: Sequence[str], index: int) -> tuple[str, int]:
    """Request ``index`` of a run as (api, n): the n-th request of that api in the run."""
    api = sequence[index]
    return api, sequence[: index + 1].count(api)


# -- judging -------------------------------------------------------------------------------
def without_owned(grids: Mapping[str, list[list[object]]]) -> Grids:
    """The KPI and OKR tabs without the sync's own columns: what it must never change."""
    out: Grids = {}
    for tab, owned in (("KPIs", KPI_OWNED), ("OKRs", OKR_OWNED)):
        grid = grids[tab]
        header = [str(h) for h in grid[0]] if grid else []
        keep = [i for i, h in enumerate(header) if h not in owned]
        width = max((len(r) for r in grid), default=0)
        keep += list(range(len(header), width))  # cells right of the header are users' too
        rows = [_trim([row[i] if i < len(row) else None for i in keep]) for row in grid]
        while rows and not rows[-1]:
            rows.pop()  # as Google reads it: no trailing empty rows
        out[tab] = rows
    return out


def _trim(row: list[object]) -> list[object]:
    while row and row[-1] is None:
        row = row[:-1]
    return row


def column(grid: list[list[object]], header: str, key: str = "KPI") -> dict[object, object]:
    """A column by its header, keyed by the row's key cell (KPI, or Key result)."""
    head = list(grid[0])
    k, c = head.index(key), head.index(header)
    return {
        row[k]: (row[c] if c < len(row) else None) for row in grid[1:] if k < len(row) and row[k]
    }


def mails_by_recipient(sent: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Message-IDs each recipient received, in order."""
    out: dict[str, list[str]] = {}
    for recipient, message_id in sent:
        out.setdefault(recipient, []).append(message_id)
    return out


def message_ids(messages: Sequence[EmailMessage]) -> list[str]:
    return [str(m["Message-ID"]) for m in messages]
