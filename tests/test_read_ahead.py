"""The read that starts before the rules are imported (sync/backends/readahead.py).

Against the emulator over real HTTP: the request must be on the server before anyone asks
for the grids, the grids must be the same as a plain read's, a failed read must fail the
caller's ``read`` with the backend's own message, and the command itself must not import
pandas before it has started the read (or there would be nothing to overlap).
"""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sheets_emulator import Fault, SheetsEmulator

from sync.backends import opened
from sync.config import WorkbookConfig
from sync.errors import WorkbookError

TABS = ["KPIs", "OKRs", "Status"]
KPIS = [["KPI", "Owner", "Warning"], ["Leads", "ana@example.com", 100]]
BOOK = {"KPIs": KPIS, "OKRs": [["Objective", "Key result"]], "Status": [["Last run"]]}


def config(emulator: SheetsEmulator, key: str) -> WorkbookConfig:
    return WorkbookConfig(backend="google", spreadsheet=key, endpoint=emulator.url)


def test_the_read_is_on_the_server_before_anyone_asks_for_it(
    sheets_emulator: SheetsEmulator,
) -> None:
    key = sheets_emulator.create(BOOK)
    held = sheets_emulator.pause("values.batchGet")
    with opened(config(sheets_emulator, key), read_ahead=TABS) as workbook:
        assert held.arrived.wait(10), "the read did not start on its own"
        held.release()
        grids = workbook.read(TABS)
    assert grids == BOOK
    assert sheets_emulator.count("values.batchGet") == 1


def test_other_tabs_are_read_afresh_after_the_early_read(sheets_emulator: SheetsEmulator) -> None:
    key = sheets_emulator.create(BOOK)
    with opened(config(sheets_emulator, key), read_ahead=TABS) as workbook:
        assert workbook.read(["OKRs"]) == {"OKRs": [["Objective", "Key result"]]}
        assert workbook.read(TABS)["KPIs"] == KPIS  # the early grids were taken only once
    assert sheets_emulator.count("values.batchGet") == 3


def test_a_failed_early_read_fails_the_read_with_the_backends_message(
    sheets_emulator: SheetsEmulator,
) -> None:
    key = sheets_emulator.create(BOOK)
    sheets_emulator.before("values.batchGet", lambda: Fault.error(403))
    with (
        opened(config(sheets_emulator, key), read_ahead=TABS) as workbook,
        pytest.raises(WorkbookError, match=r"Google refused access .* share the spreadsheet"),
    ):
        workbook.read(TABS)


def test_the_rest_of_the_workbook_is_the_backends_own(sheets_emulator: SheetsEmulator) -> None:
    key = sheets_emulator.create(BOOK, title="Growth team")
    with opened(config(sheets_emulator, key), read_ahead=TABS) as workbook:
        workbook.read(TABS)
        assert workbook.title == "Growth team"
        assert workbook.request_count == 2  # what the run's summary line reports


def test_an_interrupted_run_does_not_wait_for_the_early_read(
    sheets_emulator: SheetsEmulator,
) -> None:
    """Ctrl-C while the read is still on the server: the run ends at once, not when Google
    answers (a retried read can take two minutes)."""
    key = sheets_emulator.create(BOOK)
    held = sheets_emulator.pause("values.batchGet")
    order: list[str] = []
    safety = threading.Timer(10, lambda: (order.append("released"), held.release()))
    safety.start()  # if the run waited for the read, the test would end here, failing

    def run() -> None:
        with opened(config(sheets_emulator, key), read_ahead=TABS):
            assert held.arrived.wait(10)
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            run()
        order.append("interrupted")
    finally:
        safety.cancel()
        held.release()
    assert order == ["interrupted"]


def test_the_command_starts_without_pandas() -> None:
    """The read can only overlap the rules' imports if the command does not import them."""
    code = (
        "import sys, sync.cli; "
        "print(sorted(m for m in ('pandas', 'numpy', 'rich', 'matplotlib', 'jinja2') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
