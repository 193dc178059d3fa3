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
    cell_text,
    is_flag_like,
    name_key,
    parse_dates,
    parse_flags,
    parse_header_date,
    parse_numbers,
    serial_to_date,
)

AMBIGUOUS_COMMA = "ambiguous decimal comma; set kpi.decimal_comma"
NOT_FINITE = "not a finite number"


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
        pytest.param("1.1K", 1100.0, id="the scale is exact so 1.1k is 1100 to the last bit"),
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
    assert value == expected


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
    ("values", "expected", "errors"),
    [
        pytest.param(
            pd.Series([1.5, np.nan, np.inf]),
            [1.5, None, None],
            [None, None, NOT_FINITE],
            id="a float64 column, NaN empty and infinity refused",
        ),
        pytest.param(
            pd.Series([1, None, 3], dtype="Int64"),
            [1.0, None, 3.0],
            [None, None, None],
            id="a nullable int column",
        ),
        pytest.param(
            pd.Series(["1.5", None, "1e999"]),
            [1.5, None, None],
            [None, None, NOT_FINITE],
            id="a pandas string column",
        ),
    ],
)
def test_typed_columns_read_like_object_columns(
    values: pd.Series, expected: list[float | None], errors: list[str | None]
) -> None:
    result = parse_numbers(values)
    assert [None if math.isnan(v) else v for v in result["value"]] == expected
    assert result["error"].tolist() == errors


def test_an_empty_column_gives_an_empty_frame() -> None:
    assert parse_numbers(cells()).shape == (0, 2)
    assert parse_dates(cells()).shape == (0, 2)
    assert parse_flags(cells()).shape == (0, 2)


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param(dt.date(2026, 11, 2), "2026-11-02", id="a real date cell"),
        pytest.param(dt.datetime(2026, 11, 2, 8, 30), "2026-11-02 08:30", id="a real datetime"),
        pytest.param(pd.Timestamp("2026-11-02 08:30"), "2026-11-02 08:30", id="a pandas Timestamp"),
        pytest.param(np.datetime64("2026-11-02"), "2026-11-02", id="a numpy datetime64"),
        pytest.param(
            dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2026-11-02 08:30",
            id="an aware datetime keeps the wall-clock time the sheet showed",
        ),
        pytest.param("2026-11-02", "2026-11-02", id="ISO text"),
        pytest.param("2026-11-02T08:00", "2026-11-02 08:00", id="ISO text with a time"),
        pytest.param("2026-11-02 08:00:30.25", "2026-11-02 08:00:30.25", id="ISO with seconds"),
        pytest.param("2026/11/02", "2026-11-02", id="year first with slashes"),
        pytest.param("13/11/2026", "2026-11-13", id="a first part above 12 is the day"),
        pytest.param("11/13/2026", "2026-11-13", id="a second part above 12 is the day"),
        pytest.param("11/02/2026", "2026-11-02", id="an ambiguous date is month first (US)"),
        pytest.param("11/2/2026", "2026-11-02", id="without leading zeros"),
        pytest.param("02.11.2026", "2026-11-02", id="a dotted date is day first as in Europe"),
        pytest.param("11-02-2026", "2026-11-02", id="dashes read like slashes"),
        pytest.param("11/2/26", "2026-11-02", id="a two-digit year is this century"),
        pytest.param("11/2/2026 3:15 PM", "2026-11-02 15:15", id="a US time of day"),
        pytest.param("11/2/2026 12:05 am", "2026-11-02 00:05", id="midnight on a 12-hour clock"),
        pytest.param("2 Nov 2026", "2026-11-02", id="the month in words after the day"),
        pytest.param("Nov 2, 2026", "2026-11-02", id="the month in words before the day"),
        pytest.param("November 2nd 2026", "2026-11-02", id="a full month name and an ordinal"),
        pytest.param("2-Sept-2026", "2026-09-02", id="the British Sept"),
        pytest.param(" 2026-11-02 ", "2026-11-02", id="surrounding spaces are ignored"),
        pytest.param(46000, "2025-12-09", id="a Sheets serial number"),
        pytest.param(46000.25, "2025-12-09 06:00", id="a serial's fraction is the time of day"),
        pytest.param(61, "1900-03-01", id="serials agree with Excel from 1 March 1900"),
        pytest.param(1, "1899-12-31", id="the first serial"),
    ],
)
def test_a_date_is_read_as_a_person_reads_it(cell: object, expected: str) -> None:
    value, error = read_date(cell)
    assert error is None
    assert value == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("cell", "dayfirst", "expected"),
    [
        pytest.param("11/02/2026", True, "2026-02-11", id="dayfirst reads an ambiguous date d/m"),
        pytest.param("02.11.2026", False, "2026-02-11", id="dayfirst False overrides the dots"),
        pytest.param("13/11/2026", False, "2026-11-13", id="an unambiguous date ignores dayfirst"),
    ],
)
def test_dayfirst_decides_only_ambiguous_dates(cell: str, dayfirst: bool, expected: str) -> None:
    value, error = read_date(cell, dayfirst=dayfirst)
    assert error is None
    assert value == pd.Timestamp(expected)


