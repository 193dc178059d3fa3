"""KPI rules (docs/kpi-rules.md): every status, every boundary, and their notes.

Frames are built as literals: a KPI is a dict of its cells (column ids as keys) and its
history, a dict of day -> cell placed in dated columns L, M, N... of its sheet row.
The KPI columns sit at A.. in the order of ``COLUMNS``: Direction is D, Warning E,
Critical F, Target G, Max change % H, Cadence I, Mute until J, Current K.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.config import Job, KpiConfig, WorkbookConfig
from sync.rules import status as status_words
from sync.rules.cell_notes import Where
from sync.rules.kpi import duplicate_names, evaluate_kpis

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)  # a Thursday
WEEKS = ("2026-11-09", "2026-11-16", "2026-11-23")
JOB = Job(workbook=WorkbookConfig(backend="xlsx"))
COLUMNS = (
    "kpi",
    "owner",
    "unit",
    "direction",
    "warning",
    "critical",
    "target",
    "max_change",
    "cadence",
    "mute_until",
    "current",
)
WHERE = Where({cid: pos for pos, cid in enumerate(COLUMNS, start=1)}, JOB.columns)
FIRST_DATED = len(COLUMNS) + 1  # column L
NO_DATA_NOTE = "no value yet: add one in a dated column, in Current or in the 'KPI log' tab"
DIRECTIONLESS = "set Direction D2 to higher or lower: the thresholds do not say which way is better"
RESULT_COLUMNS = [
    "name",
    "owner",
    "unit",
    "direction",
    "warning",
    "critical",
    "target",
    "max_change",
    "value",
    "date",
    "previous",
    "previous_date",
    "change",
    "status",
    "note",
    "mute_until",
]


def weekly(*values: object) -> dict[str, object]:
    """A history of the newest ``len(values)`` weekly columns, the last on 2026-11-23."""
    return dict(zip(WEEKS[len(WEEKS) - len(values) :], values, strict=True))


def frames(*kpis: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KPI rows on sheet rows 2, 3... and their history in the long form the rules take."""
    rows, history = [], []
    for row, spec in enumerate(kpis, start=2):
        cells = {"kpi": f"KPI {row}", **spec}
        rows.append({cid: cells.get(cid) for cid in COLUMNS})
        days = cells.get("history", {})
        for col, (day, raw) in enumerate(days.items(), start=FIRST_DATED):
            history.append({"row": row, "date": pd.Timestamp(day), "col": col, "raw": raw})
    index = pd.Index(range(2, len(kpis) + 2), name="row")
    table = pd.DataFrame(rows, index=index, columns=list(COLUMNS), dtype=object)
    long = pd.DataFrame(history, columns=["row", "date", "col", "raw"]).astype(
        {"row": "int64", "date": "datetime64[ns]", "col": "int64", "raw": object}
    )
    return table, long


def judge(*kpis: Mapping[str, Any], now: dt.datetime = NOW, job: Job = JOB) -> pd.DataFrame:
    table, history = frames(*kpis)
    return evaluate_kpis(table, history, now, job, WHERE)


def one(now: dt.datetime = NOW, job: Job = JOB, **spec: Any) -> dict[str, Any]:
    result: dict[str, Any] = judge(spec, now=now, job=job).iloc[0].to_dict()
    return result


HIGHER_480_450 = {"direction": "higher", "warning": 480, "critical": 450}
LOWER_300_400 = {"warning": 300, "critical": 400}  # direction inferred: lower is better
ONLY_CHANGE = {"direction": "higher", "max_change": 15}


