"""A1 addresses: the letters of a column and the name of a cell."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.a1 import a1, column_letter


@pytest.mark.parametrize(
    ("col", "letters"),
    [
        (1, "A"),
        (2, "B"),
        (26, "Z"),
        (27, "AA"),
        (52, "AZ"),
        (53, "BA"),
        (702, "ZZ"),
        (703, "AAA"),
        (16384, "XFD"),
    ],
)
def test_columns_past_z_continue_with_two_letters(col: int, letters: str) -> None:
    assert column_letter(col) == letters


def test_a1_puts_the_column_letters_before_the_row() -> None:
    assert a1(7, 2) == "B7"
    assert a1(1, 28) == "AB1"


@pytest.mark.parametrize(("row", "col"), [(0, 1), (1, 0), (-1, 3)])
def test_rows_and_columns_are_numbered_from_one(row: int, col: int) -> None:
    with pytest.raises(ValueError, match="numbered from 1"):
        a1(row, col)


def letters_to_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**6))
def test_column_letters_name_each_column_exactly_once(col: int) -> None:
    assert letters_to_number(column_letter(col)) == col