@pytest.mark.parametrize("cell", [None, "", "n/a", "N/A", "-", "—", "none", math.nan, pd.NaT])
def test_an_empty_date_cell_is_nat_without_an_error(cell: object) -> None:
    value, error = read_date(cell)
    assert pd.isna(value)
    assert error is None


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        pytest.param("2026-02-30", "no such date", id="a day the month does not have"),
        pytest.param("13/13/2026", "no such date", id="no month 13 either way round"),
        pytest.param("2026-11-02 25:00", "no such date", id="an hour past 23"),
        pytest.param("11/2/2026 13:00 pm", "no such date", id="13 pm"),
        pytest.param("3000-01-01", "date out of range", id="a year pandas cannot hold"),
        pytest.param(dt.date(1, 1, 1), "date out of range", id="a real date before 1677"),
        pytest.param("#REF!", "formula error #REF!", id="a formula error"),
        pytest.param("next week", "not a date", id="words"),
        pytest.param("46000", "not a date", id="a serial typed as text"),
        pytest.param("2026-11-02Z", "not a date", id="a trailing letter"),
        pytest.param("Week 45 2026", "not a date", id="a week number is no month name"),
        pytest.param(True, "a checkbox, not a date", id="a checkbox"),
        pytest.param(object(), "not a date", id="an unknown object"),
    ],
)
def test_an_unreadable_date_has_no_value_and_a_reason(cell: object, reason: str) -> None:
    value, error = read_date(cell)
    assert pd.isna(value)
    assert error == reason


@pytest.mark.parametrize("serial", [0, -5, 10**7, math.inf])
def test_a_number_outside_the_serial_range_is_not_a_date(serial: float) -> None:
    value, error = read_date(serial)
    assert pd.isna(value)
    assert error is not None
    assert error.startswith("a number, not a date serial")


def test_dates_come_back_as_naive_nanosecond_datetimes_on_the_callers_index() -> None:
    values = pd.Series(["2026-11-02", 46000, None], index=["a", "b", "c"], dtype=object)
    result = parse_dates(values)
    assert str(result["value"].dtype) == "datetime64[ns]"
    assert list(result.index) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(pd.Series(pd.to_datetime(["2026-11-02", None])), id="a datetime column"),
        pytest.param(
            pd.Series(pd.to_datetime(["2026-11-02", None])).dt.tz_localize("Europe/Paris"),
            id="an aware datetime column",
        ),
        pytest.param(pd.Series([46000.0, np.nan]), id="a float column of serials"),
        pytest.param(pd.Series(["2026-11-02", None]), id="a pandas string column"),
    ],
)
def test_typed_date_columns_read_like_object_columns(values: pd.Series) -> None:
    result = parse_dates(values)
    expected = pd.Timestamp("2025-12-09" if values.dtype == float else "2026-11-02")
    assert result["value"].iloc[0] == expected
    assert pd.isna(result["value"].iloc[1])
    assert result["error"].tolist() == [None, None]