# --- thresholds and direction ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "status", "note"),
    [
        pytest.param(
            {**HIGHER_480_450, "history": weekly(500, 412)},
            "CRITICAL",
            "412 < critical 450; -17.6 % since 2026-11-16",
            id="a value below critical is critical, with the change since the previous",
        ),
        pytest.param(
            {**HIGHER_480_450, "history": weekly(460)},
            "WARNING",
            "460 < warning 480",
            id="a value between the thresholds is a warning",
        ),
        pytest.param(
            {**HIGHER_480_450, "history": weekly(480)},
            "OK",
            "480",
            id="a value equal to warning is not a breach",
        ),
        pytest.param(
            {**HIGHER_480_450, "history": weekly(450)},
            "WARNING",
            "450 < warning 480",
            id="a value equal to critical is only a warning",
        ),
        pytest.param(
            {**LOWER_300_400, "history": weekly(350)},
            "WARNING",
            "350 > warning 300",
            id="critical above warning means lower is better",
        ),
        pytest.param(
            {**LOWER_300_400, "history": weekly(400)},
            "WARNING",
            "400 > warning 300",
            id="lower is better: equal to critical is only a warning",
        ),
        pytest.param(
            {**LOWER_300_400, "history": weekly(401)},
            "CRITICAL",
            "401 > critical 400",
            id="lower is better: above critical is critical",
        ),
        pytest.param(
            {**LOWER_300_400, "history": weekly(300)},
            "OK",
            "300",
            id="lower is better: equal to warning is fine",
        ),
        pytest.param(
            {"direction": "higher", "critical": 450, "history": weekly(449)},
            "CRITICAL",
            "449 < critical 450",
            id="a critical threshold alone can breach",
        ),
        pytest.param(
            {"direction": "higher", "critical": 450, "history": weekly(450)},
            "OK",
            "450",
            id="a critical threshold alone is not breached by an equal value",
        ),
        pytest.param(
            {"direction": " Lower is better ", "warning": 5, "history": weekly(6)},
            "WARNING",
            "6 > warning 5",
            id="the direction is read in words and any case",
        ),
        pytest.param(
            {"direction": "↑", "warning": 5, "history": weekly(4)},
            "WARNING",
            "4 < warning 5",
            id="an arrow is a direction",
        ),
        pytest.param(
            {"warning": 100, "target": 150, "history": weekly(99)},
            "WARNING",
            "99 < warning 100; target 150 not met",
            id="one threshold and a target above it mean higher is better",
        ),
        pytest.param(
            {"warning": 100, "target": 50, "history": weekly(101)},
            "WARNING",
            "101 > warning 100; target 50 not met",
            id="one threshold and a target below it mean lower is better",
        ),
        pytest.param(
            {"warning": 100, "critical": 100, "target": 150, "history": weekly(99)},
            "CRITICAL",
            "99 < critical 100; target 150 not met",
            id="equal thresholds leave the direction to the target",
        ),
        pytest.param(
            {"direction": "higher", "warning": 100, "critical": 120, "history": weekly(1)},
            "ERROR",
            "Direction D2 says higher is better, but Critical F2 (120) is above "
            "Warning E2 (100), which means lower is better: fix one of them",
            id="a direction the thresholds contradict is an error naming both cells",
        ),
        pytest.param(
            {"direction": "lower", "warning": 100, "critical": 80, "history": weekly(1)},
            "ERROR",
            "Direction D2 says lower is better, but Critical F2 (80) is below "
            "Warning E2 (100), which means higher is better: fix one of them",
            id="a lower direction the thresholds contradict is an error too",
        ),
        pytest.param(
            {"direction": "sideways", "warning": 5, "critical": 4, "history": weekly(1)},
            "ERROR",
            "Direction D2 'sideways': expected higher or lower",
            id="an unknown direction word is an error",
        ),
        pytest.param(
            {"warning": 100, "history": weekly(1)},
            "ERROR",
            DIRECTIONLESS,
            id="one threshold without a direction or target cannot be judged",
        ),
        pytest.param(
            {"max_change": 15, "history": weekly(1, 2)},
            "ERROR",
            DIRECTIONLESS,
            id="a change rule without a direction cannot be judged",
        ),
        pytest.param(
            {"warning": 100, "critical": 100, "history": weekly(1)},
            "ERROR",
            DIRECTIONLESS,
            id="equal thresholds without a target cannot be judged",
        ),
    ],
)
def test_thresholds_and_direction(spec: dict[str, Any], status: str, note: str) -> None:
    result = one(**spec)
    assert (result["status"], result["note"]) == (status, note)


def test_the_direction_column_says_what_was_used_or_inferred() -> None:
    result = judge(
        {"warning": 5, "critical": 4}, {"warning": 5, "critical": 6}, {"direction": "down"}, {}
    )
    assert list(result["direction"]) == ["higher", "lower", "lower", ""]


