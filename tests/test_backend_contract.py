"""One contract for every backend: the same workbook in, the same statuses and cells out.

Each test runs ``run_once`` on the .xlsx backend (a real file) and on the Google backend (the
real gspread client over HTTP against the Sheets emulator), opened through ``open_workbook``
as the CLI opens them, a fresh instance per run as in a fresh process. What was written is
read back through each backend's own ``read`` and compared after normalising what differs by
nature: .xlsx returns dates as datetimes where Google returns serial numbers, Google drops
trailing empty cells. The Google-only tests count requests (docs/google.md) and move rows under a
run with the emulator's hooks (a person sorting the sheet while the sync runs).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from sheets_emulator import SheetsEmulator
from workbooks import example_module, write_config

from sync import cli
from sync.backends import open_workbook
from sync.backends.base import Workbook
from sync.config import AlertsConfig, Job, OkrConfig, Tabs, WorkbookConfig, load
from sync.errors import ConcurrentEditError, ConfigError
from sync.grid import Cell, Grid
from sync.job import run_once
from sync.notices import DeliveryReport
from sync.notify.email import Messages, OutboxSender
from sync.report import RunReport

ROOT = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)  # the example data's "today"
TITLE = "Team metrics"  # the .xlsx file's stem and the spreadsheet's title: mails name it
EPOCH = dt.datetime(1899, 12, 30)
Edit = Callable[[], None]


def example_tabs() -> dict[str, Grid]:
    """The bundled example's data (examples/make_example.py) as plain grids, plus a KPI log."""
    ex = example_module()
    kpis: Grid = [[*ex.HEAD, *ex.WEEKS], *([*attrs, *values] for attrs, values in ex.KPIS)]
    okrs: Grid = [list(ex.OKR_HEAD), *(list(row) for row in ex.OKRS)]
    log: Grid = [
        ["Date", "KPI", "Value"],
        [dt.date(2026, 11, 9), "Partner-sourced pipeline", 28000],
        [dt.date(2026, 11, 23), "Partner-sourced pipeline", 41000],
    ]
    return {"KPIs": kpis, "OKRs": okrs, "KPI log": log}


def kpi_tabs(n: int) -> dict[str, Grid]:
    """``n`` healthy KPIs and one key result: a run that mails nobody."""
    kpis: Grid = [
        ["KPI", "Owner", "Warning", "Critical", "Current"],
        *([f"KPI {i}", "ops@example.com", 50, 40, 60 + i % 7] for i in range(n)),
    ]
    okrs: Grid = [
        ["Objective", "Key result", "Start", "Target", "Current"],
        ["Grow", "Reach 10", 0, 10, 10],
    ]
    return {"KPIs": kpis, "OKRs": okrs, "KPI log": [["Date", "KPI", "Value"]]}


# -- the two backends behind one face ------------------------------------------------------
class Sender:
    """Mails go to an outbox folder; ``during`` runs once, while the first mails go out (a
    person editing the sheet between the run's read and its write)."""

    def __init__(self, folder: Path) -> None:
        self.outbox = OutboxSender(folder)
        self.during: Edit | None = None
        self.sent: list[tuple[str, EmailMessage]] = []

    def send(self, messages: Messages) -> DeliveryReport:
        if self.during is not None:
            self.during()
            self.during = None
        self.sent += messages
        return self.outbox.send(messages)


@dataclass
class Backend:
    kind: str
    folder: Path
    emulator: SheetsEmulator | None = None
    key: str = ""
    tabs: Tabs = field(default_factory=Tabs)

    @property
    def config(self) -> WorkbookConfig:
        if self.emulator is None:
            return WorkbookConfig(backend="xlsx", path=self.folder / f"{TITLE}.xlsx")
        return WorkbookConfig(backend="google", spreadsheet=self.key, endpoint=self.emulator.url)

    @property
    def job(self) -> Job:
        return Job(
            self.config,
            tabs=self.tabs,
            okr=OkrConfig(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)),
            alerts=AlertsConfig(recipients=("leads@example.com",)),
        )

    def create(self, tabs: Mapping[str, Grid]) -> None:
        if self.emulator is not None:
            self.key = self.emulator.create(tabs, title=TITLE)
            return
        book = openpyxl.Workbook()
        book.remove(book.active)  # type: ignore[arg-type]
        for name, grid in tabs.items():
            ws = book.create_sheet(name)
            for row in grid:
                ws.append(list(row))
        book.save(self.config.path)  # type: ignore[arg-type]

    def run(self, sender: Sender | None = None, now: dt.datetime = NOW) -> RunReport:
        """One run on a freshly opened workbook, as a new process would make it."""
        with self.opened() as workbook:
            return run_once(
                self.job,
                workbook,
                sender or Sender(self.folder / "outbox"),
                "metrics-sync@example.com",
                now,
            )

    def opened(self) -> _Opened:
        return _Opened(open_workbook(self.config))

    def cells(
        self, tabs: Sequence[str] = ("KPIs", "OKRs", "KPI log", "Status")
    ) -> dict[str, list[list[Cell]]]:
        """Every tab as the backend reads it now, normalised (see :func:`normalise`)."""
        with self.opened() as workbook:
            return {tab: normalise(grid) for tab, grid in workbook.read(list(tabs)).items()}

    def requests(self) -> list[str]:
        assert self.emulator is not None
        return self.emulator.apis()