# --- header dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param(dt.date(2026, 11, 2), dt.date(2026, 11, 2), id="a real date cell"),
        pytest.param(dt.datetime(2026, 11, 2, 9), dt.date(2026, 11, 2), id="a datetime's day"),
        pytest.param("2026-11-02", dt.date(2026, 11, 2), id="ISO text"),
        pytest.param("11/2/2026", dt.date(2026, 11, 2), id="US text"),
        pytest.param("13/11/2026", dt.date(2026, 11, 13), id="day-first text with a day above 12"),
        pytest.param(46000, dt.date(2025, 12, 9), id="a serial number from Sheets"),
        pytest.param(46000.0, dt.date(2025, 12, 9), id="a float serial number"),
        pytest.param(20000, dt.date(1954, 10, 3), id="the first plausible serial"),
        pytest.param(80000, dt.date(2119, 1, 11), id="the last plausible serial"),
        pytest.param("KPI", None, id="a column name"),
        pytest.param("Q3", None, id="a quarter"),
        pytest.param(5, None, id="a small number"),
        pytest.param(2026, None, id="a year"),
        pytest.param(19999, None, id="a serial before 1954"),
        pytest.param(80001, None, id="a serial after 2119"),
        pytest.param("46000", None, id="a serial typed as text"),
        pytest.param(True, None, id="a checkbox"),
        pytest.param(None, None, id="an empty header"),
        pytest.param(math.nan, None, id="NaN"),
        pytest.param(pd.NaT, None, id="NaT"),
        pytest.param("2026-02-30", None, id="a day that does not exist"),
    ],
)
def test_a_header_is_a_date_column_only_when_it_reads_as_a_date(
    cell: object, expected: dt.date | None
) -> None:
    assert parse_header_date(cell) == expected


def test_a_header_date_may_be_read_day_first() -> None:
    assert parse_header_date("02/11/2026", dayfirst=True) == dt.date(2026, 11, 2)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, dt.date(1899, 12, 31)),
        (61, dt.date(1900, 3, 1)),
        (46000, dt.date(2025, 12, 9)),
        (46000.99, dt.date(2025, 12, 9)),
        (-1, dt.date(1899, 12, 29)),
    ],
)
def test_a_serial_number_is_days_since_30_december_1899(serial: float, expected: dt.date) -> None:
    assert serial_to_date(serial) == expected


@pytest.mark.parametrize("serial", [math.nan, math.inf, 1e12])
def test_a_serial_that_is_no_day_is_a_value_error(serial: float) -> None:
    with pytest.raises(ValueError, match="serial"):
        serial_to_date(serial)


# --- check marks -----------------------------------------------------------------------------

DONE = ["Yes", "yes", "Y", "Done", "DONE", "TRUE", "true", "complete", "Completed", "✓", "✔",
        "☑", "x", "X", "1", True, np.bool_(True), 1, 1.0]  # fmt: skip
NOT_DONE = ["No", "n", "Not done", "not  DONE", "FALSE", "false", "incomplete", "✗", "✘",
            "☐", "0", False, 0, 0.0]  # fmt: skip


@pytest.mark.parametrize("cell", DONE)
def test_a_done_mark_reads_as_one(cell: object) -> None:
    result = parse_flags(cells(cell)).iloc[0]
    assert (result["value"], result["error"]) == (1.0, None)


@pytest.mark.parametrize("cell", NOT_DONE)
def test_a_not_done_mark_reads_as_zero(cell: object) -> None:
    result = parse_flags(cells(cell)).iloc[0]
    assert (result["value"], result["error"]) == (0.0, None)


@pytest.mark.parametrize("cell", [None, "", "n/a", "-", math.nan])
def test_an_empty_milestone_is_nan_without_an_error(cell: object) -> None:
    result = parse_flags(cells(cell)).iloc[0]
    assert math.isnan(result["value"])
    assert result["error"] is None


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("maybe", "not a yes/no value"),
        (2, "not a yes/no value"),
        (0.5, "not a yes/no value"),
        (dt.date(2026, 1, 1), "not a yes/no value"),
        ("#N/A", "formula error #N/A"),
    ],
)
def test_anything_else_is_not_a_milestone_value(cell: object, reason: str) -> None:
    result = parse_flags(cells(cell)).iloc[0]
    assert math.isnan(result["value"])
    assert result["error"] == reason


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param(True, True, id="a checkbox"),
        pytest.param("Done", True, id="a word"),
        pytest.param(" not done ", True, id="a phrase with spaces"),
        pytest.param("✓", True, id="a tick"),
        pytest.param(1, False, id="the number 1"),
        pytest.param("0", False, id="the text 0"),
        pytest.param(42.5, False, id="a number"),
        pytest.param("12%", False, id="a percentage"),
        pytest.param(None, False, id="an empty cell"),
        pytest.param("maybe", False, id="another word"),
    ],
)
def test_flag_like_cells_are_milestone_style_not_plain_numbers(
    cell: object, expected: bool
) -> None:
    assert is_flag_like(cells(cell)).tolist() == [expected]