def test_a_missing_direction_column_is_named_as_one_to_add() -> None:
    table, history = frames({"warning": 100, "history": weekly(1)})
    where = Where({"kpi": 1, "warning": 5}, JOB.columns)
    result = evaluate_kpis(table[["kpi", "warning"]], history, NOW, JOB, where)
    assert result.at[2, "note"] == (
        "add a Direction column to higher or lower: the thresholds do not say which way is better"
    )


# --- sudden change ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "status", "note"),
    [
        pytest.param(
            {**ONLY_CHANGE, "history": weekly(515, 420)},
            "WARNING",
            "420; -18.4 % since 2026-11-16 (was 515), more than the 15 % max change",
            id="a fall larger than max change is a warning",
        ),
        pytest.param(
            {**ONLY_CHANGE, "history": weekly(100, 85)},
            "OK",
            "85; -15.0 % since 2026-11-16",
            id="a fall exactly at max change is not a breach",
        ),
        pytest.param(
            {**ONLY_CHANGE, "history": weekly(100, 150)},
            "OK",
            "150; +50.0 % since 2026-11-16",
            id="a large move the good way is not a breach",
        ),
        pytest.param(
            {**ONLY_CHANGE, "direction": "lower", "history": weekly(100, 120)},
            "WARNING",
            "120; +20.0 % since 2026-11-16 (was 100), more than the 15 % max change",
            id="lower is better: a rise larger than max change is a warning",
        ),
        pytest.param(
            {**ONLY_CHANGE, "history": weekly(-100, -120)},
            "WARNING",
            "-120; -20.0 % since 2026-11-16 (was -100), more than the 15 % max change",
            id="a change is relative to the size of a negative previous value",
        ),
        pytest.param(
            {**ONLY_CHANGE, "history": weekly(0, -5)},
            "WARNING",
            "-5; down from 0 on 2026-11-16, more than the 15 % max change",
            id="any move the bad way from zero is a sudden change",
        ),
        pytest.param(
            {**ONLY_CHANGE, "history": weekly(0, 5)},
            "OK",
            "5; up from 0 on 2026-11-16",
            id="a move the good way from zero is fine",
        ),
        pytest.param(
            {**ONLY_CHANGE, "history": weekly(0, 0)},
            "OK",
            "0; +0.0 % since 2026-11-16",
            id="zero after zero is no change",
        ),
        pytest.param(
            {**ONLY_CHANGE, "history": weekly(420)},
            "OK",
            "420",
            id="a first value has nothing to change from",
        ),
        pytest.param(
            {**ONLY_CHANGE, "history": {"2026-11-09": 515, "2026-11-16": "n/a", "2026-11-23": 420}},
            "WARNING",
            "420; -18.4 % since 2026-11-09 (was 515), more than the 15 % max change",
            id="the previous value skips blanks",
        ),
        pytest.param(
            {**ONLY_CHANGE, "history": {"2026-11-09": 515, "2026-11-16": 420, "2026-11-23": "—"}},
            "WARNING",
            "420; -18.4 % since 2026-11-09 (was 515), more than the 15 % max change",
            id="the current value is the newest one that is not blank",
        ),
        pytest.param(
            {**HIGHER_480_450, "max_change": 15, "history": weekly(515, 420)},
            "CRITICAL",
            "420 < critical 450; -18.4 % since 2026-11-16 (was 515), more than the 15 % max change",
            id="a sudden change beside a critical breach stays critical",
        ),
        pytest.param(
            {**ONLY_CHANGE, "max_change": "15%", "history": weekly(100, 84)},
            "WARNING",
            "84; -16.0 % since 2026-11-16 (was 100), more than the 15 % max change",
            id="max change may be typed with a percent sign",
        ),
        pytest.param(
            {**ONLY_CHANGE, "max_change": 0.15, "history": weekly(100, 84)},
            "WARNING",
            "84; -16.0 % since 2026-11-16 (was 100), more than the 15 % max change",
            id="max change may be a Sheets percent cell holding a fraction",
        ),
        pytest.param(
            {**ONLY_CHANGE, "max_change": 1, "history": weekly(100, 98)},
            "WARNING",
            "98; -2.0 % since 2026-11-16 (was 100), more than the 1 % max change",
            id="a max change of 1 is 1 %, not a fraction of 100 %",
        ),
        pytest.param(
            {**ONLY_CHANGE, "max_change": -15, "history": weekly(1)},
            "ERROR",
            "Max change % H2 -15: expected a percentage of 0 or more",
            id="a negative max change is an error",
        ),
    ],
)
def test_sudden_change(spec: dict[str, Any], status: str, note: str) -> None:
    result = one(**spec)
    assert (result["status"], result["note"]) == (status, note)


