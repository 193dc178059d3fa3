"""Reading cells the way a person reads them: numbers, dates, check marks and addresses."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.cells import (
    a1,
    column_letter,
    is_flag_like,
    parse_dates,
    parse_flags,
    parse_header_date,
    parse_numbers,
    serial_to_date,
)

AMBIGUOUS_COMMA = "ambiguous decimal comma; set kpi.decimal_comma"


def cells(*values: object) -> pd.Series:
    """A column of raw cells, as a backend hands them over (object dtype, None for blanks)."""
    return pd.Series(list(values), dtype=object)


def read_number(cell: object, *, decimal_comma: bool = False) -> tuple[float, str | None]:
    row = parse_numbers(cells(cell), decimal_comma=decimal_comma).iloc[0]
    return row["value"], row["error"]


def read_date(cell: object, *, dayfirst: bool | None = None) -> tuple[object, str | None]:
    row = parse_dates(cells(cell), dayfirst=dayfirst).iloc[0]
    return row["value"], row["error"]


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param(412, 412.0, id="an int is itself"),
        pytest.param(4.5, 4.5, id="a float is itself"),
        pytest.param(Decimal("2.5"), 2.5, id="a Decimal is a number"),
        pytest.param(np.float32(1.5), 1.5, id="a numpy number is a number"),
        pytest.param("12%", 0.12, id="a percentage is a fraction as Sheets stores it"),
        pytest.param("12.5 %", 0.125, id="a percentage may have a space before the sign"),
        pytest.param("$1,200", 1200.0, id="dollars with a thousands comma"),
        pytest.param("1,200 €", 1200.0, id="a currency symbol may follow the number"),
        pytest.param("£3", 3.0, id="pounds"),
        pytest.param("¥300", 300.0, id="yen"),
        pytest.param("1 200", 1200.0, id="a space groups thousands"),
        pytest.param("1\u00a0200", 1200.0, id="a no-break space groups thousands"),
        pytest.param("1\u2009200", 1200.0, id="a thin space groups thousands"),
        pytest.param("1'234.5", 1234.5, id="an apostrophe groups thousands the Swiss way"),
        pytest.param("1,234,567.89", 1234567.89, id="commas group every three digits"),
        pytest.param("1.2k", 1200.0, id="k is thousands"),
        pytest.param("1.1K", 1100.0, id="the scale is exact so 1.1k is 1100 not 1100.0000000000002"),
        pytest.param("3M", 3e6, id="M is millions"),
        pytest.param("3mn", 3e6, id="mn is millions"),
        pytest.param("2.5bn", 2.5e9, id="bn is billions"),
        pytest.param("2B", 2e9, id="B is billions"),
        pytest.param("$1.2k", 1200.0, id="currency and scale together"),
        pytest.param("(300)", -300.0, id="brackets are an accountant's minus"),
        pytest.param("($1,200)", -1200.0, id="brackets around money"),
        pytest.param("−5", -5.0, id="a Unicode minus is a minus"),
        pytest.param("-$5", -5.0, id="a minus before the currency"),
        pytest.param("$-5", -5.0, id="a minus after the currency"),
        pytest.param("+7", 7.0, id="a leading plus"),
        pytest.param("1e3", 1000.0, id="scientific notation"),
        pytest.param("2.5E-3", 0.0025, id="scientific notation with a negative exponent"),
        pytest.param("  42  ", 42.0, id="surrounding spaces are ignored"),
        pytest.param(".5", 0.5, id="a leading decimal point"),
        pytest.param("7.", 7.0, id="a trailing decimal point"),
    ],
)
def test_a_number_is_read_as_a_person_reads_it(cell: object, expected: float) -> None:
    value, error = read_number(cell)
    assert error is None
    assert value == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "cell", [None, "", "   ", "n/a", "N/A", "NA", "-", "—", "–", "none", "null", "NULL", math.nan]
)
def test_a_no_value_marker_is_empty_without_an_error(cell: object) -> None:
    value, error = read_number(cell)
    assert math.isnan(value)
    assert error is None


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        pytest.param("#REF!", "formula error #REF!", id="a broken reference"),
        pytest.param("#DIV/0!", "formula error #DIV/0!", id="a division by zero"),
        pytest.param("#N/A", "formula error #N/A", id="a failed lookup"),
        pytest.param("#VALUE!", "formula error #VALUE!", id="a wrong argument"),
        pytest.param("#NAME?", "formula error #NAME?", id="an unknown function"),
        pytest.param("#NUM!", "formula error #NUM!", id="a numeric overflow"),
        pytest.param("#NULL!", "formula error #NULL!", id="an empty intersection"),
        pytest.param("#ERROR!", "formula error #ERROR!", id="a parse error in Sheets"),
        pytest.param(True, "a checkbox, not a number", id="a ticked checkbox is not a number"),
        pytest.param(False, "a checkbox, not a number", id="an empty checkbox is not a number"),
        pytest.param(np.bool_(True), "a checkbox, not a number", id="a numpy bool is a checkbox"),
        pytest.param(dt.date(2026, 1, 1), "a date, not a number", id="a date is not a number"),
        pytest.param(math.inf, "not a finite number", id="infinity is not finite"),
        pytest.param(10**400, "not a finite number", id="an int too large for a float"),
        pytest.param("1e999", "not a finite number", id="text too large for a float"),
        pytest.param("about 12", "not a number", id="a word before a number"),
        pytest.param("12 apples", "not a number", id="a word after a number"),
        pytest.param("$12%", "not a number", id="money and a percentage at once"),
        pytest.param("--5", "not a number", id="two minus signs"),
        pytest.param("(-5)", "not a number", id="a minus inside brackets"),
        pytest.param("(5", "not a number", id="an unclosed bracket"),
        pytest.param("1,2,3", "not a number", id="commas that group nothing"),
        pytest.param("nan", "not a number", id="the text nan"),
        pytest.param("inf", "not a number", id="the text inf"),
        pytest.param("٣", "not a number", id="digits of another script"),
        pytest.param([1], "not a number", id="a list"),
        pytest.param("1,5", AMBIGUOUS_COMMA, id="a decimal comma without the setting"),
        pytest.param("12,5 %", AMBIGUOUS_COMMA, id="a percentage with a decimal comma"),
        pytest.param("€1.200,50", AMBIGUOUS_COMMA, id="European grouping without the setting"),
    ],
)
def test_an_unreadable_cell_has_no_value_and_a_reason(cell: object, reason: str) -> None:
    value, error = read_number(cell)
    assert math.isnan(value)
    assert error == reason


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param("1.234,5", 1234.5, id="dots group and the comma is the decimal mark"),
        pytest.param("12,5 %", 0.125, id="a percentage with a decimal comma"),
        pytest.param("€1.200,50", 1200.5, id="euros"),
        pytest.param("1 234,5", 1234.5, id="spaces still group"),
        pytest.param("1,5", 1.5, id="a lone decimal comma"),
        pytest.param("1.234", 1234.0, id="a lone dot groups thousands"),
        pytest.param(2.5, 2.5, id="real numbers are unaffected"),
    ],
)
def test_with_decimal_comma_the_comma_is_the_decimal_mark(cell: object, expected: float) -> None:
    value, error = read_number(cell, decimal_comma=True)
    assert error is None
    assert value == pytest.approx(expected)


@pytest.mark.parametrize("cell", ["1.5", "1,234.5"])
def test_with_decimal_comma_a_decimal_point_is_refused(cell: str) -> None:
    value, error = read_number(cell, decimal_comma=True)
    assert math.isnan(value)
    assert error == "decimal point, but kpi.decimal_comma is set"


def test_the_index_is_kept_and_the_columns_have_fixed_dtypes() -> None:
    values = pd.Series(["12%", None, "x", 3], index=[10, 20, 30, 40], dtype=object)
    result = parse_numbers(values)
    assert list(result.index) == [10, 20, 30, 40]
    assert list(result.columns) == ["value", "error"]
    assert result["value"].dtype == np.float64
    assert result["error"].dtype == object
    assert result["error"].tolist() == [None, None, "not a number", None]


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(pd.Series([1.5, np.nan, np.inf]), id="a float64 column"),
        pytest.param(pd.Series([1, None, 3], dtype="Int64"), id="a nullable int column"),
        pytest.param(pd.Series(["1.5", None, "1e999"]), id="a pandas string column"),
    ],
)
def test_typed_columns_read_like_object_columns(values: pd.Series) -> None:
    result = parse_numbers(values)
    assert result["value"].iloc[0] == pytest.approx(1.5 if values.iloc[0] != 1 else 1.0)
    assert math.isnan(result["value"].iloc[1])
    assert result["error"].iloc[1] is None
    assert result["error"].iloc[2] in {None, "not a finite number"}


def test_an_empty_column_gives_an_empty_frame() -> None:
    assert parse_numbers(cells()).shape == (0, 2)
    assert parse_dates(cells()).shape == (0, 2)
    assert parse_flags(cells()).shape == (0, 2)