def test_a_column_of_checkboxes_reads_as_milestones_not_numbers() -> None:
    checkboxes = pd.Series([True, False])
    assert parse_flags(checkboxes)["value"].tolist() == [1.0, 0.0]
    assert is_flag_like(checkboxes).tolist() == [True, True]
    assert parse_numbers(checkboxes)["error"].tolist() == ["a checkbox, not a number"] * 2


def test_is_flag_like_keeps_the_index() -> None:
    result = is_flag_like(pd.Series(["Yes", 3], index=[7, 9], dtype=object))
    assert result.dtype == bool
    assert list(result.index) == [7, 9]


# --- properties ------------------------------------------------------------------------------
# Each example parses a whole column of up to 20 cells in one call (a parse costs a few ms
# whatever its size), so 40-80 examples check 800-1600 cells and the file stays under 5 s.
FUZZ = settings(max_examples=80, deadline=None)
ROUND_TRIP = settings(max_examples=40, deadline=None)

ANY_CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.text(alphabet="0123456789.,%$€()-−+ kKmMbBe#!/\u00a0"),
    st.dates(),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
    st.decimals(),
)


def assert_value_or_error(result: pd.DataFrame) -> None:
    """Each cell is empty, or has a value, or has a reason; never a value and a reason."""
    has_value = result["value"].notna()
    has_error = result["error"].notna()
    assert not (has_value & has_error).any()
    assert result["error"].map(lambda e: e is None or (isinstance(e, str) and e != "")).all()


@FUZZ
@given(st.lists(ANY_CELL, max_size=20), st.booleans())
def test_any_cells_read_as_numbers_give_a_value_or_a_reason_never_an_exception(
    values: list[object], decimal_comma: bool
) -> None:
    result = parse_numbers(cells(*values), decimal_comma=decimal_comma)
    assert_value_or_error(result)
    assert np.isfinite(result["value"].dropna()).all()


@FUZZ
@given(st.lists(ANY_CELL, max_size=20), st.sampled_from([None, True, False]))
def test_any_cells_read_as_dates_give_a_value_or_a_reason_never_an_exception(
    values: list[object], dayfirst: bool | None
) -> None:
    assert_value_or_error(parse_dates(cells(*values), dayfirst=dayfirst))


@FUZZ
@given(st.lists(ANY_CELL, max_size=20))
def test_any_cells_read_as_flags_give_a_value_or_a_reason_never_an_exception(
    values: list[object],
) -> None:
    result = parse_flags(cells(*values))
    assert_value_or_error(result)
    assert result["value"].dropna().isin([0.0, 1.0]).all()
    assert len(is_flag_like(cells(*values))) == len(values)


@settings(max_examples=20, deadline=None)  # one parse per cell: the costliest property here
@given(st.lists(ANY_CELL, min_size=1, max_size=8))
def test_a_cell_reads_the_same_alone_or_in_a_column(values: list[object]) -> None:
    together = parse_numbers(cells(*values))
    for position, value in enumerate(values):
        alone = parse_numbers(cells(value)).iloc[0]
        assert together["error"].iloc[position] == alone["error"]
        assert together["value"].iloc[position] == pytest.approx(alone["value"], nan_ok=True)


@settings(max_examples=200, deadline=None)
@given(ANY_CELL)
def test_any_header_cell_is_a_date_or_none_never_an_exception(cell: object) -> None:
    assert parse_header_date(cell) is None or isinstance(parse_header_date(cell), dt.date)


FINITE = st.floats(allow_nan=False, allow_infinity=False)
SOME = {"min_size": 1, "max_size": 20}  # one parse per example, many cells per parse


def numbers_of(texts: list[str], *, decimal_comma: bool = False) -> list[float]:
    result = parse_numbers(cells(*texts), decimal_comma=decimal_comma)
    assert result["error"].isna().all(), result[result["error"].notna()]
    return result["value"].tolist()


def dates_of(values: list[object], *, dayfirst: bool | None = None) -> list[pd.Timestamp]:
    result = parse_dates(cells(*values), dayfirst=dayfirst)
    assert result["error"].isna().all(), result[result["error"].notna()]
    return result["value"].tolist()