def test_the_change_column_is_relative_to_the_previous_value() -> None:
    result = judge(
        {**ONLY_CHANGE, "history": weekly(515, 420)},
        {**ONLY_CHANGE, "history": weekly(0, 3)},
        {**ONLY_CHANGE, "history": weekly(7)},
    )
    assert result.at[2, "change"] == pytest.approx(-95 / 515)
    assert np.isnan(result.at[3, "change"])  # undefined from zero
    assert np.isnan(result.at[4, "change"])
    assert bool(result.at[2, "sudden"])
    assert not result.at[3, "sudden"]


# --- staleness -------------------------------------------------------------------------------


def dated(day: str, cadence: object, **more: Any) -> dict[str, Any]:
    return {"direction": "higher", "warning": 1, "cadence": cadence, "history": {day: 10}, **more}


@pytest.mark.parametrize(
    ("spec", "status"),
    [
        pytest.param(dated("2026-11-16", "weekly"), "OK", id="weekly: 10 days old is fresh"),
        pytest.param(dated("2026-11-15", "weekly"), "STALE", id="weekly: 11 days old is stale"),
        pytest.param(dated("2026-11-25", "daily"), "OK", id="daily: yesterday's value is fresh"),
        pytest.param(dated("2026-11-24", "Daily"), "STALE", id="daily: two days old is stale"),
        pytest.param(dated("2026-10-12", "monthly"), "OK", id="monthly: 45 days old is fresh"),
        pytest.param(dated("2026-10-11", "monthly"), "STALE", id="monthly: 46 days old is stale"),
        pytest.param(dated("2026-11-22", 3), "OK", id="a number of days: 4 of 4.5 is fresh"),
        pytest.param(dated("2026-11-22", "3d"), "OK", id="a number of days may say d"),
        pytest.param(dated("2026-11-21", "3"), "STALE", id="a number of days: 5 of 4.5 is stale"),
        pytest.param(
            dated("2026-11-05", "2 weeks"), "OK", id="a count of weeks: 21 of 21 is fresh"
        ),
        pytest.param(
            dated("2026-11-04", "every 2 weeks"), "STALE", id="a count of weeks: 22 of 21 is stale"
        ),
        pytest.param(
            dated("2026-09-27", "2 months"), "OK", id="a count of months: 60 of 90 is fresh"
        ),
        pytest.param(dated("2025-01-01", None), "OK", id="no cadence means no staleness check"),
        pytest.param(
            dated("2026-11-15", "weekly", history={"2026-11-15": 10, "2026-11-30": 12}),
            "STALE",
            id="a value dated after today does not count yet",
        ),
    ],
)
def test_staleness(spec: dict[str, Any], status: str) -> None:
    assert one(**spec)["status"] == status


def test_a_stale_note_says_how_old_the_value_is_and_the_limit() -> None:
    assert one(**dated("2026-11-15", "weekly"))["note"] == (
        "10; no new value for 11 days (since 2026-11-15; stale after 10.5)"
    )


def test_a_breach_outranks_staleness_and_the_note_says_both() -> None:
    result = one(**dated("2026-11-02", "weekly", critical=0.5, history={"2026-11-02": 0}))
    assert (result["status"], result["note"]) == (
        "CRITICAL",
        "0 < critical 0.5; no new value for 24 days (since 2026-11-02; stale after 10.5)",
    )


def test_an_unknown_cadence_is_an_error() -> None:
    assert one(**dated("2026-11-23", "often"))["note"] == (
        "Cadence I2 'often': expected daily, weekly, monthly or a number of days"
    )


def test_days_are_counted_in_the_workbooks_time_zone() -> None:
    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)  # already the 27th at UTC+14
    far_east = replace(JOB, timezone="Pacific/Kiritimati")
    assert one(now=now, **dated("2026-11-16", "weekly"))["status"] == "OK"
    assert one(now=now, job=far_east, **dated("2026-11-16", "weekly"))["status"] == "STALE"