class _Opened:
    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook

    def __enter__(self) -> Workbook:
        return self.workbook

    def __exit__(self, *exc: object) -> None:
        close = getattr(self.workbook, "close", None)
        if callable(close):
            close()


def normalise(grid: Grid | None) -> list[list[Cell]]:
    """Dates as serial numbers, whole floats as ints, "" as empty, no trailing empties."""
    rows = []
    for row in grid or []:
        cells = [_cell(v) for v in row]
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _strip(row: list[Cell]) -> list[Cell]:
    while row and row[-1] is None:
        row = row[:-1]
    return row


def _cell(value: Cell) -> Cell:
    if isinstance(value, dt.datetime):
        value = (value.replace(tzinfo=None) - EPOCH).total_seconds() / 86400
    elif isinstance(value, dt.date):
        value = (value - EPOCH.date()).days
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None if value == "" else value


@pytest.fixture(params=["xlsx", "google"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "xlsx":
        return Backend("xlsx", tmp_path)
    emulator: SheetsEmulator = request.getfixturevalue("sheets_emulator")
    return Backend("google", tmp_path, emulator)


@pytest.fixture
def google(sheets_emulator: SheetsEmulator, tmp_path: Path) -> Backend:
    return Backend("google", tmp_path, sheets_emulator)


def status_of(cells: Mapping[str, list[list[Cell]]], tab: str, key: str) -> Cell:
    """The Status cell of the row whose first cell (or key result) is ``key``."""
    grid = cells[tab]
    col = grid[0].index("Status")
    at = 1 if tab == "OKRs" else 0
    row = next(r for r in grid[1:] if len(r) > at and r[at] == key)
    return row[col] if col < len(row) else None


# -- the contract: the same in, the same out -------------------------------------------------
def test_both_backends_compute_the_same_statuses_and_write_the_same_cells(
    tmp_path: Path, sheets_emulator: SheetsEmulator
) -> None:
    out = {}
    for kind, emulator in (("xlsx", None), ("google", sheets_emulator)):
        backend = Backend(kind, tmp_path / kind, emulator)
        backend.folder.mkdir()
        backend.create(example_tabs())
        report = backend.run()
        changes = sorted(
            (c.update.tab, c.update.row, c.update.col, _cell(c.update.value))
            for c in report.changes
        )
        mails = sorted((m.recipient, m.subject, m.items) for m in report.mails)
        out[kind] = (
            report.kpis,
            report.objectives,
            report.key_results,
            report.errors,
            changes,
            mails,
            backend.cells(),
        )
    assert out["xlsx"] == out["google"]
    kpis, _, _, _, changes, mails, cells = out["google"]
    assert kpis["CRITICAL"]  # a run that did something
    assert mails
    assert changes
    assert cells["Status"][0] == ["metrics-sync status"]


def test_statuses_land_beside_their_rows_and_nothing_else_changes(backend: Backend) -> None:
    tabs = example_tabs()
    backend.create(tabs)
    before = backend.cells()
    backend.run()
    after = backend.cells()
    assert status_of(after, "KPIs", "Qualified leads") == "CRITICAL"
    assert status_of(after, "KPIs", "Weekly active users") == "OK"
    assert status_of(after, "OKRs", "Ship the guided setup wizard") == "DONE"
    for tab in ("KPIs", "OKRs"):  # the user's columns are untouched, row by row
        width = len(before[tab][0])
        assert [_strip(r[:width]) for r in after[tab]] == before[tab]
    assert after["KPI log"] == before["KPI log"]


def test_a_second_run_changes_only_the_checked_time_and_the_expected_progress(
    backend: Backend,
) -> None:
    backend.create(example_tabs())
    backend.run()
    assert backend.run().changes == []  # at the same time: nothing moved
    report = backend.run(now=NOW + dt.timedelta(hours=1))
    head = backend.cells(["OKRs"])["OKRs"][0]
    assert {(c.update.tab, c.update.col) for c in report.changes} == {
        ("KPIs", len(example_tabs()["KPIs"][0]) + 5),
        ("OKRs", head.index("Checked") + 1),
        ("OKRs", head.index("Expected") + 1),
    }
    assert report.mails == []


def test_rows_moved_while_mails_go_out_get_their_statuses_by_key(backend: Backend) -> None:
    """Between the read and the write (while the mails go out) a person sorts the KPIs by
    name: the run re-reads once and each status lands beside its own KPI."""
    backend.create(example_tabs())
    sender = Sender(backend.folder / "outbox")
    sender.during = lambda: _sort_kpis_by_name(backend)
    report = backend.run(sender)
    cells = backend.cells()
    assert [r[0] for r in cells["KPIs"][1:]] == sorted(
        (str(r[0]) for r in example_tabs()["KPIs"][1:]), key=str.casefold
    )
    assert status_of(cells, "KPIs", "Qualified leads") == "CRITICAL"
    assert status_of(cells, "KPIs", "Weekly active users") == "OK"
    last_alert = cells["KPIs"][0].index("Last alert")
    leads = next(r for r in cells["KPIs"] if r[0] == "Qualified leads")
    assert leads[last_alert] == "CRITICAL 2026-11-26 08:00+00:00"
    assert len(sender.sent) == len(report.mails)  # mailed once, not again after re-mapping
    assert backend.run(now=NOW + dt.timedelta(hours=1)).mails == []  # and recorded as mailed


def _sort_kpis_by_name(backend: Backend) -> None:
    if backend.emulator is not None:
        backend.emulator.sort_rows(backend.key, "KPIs", 1)
        return
    path = backend.config.path
    assert path is not None
    book = openpyxl.load_workbook(path)
    ws = book["KPIs"]
    rows = sorted(
        ([c.value for c in row] for row in ws.iter_rows(min_row=2)),
        key=lambda r: str(r[0]).casefold(),
    )
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            ws.cell(row=i, column=j).value = value
    book.save(path)


# -- Google: moved rows through the emulator ------------------------------------------------
@pytest.fixture
def steady(google: Backend) -> Backend:
    """A Google workbook after a first run: every tab there, alerts mailed."""
    google.create(example_tabs())
    google.run()
    assert google.emulator is not None
    google.emulator.clear_log()
    return google


@pytest.mark.parametrize("edit", ["insert", "delete", "sort"])
def test_rows_inserted_deleted_or_sorted_before_the_write_still_get_their_own_status(
    steady: Backend, edit: str
) -> None:
    """A person edits the KPIs tab after the run read it, just before its check of the key
    cells: the run re-reads once (one request) and re-maps; 6 requests instead of 4 (its KPI
    log is read apart, sync/tab_memory.py)."""
    emulator, key = steady.emulator, steady.key
    assert emulator is not None
    signups = ["Signups", "", "", "higher", 100, 50, None, None, None, None, "", 10]
    actions: dict[str, Edit] = {
        "insert": lambda: emulator.insert_rows(key, "KPIs", 3, [signups]),
        "delete": lambda: emulator.delete_rows(key, "KPIs", 2),  # Weekly active users
        "sort": lambda: emulator.sort_rows(key, "KPIs", 1, reverse=True),
    }
    emulator.before("get", actions[edit], nth=1)  # the check before the write
    report = steady.run(now=NOW + dt.timedelta(hours=1))
    assert steady.requests() == [
        "values.batchGet",
        "values.batchGet",
        "get",
        "values.batchGet",
        "get",
        "batchUpdate",
    ]
    grid = steady.cells(["KPIs"])["KPIs"]
    status, checked = grid[0].index("Status"), grid[0].index("Checked")
    rows = {row[0]: row for row in grid[1:] if row}
    assert rows["Qualified leads"][status] == "CRITICAL"
    assert rows["Deploys per week"][status] == "NO THRESHOLD"
    assert rows["p95 API latency"][status] == "OK"
    assert {r[checked] for r in rows.values()} == {"2026-11-26 09:00+00:00"}
    assert ("Weekly active users" in rows) is (edit != "delete")
    if edit == "insert":
        assert rows["Signups"][status] == "CRITICAL"  # 10 < critical 50: mailed next run
        assert rows["Signups"][grid[0].index("Last alert")] is None  # not marked as mailed
    assert report.kpis == Counter(str(r[status]) for r in rows.values())
    assert report.mails == []


def test_rows_that_move_twice_end_the_run_with_a_clear_message_and_nothing_written(
    steady: Backend,
) -> None:
    emulator, key = steady.emulator, steady.key
    assert emulator is not None
    moved: list[dict[str, list[list[object]]]] = []

    def sort(reverse: bool) -> None:
        emulator.sort_rows(key, "KPIs", 1, reverse=reverse)
        moved.append({tab: emulator.grid(key, tab) for tab in emulator.tabs(key)})

    emulator.before("get", lambda: sort(False), nth=1)  # before the first check
    emulator.before("get", lambda: sort(True), nth=2)  # before the second
    with pytest.raises(
        ConcurrentEditError,
        match=r"^rows moved twice while the sync ran, so it "
        r"gave up and wrote nothing; the next run starts afresh \(the second time: "
        r"rows changed while the sync ran \(tab 'KPIs' row 2: expected 'Churn "
        r"rate', found 'Weekly active users' and \d+ more\); nothing was written"
        r"\)$",
    ):
        steady.run(now=NOW + dt.timedelta(hours=1))
    assert {tab: emulator.grid(key, tab) for tab in emulator.tabs(key)} == moved[-1]
    assert "batchUpdate" not in steady.requests()


# -- Google: request counts ----------------------------------------------------------------
def minimal_tabs() -> dict[str, Grid]:
    """The example without a KPI log: the workbook of the minimal config (README)."""
    tabs = example_tabs()
    del tabs["KPI log"]
    return tabs


def test_a_second_run_on_an_unchanged_workbook_makes_at_most_three_requests(
    google: Backend,
) -> None:
    google.create(minimal_tabs())
    google.run()
    assert google.emulator is not None
    google.emulator.clear_log()
    google.run(now=NOW + dt.timedelta(hours=1))
    assert google.requests() == ["values.batchGet", "get", "batchUpdate"]
    google.emulator.clear_log()
    google.run(now=NOW + dt.timedelta(hours=1))  # the same moment again: nothing changes
    assert google.requests() == ["values.batchGet"]


def test_5000_kpis_cost_as_many_requests_as_5(google: Backend) -> None:
    counts = []
    for n in (5, 5000):
        assert google.emulator is not None
        tabs = kpi_tabs(n)
        del tabs["KPI log"]
        google.create(tabs)
        first = google.run()
        assert first.kpis == {"OK": n}
        google.emulator.clear_log()
        google.run(now=NOW + dt.timedelta(hours=1))
        counts.append(google.requests())
        google.emulator.clear_log()
    assert counts[0] == counts[1] == ["values.batchGet", "get", "batchUpdate"]


def test_a_steady_run_makes_three_requests_mailing_or_not_and_reads_a_kpi_log_added_later(
    google: Backend,
) -> None:
    """The Status tab remembers the title (for the mails) and that there is no KPI log
    (sync/tab_memory.py): the read, the key check, the write. The write's answer lists every
    tab, so a KPI log added later is noticed by the next run that writes, and read from the
    run after it; from then on the log costs a read of its own (4 requests)."""
    emulator = google.emulator
    assert emulator is not None
    google.create(minimal_tabs())
    google.run()  # no Status tab yet, mails to send: the title asked for once
    assert emulator.apis() == [
        "values.batchGet",  # 400: no Status tab yet
        "values.batchGet",  # 400: no KR history tab yet
        "values.batchGet",
        "values.batchGet",  # 400: nothing is remembered, so the KPI log is tried
        "get",  # the title, for the mails
        "get",  # the key cells
        "batchUpdate",  # the Status and KR history tabs, and the colour rules
        "batchUpdate",  # the cells
    ]
    status = google.cells(["Status"])["Status"]
    assert [TITLE] in [row[1:2] for row in status if row and row[0] == "Spreadsheet"]
    assert ["Tabs not found", "KPI log"] in status
    for hours in (25, 26):  # reminders that mail (and name the workbook), then no mail
        emulator.clear_log()
        sent = Sender(google.folder / "outbox")
        google.run(sender=sent, now=NOW + dt.timedelta(hours=hours))
        assert bool(sent.sent) is (hours == 25)
        assert emulator.apis() == ["values.batchGet", "get", "batchUpdate"]
    assert all(TITLE in str(m["Subject"]) + m.get_content() for _, m in sent.sent or [])

    emulator.create_tab(google.key, "KPI log", [["Date", "KPI", "Value"], [46350, "Pipeline", 1]])
    emulator.clear_log()
    google.run(now=NOW + dt.timedelta(hours=27))  # the write's answer shows the new tab
    assert emulator.apis() == ["values.batchGet", "get", "batchUpdate", "get", "batchUpdate"]
    assert ["Tabs not found", "KPI log"] not in google.cells(["Status"])["Status"]
    emulator.clear_log()
    google.run(now=NOW + dt.timedelta(hours=28))
    assert emulator.apis() == ["values.batchGet", "values.batchGet", "get", "batchUpdate"]
    assert emulator.requests[1].params["ranges"] == ["'KPI log'"]


def test_a_first_run_that_mails_nobody_learns_the_title_from_its_write_and_records_it(
    google: Backend,
) -> None:
    """No mail, so no title request: the write's answer tells the title, and one small write
    more (the Status tab's "Spreadsheet" row, nothing else) records it for the next runs."""
    emulator = google.emulator
    assert emulator is not None
    tabs = kpi_tabs(5)
    del tabs["KPI log"]
    google.create(tabs)
    google.run()
    assert emulator.apis()[-3:] == ["batchUpdate", "get", "batchUpdate"]
    (footer,) = emulator.requests[-1].body["requests"]
    assert TITLE in str(footer)
    status = google.cells(["Status"])["Status"]
    assert ["Spreadsheet", TITLE] in status
    emulator.clear_log()
    google.run(now=NOW + dt.timedelta(hours=1))
    assert emulator.apis() == ["values.batchGet", "get", "batchUpdate"]


def test_a_kpi_log_set_to_nothing_is_never_asked_for(google: Backend) -> None:
    emulator = google.emulator
    assert emulator is not None
    google.tabs = Tabs(kpi_log="")
    google.create(minimal_tabs())
    google.run()
    emulator.clear_log()
    google.run(now=NOW + dt.timedelta(hours=1))
    assert emulator.apis() == ["values.batchGet", "get", "batchUpdate"]
    assert all("KPI log" not in str(r.params) for r in emulator.requests)


def test_kpi_log_set_to_nothing_is_a_valid_config_that_reads_no_log(tmp_path: Path) -> None:
    cfg = tmp_path / "metrics-sync.toml"
    cfg.write_text('[workbook]\npath = "w.xlsx"\n[tabs]\nkpi_log = ""\n', encoding="utf-8")
    job = load(cfg).jobs[0]
    assert job.tabs.to_read() == ["KPIs", "OKRs", "KR history", "Status"]
    cfg.write_text(
        '[workbook]\npath = "w.xlsx"\n[tabs]\nkpi_log = " "\nstatus = ""\n', encoding="utf-8"
    )
    with pytest.raises(
        ConfigError,
        match=r"tabs.kpi_log = ' ': expected a non-empty tab name "
        r"\(or \"\" for no KPI log tab\)",
    ) as caught:
        load(cfg)
    assert "tabs.status = '': expected a non-empty tab name" in str(caught.value)


def test_the_cli_reports_rows_that_moved_twice_in_one_line_and_exits_2(
    steady: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator, key = steady.emulator, steady.key
    assert emulator is not None
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    config = write_config(
        tmp_path,
        workbooks=f'[workbook]\nbackend = "google"\nspreadsheet = '
        f'"{key}"\nendpoint = "{emulator.url}"\n',
    )
    emulator.before("get", lambda: emulator.sort_rows(key, "KPIs", 1), nth=1)
    emulator.before("get", lambda: emulator.sort_rows(key, "KPIs", 2), nth=2)
    assert cli.main(["run", "--once", "--as-of", "2026-11-26T09:00", "--config", str(config)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if " ERROR " in line]
    assert len(errors) == 1
    assert "rows moved twice while the sync ran, so it gave up and wrote nothing" in errors[0]
    assert "Traceback" not in errors[0]
    assert "batchUpdate" not in emulator.apis()