@ROUND_TRIP
@given(st.lists(FINITE, **SOME))
def test_a_formatted_float_reads_back_as_itself(numbers: list[float]) -> None:
    texts = [str(x) for x in numbers] + [f"{x:,}" for x in numbers]
    assert numbers_of(texts) == numbers + numbers


@ROUND_TRIP
@given(st.lists(FINITE, **SOME))
def test_a_formatted_float_reads_back_as_itself_with_decimal_comma(numbers: list[float]) -> None:
    texts = [f"{x:,}".replace(",", " ").replace(".", ",") for x in numbers]
    assert numbers_of(texts, decimal_comma=True) == numbers


@ROUND_TRIP
@given(st.lists(st.floats(min_value=-1e15, max_value=1e15, allow_subnormal=False), **SOME))
def test_a_percentage_is_the_number_over_a_hundred(numbers: list[float]) -> None:
    for value, number in zip(numbers_of([f"{x}%" for x in numbers]), numbers, strict=True):
        assert math.isclose(value, number / 100, rel_tol=1e-15, abs_tol=1e-300)


@ROUND_TRIP
@given(st.lists(st.floats(min_value=0, allow_infinity=False), **SOME), st.sampled_from("$€ "))
def test_a_number_in_brackets_is_its_negative(numbers: list[float], currency: str) -> None:
    currency = currency.strip()
    bracketed = numbers_of([f"({currency}{x})" for x in numbers])
    assert bracketed == numbers_of([f"-{currency}{x}" for x in numbers])
    assert bracketed == [-x for x in numbers]


DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2262, 1, 1))


@ROUND_TRIP
@given(st.lists(DATES, **SOME))
def test_an_iso_date_reads_back_as_itself(days: list[dt.date]) -> None:
    stamps = [pd.Timestamp(day) for day in days]
    assert dates_of([day.isoformat() for day in days] + list(days)) == stamps + stamps


@ROUND_TRIP
@given(st.lists(DATES.filter(lambda d: d.day > 12), **SOME), st.sampled_from([None, True, False]))
def test_a_date_with_a_day_above_12_reads_back_either_way_round(
    days: list[dt.date], dayfirst: bool | None
) -> None:
    us = [f"{d.month}/{d.day}/{d.year}" for d in days]
    european = [f"{d.day}/{d.month}/{d.year}" for d in days]
    stamps = [pd.Timestamp(day) for day in days]
    assert dates_of(us + european, dayfirst=dayfirst) == stamps + stamps


@ROUND_TRIP
@given(st.lists(st.integers(min_value=20_000, max_value=80_000), **SOME))
def test_a_header_serial_is_the_same_day_as_serial_to_date(serials: list[int]) -> None:
    days = [serial_to_date(serial) for serial in serials]
    assert [parse_header_date(serial) for serial in serials] == days
    assert dates_of(list(serials)) == [pd.Timestamp(day) for day in days]


# --- text and names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, ""),
        (math.nan, ""),
        ("  Revenue ", "Revenue"),
        ("\u2003", ""),
        (412, "412"),
        (4.5, "4.5"),
        (True, "True"),
        (dt.date(2026, 11, 30), "2026-11-30"),
    ],
)
def test_a_cell_reads_as_its_trimmed_text(cell: object, expected: str) -> None:
    assert cell_text(cell) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (" Revenue\u00a0 MRR ", "revenue mrr"),
        ("Qualified  LEADS", "qualified leads"),
        ("ﬁnance\t", "finance"),
        ("Straße", "strasse"),
        (None, ""),
        (math.nan, ""),
        (2026, "2026"),
        ("\u2003", ""),
    ],
)
def test_names_match_ignoring_case_and_spacing(name: object, expected: str) -> None:
    assert name_key(name) == expected


@given(
    st.lists(
        st.one_of(st.none(), st.floats(), st.integers(min_value=-(10**400), max_value=10**400)),
        max_size=20,
    )
)
def test_numbers_and_blanks_read_alike_with_or_without_a_text_cell_beside_them(
    values: list[object],
) -> None:
    plain = parse_numbers(cells(*values))  # numbers and blanks only: the quick path
    mixed = parse_numbers(cells(*values, "n/a")).iloc[:-1]  # one text cell: cell by cell
    pd.testing.assert_frame_equal(plain, mixed, check_exact=True)