def test_the_stale_factor_is_configurable() -> None:
    lenient = replace(JOB, kpi=KpiConfig(stale_factor=2.0))
    assert one(job=lenient, **dated("2026-11-12", "weekly"))["status"] == "OK"
    assert one(job=lenient, **dated("2026-11-11", "weekly"))["status"] == "STALE"


# --- no data, no threshold, target -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "status", "note"),
    [
        pytest.param(
            {**HIGHER_480_450}, "NO DATA", NO_DATA_NOTE, id="a KPI with no value has no data"
        ),
        pytest.param(
            {**HIGHER_480_450, "history": weekly("n/a", "-", "—")},
            "NO DATA",
            NO_DATA_NOTE,
            id="n/a and dashes are no value",
        ),
        pytest.param({"history": {}}, "NO DATA", NO_DATA_NOTE, id="no data outranks no threshold"),
        pytest.param(
            {**dated("2026-11-02", "weekly"), "history": {}},
            "NO DATA",
            NO_DATA_NOTE,
            id="a KPI that never had a value is not stale but has no data",
        ),
        pytest.param(
            {"history": weekly(20, 23)},
            "NO THRESHOLD",
            "23; +15.0 % since 2026-11-16; no Warning, Critical or Max change % set",
            id="a value without any rule is monitored but not green",
        ),
        pytest.param(
            {"target": 500, "history": weekly(412)},
            "NO THRESHOLD",
            "412; no Warning, Critical or Max change % set; target 500",
            id="a target is not a threshold, and without a direction it is not judged",
        ),
        pytest.param(
            {"direction": "higher", "target": 500, "history": weekly(412)},
            "NO THRESHOLD",
            "412; no Warning, Critical or Max change % set; target 500 not met",
            id="with a direction a target is judged",
        ),
        pytest.param(
            {**HIGHER_480_450, "target": 500, "history": weekly(500)},
            "OK",
            "500; target 500 met",
            id="a value equal to the target meets it",
        ),
        pytest.param(
            {**LOWER_300_400, "target": 250, "history": weekly(240)},
            "OK",
            "240; target 250 met",
            id="lower is better: a value under the target meets it",
        ),
        pytest.param(
            {**LOWER_300_400, "target": 250, "history": weekly(260)},
            "OK",
            "260; target 250 not met",
            id="lower is better: a value over the target misses",
        ),
        pytest.param(
            {"direction": "higher", "warning": 0.3, "unit": "%", "history": weekly(0.25)},
            "WARNING",
            "25 % < warning 30 %",
            id="a percent KPI is shown in percent",
        ),
        pytest.param(
            {"direction": "lower", "warning": 60, "unit": "$", "history": weekly(66)},
            "WARNING",
            "$66 > warning $60",
            id="a dollar KPI is shown in dollars",
        ),
    ],
)
def test_no_data_no_threshold_and_target(spec: dict[str, Any], status: str, note: str) -> None:
    result = one(**spec)
    assert (result["status"], result["note"]) == (status, note)


# --- the Current column ----------------------------------------------------------------------


def test_current_is_compared_with_the_newest_dated_value() -> None:
    result = one(**HIGHER_480_450, current=412, history={"2026-11-16": 500})
    assert (result["value"], result["previous"]) == (412, 500)
    assert result["note"] == "412 < critical 450; -17.6 % since 2026-11-16"
    assert result["date"] == pd.Timestamp("2026-11-16")  # staleness counts from the dated value


def test_current_equal_to_the_newest_dated_value_is_that_same_observation() -> None:
    result = one(**ONLY_CHANGE, current=412, history={"2026-11-09": 500, "2026-11-16": 412})
    assert (result["previous"], result["previous_date"]) == (500, pd.Timestamp("2026-11-09"))
    assert result["status"] == "WARNING"


def test_current_without_dated_values_is_judged_but_not_checked_for_staleness() -> None:
    result = one(**HIGHER_480_450, cadence="weekly", current=481)
    assert (result["status"], result["note"]) == (
        "OK",
        "481; no dated value, so staleness is not checked",
    )


def test_an_unreadable_current_is_an_error_naming_the_cell() -> None:
    assert one(**HIGHER_480_450, current="abc", history=weekly(500))["note"] == (
        "Current K2 'abc': not a number"
    )


