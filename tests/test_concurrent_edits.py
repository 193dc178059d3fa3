"""A person edits the sheet while a run is between its read and its write.

The edit is made on the emulator by a hook that runs just before the run's check of the key
cells (the request that precedes every write), after the run has read, evaluated and mailed:
rows inserted, deleted or sorted, a column moved, inserted or deleted (the Status column
among them), a column typed where the sync was about to create its own. Either the statuses
land on the right rows and columns (by KPI name and by header), or the run stops with a
``SyncError`` naming what changed and writes nothing. In every case no cell outside the
sync's own columns differs from what the person left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from reliability_book import (
    EXPECTED_KPI_STATUS,
    EXPECTED_KR_STATUS,
    LATER,
    NOW,
    RECIPIENTS,
    Book,
    Grids,
    Reference,
    column,
    mails_by_recipient,
    reference,
    without_owned,
)
from sheets_emulator import SheetsEmulator

from sync.errors import ConcurrentEditError

Edit = Callable[[SheetsEmulator, str], None]
KEY_CHECK = {"first": 2, "steady": 1}  # the n-th spreadsheets.get of the run checks the keys


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    with SheetsEmulator() as emulator:
        yield reference(emulator, tmp_path_factory.mktemp("reference"))


class Person:
    """Makes ``edit`` just before the n-th spreadsheets.get, and keeps the sheet as it left it."""

    def __init__(self, book: Book, edit: Edit, *, nth: int, times: int = 1) -> None:
        self.book = book
        self.left: Grids = {}
        for i in range(times):
            book.emulator.before("get", self._make(edit), nth=nth + i)

    def _make(self, edit: Edit) -> Callable[[], None]:
        def act() -> None:
            edit(self.book.emulator, self.book.key)
            self.left = self.book.grids()

        return act


def book_for(run: str, emulator: SheetsEmulator, folder: Path, ref: Reference) -> Book:
    return (
        Book.first(emulator, folder) if run == "first" else Book.steady(emulator, folder, ref.first)
    )


def when(run: str) -> dt.datetime:
    return NOW if run == "first" else LATER


def assert_statuses_by_name(grids: Grids, kpis: dict[str, str] = EXPECTED_KPI_STATUS) -> None:
    assert {k: v for k, v in column(grids["KPIs"], "Status").items() if k in kpis} == kpis
    krs = column(grids["OKRs"], "Status", "Key result")
    assert {k: v for k, v in krs.items() if k in EXPECTED_KR_STATUS} == EXPECTED_KR_STATUS
    told = column(grids["KPIs"], "Last alert")
    for name, status in kpis.items():
        mailed = status in ("CRITICAL", "WARNING")
        assert str(told.get(name) or "").startswith(status) == mailed, (name, told.get(name))


# -- rows --------------------------------------------------------------------------------
def insert_a_row(emulator: SheetsEmulator, key: str) -> None:
    emulator.insert_rows(key, "KPIs", 3, [["", "Revenue", None, 100, 50, 120, "sales"]])


def delete_a_row(emulator: SheetsEmulator, key: str) -> None:
    emulator.delete_rows(key, "KPIs", 3)  # Churn


def sort_by_name(emulator: SheetsEmulator, key: str) -> None:
    emulator.sort_rows(key, "KPIs", 2)


def insert_a_key_result(emulator: SheetsEmulator, key: str) -> None:
    emulator.insert_rows(key, "OKRs", 2, [["Grow", "Hire two", None, 0, 2, 1]])


ROW_EDITS = {
    "rows inserted": insert_a_row,
    "a row deleted": delete_a_row,
    "rows sorted": sort_by_name,
    "a key result inserted": insert_a_key_result,
}


@pytest.mark.parametrize("run", ["first", "steady"])
@pytest.mark.parametrize("edit", list(ROW_EDITS))
def test_rows_moved_between_read_and_write_get_their_own_status_by_name(
    run: str, edit: str, sheets_emulator: SheetsEmulator, tmp_path: Path, ref: Reference
) -> None:
    book = book_for(run, sheets_emulator, tmp_path, ref)
    person = Person(book, ROW_EDITS[edit], nth=KEY_CHECK[run])
    assert book.run(when(run)).exit_code == 0
    after = book.grids()
    expected = dict(EXPECTED_KPI_STATUS)
    if edit == "a row deleted":
        del expected["Churn"]
    assert_statuses_by_name(after, expected)
    if edit == "rows inserted":
        assert column(after["KPIs"], "Status")["Revenue"] == "OK"
        assert column(after["KPIs"], "Last alert")["Revenue"] is None
    assert without_owned(after) == without_owned(person.left)


# -- columns -----------------------------------------------------------------------------
def move_notes_to_the_end(emulator: SheetsEmulator, key: str) -> None:
    width = len(emulator.grid(key, "KPIs")[0])
    emulator.move_column(key, "KPIs", 1, width)


def move_status_first(emulator: SheetsEmulator, key: str) -> None:
    header = emulator.grid(key, "KPIs")[0]
    emulator.move_column(key, "KPIs", header.index("Status") + 1, 1)


def insert_a_column_before_current(emulator: SheetsEmulator, key: str) -> None:
    emulator.insert_columns(key, "KPIs", 6)
    emulator.put(key, "KPIs", 1, 6, [["Forecast"]])


def delete_the_status_column(emulator: SheetsEmulator, key: str) -> None:
    header = emulator.grid(key, "KPIs")[0]
    emulator.delete_columns(key, "KPIs", header.index("Status") + 1)


def type_a_header_where_the_sync_adds_its_own(emulator: SheetsEmulator, key: str) -> None:
    emulator.put(key, "KPIs", 1, 8, [["Comment"]])


COLUMN_EDITS = {
    "a user column moved to the end": (move_notes_to_the_end, ("first", "steady")),
    "a column inserted among the user's": (insert_a_column_before_current, ("first", "steady")),
    "a header typed where the sync adds its own": (
        type_a_header_where_the_sync_adds_its_own,
        ("first",),
    ),
    "the Status column moved first": (move_status_first, ("steady",)),
    "the Status column deleted": (delete_the_status_column, ("steady",)),
}
COLUMN_CASES = [
    pytest.param(edit, run, id=f"{edit}, {run} run")
    for edit, (_, runs) in COLUMN_EDITS.items()
    for run in runs
]


@pytest.mark.parametrize(("edit", "run"), COLUMN_CASES)
def test_columns_moved_between_read_and_write_get_statuses_under_their_own_headers(
    edit: str, run: str, sheets_emulator: SheetsEmulator, tmp_path: Path, ref: Reference
) -> None:
    book = book_for(run, sheets_emulator, tmp_path, ref)
    person = Person(book, COLUMN_EDITS[edit][0], nth=KEY_CHECK[run])
    assert book.run(when(run)).exit_code == 0
    after = book.grids()
    assert_statuses_by_name(after)
    assert without_owned(after) == without_owned(person.left)
    header = after["KPIs"][0]
    assert header.count("Status") == 1


# -- twice: the run gives up ----------------------------------------------------------------
@pytest.mark.parametrize("run", ["first", "steady"])
def test_rows_that_move_again_during_the_re_mapping_stop_the_run_with_nothing_written(
    run: str, sheets_emulator: SheetsEmulator, tmp_path: Path, ref: Reference
) -> None:
    book = book_for(run, sheets_emulator, tmp_path, ref)
    flip = [False]

    def sort_one_way_then_the_other(emulator: SheetsEmulator, key: str) -> None:
        emulator.sort_rows(key, "KPIs", 2, reverse=flip[0])
        flip[0] = not flip[0]

    # the key check, the re-read after it, and the re-map's key check: the rows move twice
    person = Person(book, sort_one_way_then_the_other, nth=KEY_CHECK[run], times=3)
    with pytest.raises(
        ConcurrentEditError,
        match=r"rows moved twice while the sync ran, so "
        r"it gave up and wrote nothing.*tab 'KPIs' row \d+: expected",
    ) as err:
        book.run(when(run))
    assert err.value.exit_code == 2
    assert ("may send its 3 mail(s) again" in str(err.value)) == (run == "first")
    assert book.grids() == person.left
    # the next run writes every status where it belongs; mails are at least once, same ID
    assert book.run(when(run)).exit_code == 0
    assert_statuses_by_name(book.grids())
    mails = mails_by_recipient(book.recorder.sent)
    assert sorted(mails) == (sorted(RECIPIENTS) if run == "first" else [])
    assert all(len(ids) == 2 and len(set(ids)) == 1 for ids in mails.values())


def test_the_status_tab_deleted_between_read_and_write_is_created_again(
    sheets_emulator: SheetsEmulator, tmp_path: Path, ref: Reference
) -> None:
    book = Book.steady(sheets_emulator, tmp_path, ref.first)

    def delete_the_status_tab(emulator: SheetsEmulator, key: str) -> None:
        with emulator.router.lock:
            spreadsheet = emulator.spreadsheet(key)
            spreadsheet.sheets = [s for s in spreadsheet.sheets if s.title != "Status"]

    Person(book, delete_the_status_tab, nth=KEY_CHECK["steady"])
    assert book.run(LATER).exit_code == 0
    assert book.grids() == ref.steady
    assert sheets_emulator.sheet(book.key, "Status").conditional_formats  # with its colours
