"""A write Google answers 429 or 503 is sent again only after the row keys are checked again:
a person who sorts the rows or inserts a column during the wait never gets a status on
another row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from reliability_book import (
    EXPECTED_KPI_STATUS,
    EXPECTED_KR_STATUS,
    NOW,
    Book,
    column,
    without_owned,
)
from sheets_emulator import Fault, SheetsEmulator


def sort_kpis(emulator: SheetsEmulator, key: str) -> None:
    emulator.sort_rows(key, "KPIs", 2)


def insert_column_a(emulator: SheetsEmulator, key: str) -> None:
    emulator.insert_columns(key, "KPIs", 1)
    emulator.put(key, "KPIs", 1, 1, [["History"]])


EDITS: dict[str, Callable[[SheetsEmulator, str], None]] = {
    "rows sorted": sort_kpis,
    "a column inserted at A": insert_column_a,
}
ANSWERS = {"503 with Retry-After": Fault(503, retry_after="0"), "429": Fault.quota(None)}


@pytest.mark.parametrize("answer", list(ANSWERS))
@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_during_a_write_s_retry_wait_leaves_every_status_on_its_own_row(
    edit: str, answer: str, sheets_emulator: SheetsEmulator, tmp_path: Path
) -> None:
    book = Book.first(sheets_emulator, tmp_path)  # a first run writes every status
    left: dict[str, list[list[object]]] = {}

    def refuse_then_edit() -> Fault:
        EDITS[edit](sheets_emulator, book.key)  # during the wait the answer asked for
        left.update(book.grids())
        return ANSWERS[answer]

    sheets_emulator.before("batchUpdate", refuse_then_edit, nth=2)  # the cells, after the tab
    assert book.run(NOW, backoff_factor=0.01, max_attempts=3).exit_code == 0
    after = book.grids()
    assert column(after["KPIs"], "Status") == EXPECTED_KPI_STATUS
    assert column(after["OKRs"], "Status", "Key result") == EXPECTED_KR_STATUS
    assert without_owned(after) == without_owned(left)