# --- reading cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        pytest.param(412, 412.0, id="an int"),
        pytest.param(41.5, 41.5, id="a float"),
        pytest.param("12%", 0.12, id="a percentage is a fraction"),
        pytest.param("$1,200", 1200.0, id="dollars with a thousands comma"),
        pytest.param("1 200", 1200.0, id="a space between thousands"),
        pytest.param("1.2k", 1200.0, id="k for thousands"),
        pytest.param("3M", 3_000_000.0, id="M for millions"),
        pytest.param("(300)", -300.0, id="brackets for a negative"),
        pytest.param("−5", -5.0, id="a Unicode minus"),
    ],
)
def test_history_cells_are_read_as_a_person_reads_them(cell: object, value: float) -> None:
    assert one(history=weekly(cell))["value"] == pytest.approx(value)


def test_a_decimal_comma_is_read_when_configured() -> None:
    comma = replace(JOB, kpi=KpiConfig(decimal_comma=True))
    result = one(job=comma, direction="higher", warning="1.000,5", history=weekly("1.234,5"))
    assert (result["value"], result["warning"], result["status"]) == (1234.5, 1000.5, "OK")


@pytest.mark.parametrize(
    ("spec", "note"),
    [
        pytest.param(
            {**HIGHER_480_450, "history": weekly(500, "#DIV/0!")},
            "M2 (2026-11-23) '#DIV/0!': formula error #DIV/0!",
            id="a formula error in the history",
        ),
        pytest.param(
            {**HIGHER_480_450, "history": weekly("#REF!", 500)},
            "L2 (2026-11-16) '#REF!': formula error #REF!",
            id="an old unreadable cell too, since the history cannot be trusted",
        ),
        pytest.param(
            {**HIGHER_480_450, "history": weekly(True)},
            "L2 (2026-11-23) True: a checkbox, not a number",
            id="a checkbox in the history",
        ),
        pytest.param(
            {"direction": "higher", "warning": "abc", "history": weekly(1)},
            "Warning E2 'abc': not a number",
            id="a threshold that is not a number",
        ),
        pytest.param(
            {"direction": "higher", "warning": "#N/A", "critical": "x", "history": weekly(1)},
            "Warning E2 '#N/A': formula error #N/A; Critical F2 'x': not a number",
            id="every bad cell of a row is named",
        ),
        pytest.param(
            {**HIGHER_480_450, "mute_until": "someday", "history": weekly(500)},
            "Mute until J2 'someday': not a date",
            id="a mute date that is not a date",
        ),
    ],
)
def test_an_unreadable_cell_is_an_error_naming_the_cell_and_its_text(
    spec: dict[str, Any], note: str
) -> None:
    result = one(**spec)
    assert (result["status"], result["note"]) == ("ERROR", note)


def test_a_row_with_many_bad_cells_names_a_few_and_counts_the_rest() -> None:
    days = {f"2026-11-{d:02d}": "bad" for d in range(1, 6)}
    assert one(direction="higher", warning=1, history=days)["note"] == (
        "L2 (2026-11-01) 'bad': not a number; M2 (2026-11-02) 'bad': not a number; "
        "N2 (2026-11-03) 'bad': not a number; and 2 more unreadable cells"
    )


def test_a_log_cell_is_named_by_its_tab_and_address() -> None:
    table, _ = frames({**HIGHER_480_450})
    history = pd.DataFrame(
        {
            "row": [2],
            "date": [pd.Timestamp("2026-11-23")],
            "col": [3],
            "raw": ["abc"],
            "tab": ["KPI log"],
            "src_row": [17],
            "error": [None],
        }
    )
    result = evaluate_kpis(table, history, NOW, JOB, WHERE)
    assert result.at[2, "note"] == "'KPI log'!C17 'abc': not a number"


def test_a_bad_row_leaves_the_other_rows_alone() -> None:
    result = judge(
        {**HIGHER_480_450, "history": weekly("oops")}, {**HIGHER_480_450, "history": weekly(500)}
    )
    assert list(result["status"]) == ["ERROR", "OK"]


def test_mute_until_is_read_as_a_date() -> None:
    assert one(mute_until="2026-12-01")["mute_until"] == pd.Timestamp("2026-12-01")


