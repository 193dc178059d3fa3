"""The notes that name a cell to fix: how a cell is quoted and where it is said to be."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from sync.rules.cell_notes import CellNotes, Where, quoted

WHERE = Where({"warning": 5}, {"warning": "Warning", "target": "Target"})


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, "(empty)"),
        (math.nan, "(empty)"),
        (pd.NaT, "(empty)"),
        ("abc", "'abc'"),
        ("x" * 40, repr("x" * 40)),
        ("x" * 41, repr("x" * 37 + "...")),
        (7.0, "7"),
        (7.5, "7.5"),
        (-1, "-1"),
        (True, "True"),
        (dt.datetime(2026, 11, 30), "2026-11-30"),
        (dt.datetime(2026, 11, 30, 9, 30), "2026-11-30T09:30:00"),
        (dt.date(2026, 11, 30), "2026-11-30"),
    ],
)
def test_a_cell_is_quoted_as_a_person_typed_it(cell: object, expected: str) -> None:
    assert quoted(cell) == expected


def test_a_note_names_the_cell_by_header_and_address_or_by_row_when_the_column_is_absent() -> None:
    notes = CellNotes(pd.Index([2, 3]), WHERE)
    raw = pd.Series(["abc", None], index=[2, 3], dtype=object)
    notes.cells(pd.Series([True, False], index=[2, 3]), "warning", "not a number", raw)
    notes.cells(pd.Series([False, True], index=[2, 3]).to_numpy(), "target", "empty", None)
    notes.cells(pd.Series([True, False], index=[2, 3]), "target", "again", None)
    assert notes.joined().tolist() == [
        "Warning E2 'abc': not a number; Target row 2: again",
        "Target row 3: empty",
    ]
