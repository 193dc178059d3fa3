"""Figures as a person reads them, the same in notes, on the Status tab and in mails."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.present import as_typed, figure, fmt, percent, percent_change


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (412.0, "", "412"),
        (1200.5, "", "1,200.5"),
        (0.12345, "", "0.1235"),
        (1200.0, "$", "$1,200"),
        (-1200.0, "$", "-$1,200"),
        (0.034, "%", "3.4 %"),
        (0.12, "%", "12 %"),
        (240.0, "ms", "240 ms"),
        (math.nan, "ms", ""),
        (math.inf, "", "inf"),
        (1e308, "%", "inf %"),
    ],
)
def test_a_figure_is_written_as_a_person_writes_it(value: float, unit: str, expected: str) -> None:
    assert fmt(value, unit) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [
        (-0.176, "-17.6 %"),
        (0.05, "+5.0 %"),
        (-0.0001, "+0.0 %"),
        (0.0, "+0.0 %"),
        (2.5, "+250.0 %"),
    ],
)
def test_a_change_is_signed_and_never_minus_zero(fraction: float, expected: str) -> None:
    assert percent_change(fraction) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"), [(0.52, "52 %"), (1.07, "107 %"), (0.0, "0 %"), (math.nan, "")]
)
def test_a_progress_is_a_whole_percentage(fraction: float, expected: str) -> None:
    assert percent(fraction) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12.0, "12"), (0.35, "0.35"), (1200.0, "1,200"), (0.9995, "0.9995"), (math.nan, "")],
)
def test_a_key_result_figure_is_compact(value: float, expected: str) -> None:
    assert figure(value) == expected


@pytest.mark.parametrize(
    ("cell", "expected"), [(7.0, "7"), (0.7, "0.7"), (" 7/10 ", "7/10"), ("high", "high")]
)
def test_a_confidence_shows_as_typed(cell: object, expected: str) -> None:
    assert as_typed(cell) == expected


@given(st.floats(), st.sampled_from(["", "%", "$", "ms", "users"]))
def test_any_figure_with_any_unit_is_written_without_error(value: float, unit: str) -> None:
    text = fmt(value, unit)
    assert (text == "") == math.isnan(value)
    if unit == "$" and text:
        assert text.startswith(("$", "-$"))