def test_the_result_keeps_the_columns_the_job_and_status_tab_read() -> None:
    result = judge(
        {**HIGHER_480_450, "owner": " a@example.com ", "unit": "ms", "history": weekly(500)}
    )
    assert set(RESULT_COLUMNS) <= set(result.columns)
    assert (result.at[2, "name"], result.at[2, "owner"], result.at[2, "unit"]) == (
        "KPI 2",
        "a@example.com",
        "ms",
    )


def test_no_kpis_give_an_empty_result() -> None:
    table, history = frames()
    assert evaluate_kpis(table, history, NOW, JOB, WHERE).empty


# --- duplicate names -------------------------------------------------------------------------


def test_every_row_of_a_duplicated_name_is_an_error_naming_the_others() -> None:
    result = duplicate_names(
        judge(
            {"kpi": "Revenue", **HIGHER_480_450, "history": weekly(500)},
            {"kpi": "Churn", **HIGHER_480_450, "history": weekly(500)},
            {"kpi": " revenue ", **HIGHER_480_450, "history": weekly(500)},
            {"kpi": "REVENUE", **HIGHER_480_450, "history": weekly("bad")},
        )
    )
    assert list(result["status"]) == ["ERROR", "OK", "ERROR", "ERROR"]
    assert result.at[2, "note"] == "KPI name 'Revenue' is also on rows 4 and 5"
    assert result.at[4, "note"] == "KPI name 'revenue' is also on rows 2 and 5"
    assert result.at[5, "note"] == (
        "KPI name 'REVENUE' is also on rows 2 and 4; L5 (2026-11-23) 'bad': not a number"
    )
    assert result.at[3, "note"] == "500"


def test_a_pair_of_duplicates_name_one_row_each() -> None:
    result = duplicate_names(judge({"kpi": "A"}, {"kpi": "a"}))
    assert list(result["note"]) == [
        "KPI name 'A' is also on row 3",
        "KPI name 'a' is also on row 2",
    ]


# --- properties ------------------------------------------------------------------------------

CELLS = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"\A[-+(−]?[$€]?[0-9][0-9 ,.]{0,8}[%kKmM)]?\Z"),
    st.sampled_from(["n/a", "N/A", "-", "—", "", " ", "#DIV/0!", "#REF!", "#N/A", "1e400"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.booleans(),
    st.none(),
    st.dates(),
)
LETTERS = {cid: chr(ord("A") + pos - 1) for cid, pos in WHERE.positions.items()} | {"history": "L"}
CELL_COLUMNS = (
    "warning",
    "critical",
    "target",
    "max_change",
    "current",
    "direction",
    "cadence",
    "mute_until",
    "history",
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CELL_COLUMNS), CELLS), min_size=1, max_size=12))
def test_any_cell_yields_a_value_or_an_error_note_never_an_exception(
    cells: list[tuple[str, object]],
) -> None:
    kpis = [
        {"direction": "higher", "history": weekly(100)}
        | ({"history": {"2026-11-23": cell}} if column == "history" else {column: cell})
        for column, cell in cells
    ]
    result = judge(*kpis)
    assert set(result["status"]) <= set(status_words.KPI_ORDER)
    for row, (column, _) in enumerate(cells, start=2):
        status, note = result.at[row, "status"], result.at[row, "note"]
        assert isinstance(note, str)
        assert note
        if status == "ERROR":
            assert note.startswith(
                f"{LETTERS[column]}{row} (2026-11-23) "
                if column == "history"
                else f"{JOB.columns[column]} {LETTERS[column]}{row} "
            )


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CELL_COLUMNS), CELLS), min_size=1, max_size=8))
def test_evaluating_twice_gives_the_same_result_and_leaves_the_input_alone(
    cells: list[tuple[str, object]],
) -> None:
    kpis = [
        {**ONLY_CHANGE, "warning": 90, "cadence": "weekly", "history": weekly(100, 95)}
        | ({"history": {"2026-11-23": cell}} if column == "history" else {column: cell})
        for column, cell in cells
    ]
    table, history = frames(*kpis)
    before = (table.copy(), history.copy())
    first = evaluate_kpis(table, history, NOW, JOB, WHERE)
    pd.testing.assert_frame_equal(first, evaluate_kpis(table, history, NOW, JOB, WHERE))
    pd.testing.assert_frame_equal(table, before[0])
    pd.testing.assert_frame_equal(history, before[1])


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(CELL_COLUMNS), CELLS), min_size=1, max_size=8),
    st.integers(1, 4),
)
def test_the_history_in_blocks_of_rows_gives_the_result_of_the_whole(
    cells: list[tuple[str, object]], rows_per_block: int
) -> None:
    kpis = [
        {**ONLY_CHANGE, "warning": 90, "cadence": "weekly", "history": weekly(100, 95)}
        | ({"history": {"2026-11-23": cell}} if column == "history" else {column: cell})
        for column, cell in cells
    ]
    table, history = frames(*kpis)
    block = (history["row"] - 2) // rows_per_block
    blocks = [part.reset_index(drop=True) for _, part in history.groupby(block)]
    pd.testing.assert_frame_equal(
        evaluate_kpis(table, iter(blocks), NOW, JOB, WHERE),
        evaluate_kpis(table, history, NOW, JOB, WHERE),
    )


FINITE = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@st.composite
def at_a_threshold(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A KPI whose value equals one threshold, the other threshold lying further out."""
    level, gap = draw(FINITE), draw(st.floats(min_value=0.001, max_value=1e6))
    sign = draw(st.sampled_from([1, -1]))  # 1: higher is better
    which = draw(st.sampled_from(["warning", "critical"]))
    other = level - sign * gap if which == "warning" else level + sign * gap
    spec: dict[str, Any] = {
        which: level,
        ("critical" if which == "warning" else "warning"): other,
        "history": weekly(level, level),
    }
    if draw(st.booleans()):  # else inferred from the thresholds
        spec["direction"] = "higher" if sign == 1 else "lower"
    return which, spec


@settings(max_examples=25, deadline=None)
@given(st.lists(at_a_threshold(), min_size=1, max_size=10))
def test_a_value_equal_to_a_threshold_is_never_a_breach_of_it(
    kpis: list[tuple[str, dict[str, Any]]],
) -> None:
    statuses = judge(*[spec for _, spec in kpis])["status"]
    for (which, _), status in zip(kpis, statuses, strict=True):
        assert status == "OK" if which == "warning" else status in {"OK", "WARNING"}


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 10**6), st.integers(0, 100), st.sampled_from([1, -1])),
        min_size=1,
        max_size=10,
    )
)
def test_a_change_equal_to_max_change_is_never_a_breach(moves: list[tuple[int, int, int]]) -> None:
    kpis = [
        {
            "direction": "higher" if sign == 1 else "lower",
            "max_change": limit,
            "history": weekly(float(start), start - sign * start * limit / 100),
        }
        for start, limit, sign in moves
    ]
    assert set(judge(*kpis)["status"]) == {"OK"}


@st.composite
def any_kpi(draw: st.DrawFn) -> dict[str, Any]:
    """A KPI with numeric cells anywhere (thresholds in any order, with or without direction)."""
    number = st.one_of(st.none(), st.integers(-1000, 1000).map(float))
    spec = {c: draw(number) for c in ("warning", "critical", "target", "current")}
    spec["direction"] = draw(st.sampled_from(["higher", "lower", None]))
    spec["max_change"] = draw(st.sampled_from([None, 0, 10, 50]))
    spec["history"] = dict(zip(WEEKS, draw(st.lists(number, max_size=3)), strict=False))
    return spec


def mirrored(spec: dict[str, Any]) -> dict[str, Any]:
    flip = {"higher": "lower", "lower": "higher", None: None}

    def neg(x: Any) -> Any:
        return None if x is None else -x

    return {
        **{c: neg(spec[c]) for c in ("warning", "critical", "target", "current")},
        "direction": flip[spec["direction"]],
        "max_change": spec["max_change"],
        "history": {d: neg(v) for d, v in spec["history"].items()},
    }


@settings(max_examples=30, deadline=None)
@given(st.lists(any_kpi(), min_size=1, max_size=12))
def test_mirroring_direction_and_values_mirrors_the_statuses(kpis: list[dict[str, Any]]) -> None:
    original = judge(*kpis)
    mirror = judge(*[mirrored(k) for k in kpis])
    assert list(original["status"]) == list(mirror["status"])
    flipped = original["direction"].map({"higher": "lower", "lower": "higher", "": ""})
    assert list(flipped) == list(mirror["direction"])
