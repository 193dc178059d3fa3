"""The OKR rules of docs/okr-rules.md, on frames built here: no workbook, no clock.

The cycle used throughout is ten days, 2026-10-01 to 2026-10-10, so that "now" at midnight
starting 2026-10-06 is exactly half-way (elapsed 0.5) and boundaries are exact figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import hypothesis.strategies as hs
import pandas as pd
import pytest
from hypothesis import given, settings

from sync.config import OKR_COLUMNS, Job, OkrConfig, WorkbookConfig
from sync.rules import status as st
from sync.rules.okr import Cycle, OkrResult, cycle_for, evaluate_okrs

UTC = dt.UTC
JOB = Job(
    workbook=WorkbookConfig(backend="xlsx"),
    okr=OkrConfig(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 10)),
)
HALF_WAY = dt.datetime(2026, 10, 6, tzinfo=UTC)
AFTER = dt.datetime(2026, 10, 12, tzinfo=UTC)
POSITIONS = {cid: i for i, cid in enumerate(OKR_COLUMNS, start=1)}  # Objective = A, ...
KPIS = {"qualified leads": 412.0, "uptime": 0.9996, "p95 latency": 240.0}
DIRECTIONS = {"qualified leads": "higher", "uptime": "higher", "p95 latency": "lower"}


def okrs(*rows: Mapping[str, Any], now: dt.datetime = HALF_WAY, job: Job = JOB) -> OkrResult:
    """Evaluate key-result rows (dicts of column id -> raw cell) on sheet rows 2, 3, ..."""
    frame = pd.DataFrame(
        [{"objective": "O", **r} for r in rows], index=pd.RangeIndex(2, len(rows) + 2), dtype=object
    )
    frame = frame.astype(object).where(frame.notna(), None)
    return evaluate_okrs(frame, KPIS, now, job, POSITIONS, kpi_directions=DIRECTIONS)


def kr(now: dt.datetime = HALF_WAY, job: Job = JOB, **cells: Any) -> dict[str, Any]:
    """The one key result's result row, as a dict."""
    row = okrs({"key_result": "KR", **cells}, now=now, job=job).key_results.iloc[0]
    return {str(k): v for k, v in row.items()}


# -- progress of every kind -------------------------------------------------------------------

PROGRESS = [
    pytest.param({"start": 0, "target": 10, "current": 5}, 0.5, id="increasing"),
    pytest.param({"start": 30, "target": 10, "current": 22}, 0.4, id="decreasing"),
    pytest.param({"start": 0, "target": 10, "current": 12}, 1.2, id="over-achieved-shown-raw"),
    pytest.param({"start": 10, "target": 20, "current": 5}, -0.5, id="behind-its-start"),
    pytest.param(
        {"start": "$1,000", "target": "$2,000", "current": "1.5k"},
        0.5,
        id="numbers-written-as-people-write-them",
    ),
    pytest.param({"start": "10%", "target": "20%", "current": 0.125}, 0.25, id="percent-text"),
    pytest.param(
        {"start": None, "target": 12, "current": 3},
        0.25,
        id="missing-start-is-zero-when-increasing",
    ),
    pytest.param({"start": 0, "target": 10, "current": None}, 0.0, id="no-current-value-yet"),
    pytest.param(
        {"start": 0.9995, "target": 0.9995, "current": 0.9996},
        1.0,
        id="maintain-better-than-target",
    ),
    pytest.param(
        {"start": 0.9995, "target": 0.9995, "current": 0.9995}, 1.0, id="maintain-at-target"
    ),
    pytest.param(
        {"start": 0.9995, "target": 0.9995, "current": 0.999}, 0.0, id="maintain-below-target"
    ),
    pytest.param(
        {"start": 250, "target": 250, "kpi": "p95 latency"},
        1.0,
        id="maintain-lower-is-better-kpi-under-target",
    ),
    pytest.param(
        {"start": 200, "target": 200, "kpi": "P95  Latency"},
        0.0,
        id="maintain-lower-is-better-kpi-over-target",
    ),
    pytest.param(
        {"start": 400, "target": 600, "current": 999, "kpi": "Qualified leads"},
        0.06,
        id="kpi-linked-takes-the-kpi-value-over-current",
    ),
]


@pytest.mark.parametrize(("cells", "progress"), PROGRESS)
def test_progress_is_linear_from_start_to_target_for_every_kind(
    cells: dict[str, Any], progress: float
) -> None:
    result = kr(**cells)
    assert result["status"] != st.ERROR, result["note"]
    assert result["progress"] == pytest.approx(progress)
    assert result["clamped"] == pytest.approx(min(max(progress, 0.0), 1.0))


MILESTONES = [
    ("Yes", 1),
    ("No", 0),
    ("Done", 1),
    ("Not done", 0),
    ("done ", 1),
    ("TRUE", 1),
    ("FALSE", 0),
    (True, 1),
    (False, 0),
    ("✓", 1),
    ("✗", 0),
    ("✔", 1),
    ("☐", 0),
]


@pytest.mark.parametrize(("current", "progress"), MILESTONES)
def test_a_milestone_is_zero_or_one_whatever_the_check_mark(current: object, progress: int) -> None:
    result = kr(target="Done", current=current)
    assert result["milestone"]
    assert (result["progress"], result["status"] == st.DONE) == (progress, progress == 1)


@pytest.mark.parametrize(("target", "current"), [(True, 1), ("Yes", 0), (None, True)])
def test_one_and_zero_are_milestone_values_beside_a_check_mark(
    target: object, current: int
) -> None:
    assert kr(target=target, current=current)["progress"] == float(current)


def test_a_milestone_that_is_no_check_mark_is_an_error_naming_the_cell() -> None:
    result = kr(target="Done", current="Maybe")
    assert result["status"] == st.ERROR
    assert result["note"] == "Current F2 'Maybe': not a yes/no value"


ERRORS = [
    pytest.param(
        {"start": 0, "target": 10, "current": "about 5"},
        "Current F2 'about 5': not a number",
        id="unreadable-current",
    ),
    pytest.param(
        {"start": 0, "target": "#REF!", "current": 5},
        "Target E2 '#REF!': formula error #REF!",
        id="formula-error",
    ),
    pytest.param(
        {"start": 0, "target": None, "current": 5},
        "Target E2: empty: a key result needs a target",
        id="no-target",
    ),
    pytest.param(
        {"start": 0, "target": 10, "kpi": "Qualified lead"},
        "KPI I2 'Qualified lead': no such KPI on the KPIs tab",
        id="unknown-kpi",
    ),
    pytest.param(
        {"start": None, "target": 10, "current": 22},
        "Start D2: empty, and the key",
        id="missing-start-of-a-decreasing-one",
    ),
    pytest.param(
        {"start": None, "target": 0, "current": 2},
        "Start D2: empty",
        id="missing-start-with-a-target-of-zero",
    ),
    pytest.param(
        {"start": None, "target": 200, "kpi": "p95 latency"},
        "Start D2: empty",
        id="missing-start-of-a-lower-is-better-kpi",
    ),
    pytest.param(
        {"start": 0, "target": 10, "current": 5, "weight": -1},
        "Weight G2 -1: expected zero or more",
        id="negative-weight",
    ),
    pytest.param(
        {"start": 0, "target": 10, "current": 5, "kind": "stretchy"},
        "Kind K2 'stretchy': expected committed or aspirational",
        id="unknown-kind",
    ),
    pytest.param(
        {"start": 0, "target": 10, "current": 5, "due": "soon"},
        "Due H2 'soon': not a date",
        id="unreadable-due",
    ),
    pytest.param(
        {"start": 0, "target": 10, "current": 5, "due": dt.date(2026, 9, 30)},
        "Due H2 2026-09-30: before the cycle starts (2026-10-01)",
        id="due-too-early",
    ),
]


@pytest.mark.parametrize(("cells", "note"), ERRORS)
def test_an_unreadable_key_result_is_an_error_whose_note_names_the_cell(
    cells: dict[str, Any], note: str
) -> None:
    result = kr(**cells)
    assert result["status"] == st.ERROR
    assert result["note"].startswith(note)


def test_every_problem_of_a_row_is_in_its_note() -> None:
    note = kr(start="low", target="high", current=1)["note"]
    assert note == "Start D2 'low': not a number; Target E2 'high': not a number"


# -- pace and status --------------------------------------------------------------------------

STATUSES = [  # half-way through: committed expected 50 %, aspirational 35 %
    ("committed", 100, st.DONE),
    ("committed", 99, st.ON_TRACK),
    ("committed", 40, st.ON_TRACK),
    ("committed", 39, st.AT_RISK),
    ("committed", 25, st.AT_RISK),
    ("committed", 24, st.OFF_TRACK),
    ("aspirational", 25, st.ON_TRACK),
    ("aspirational", 24, st.AT_RISK),
    ("aspirational", 10, st.AT_RISK),
    ("aspirational", 9, st.OFF_TRACK),
    ("", 25, st.ON_TRACK),
    ("Committed", 39, st.AT_RISK),
    ("stretch", 25, st.ON_TRACK),
]


@pytest.mark.parametrize(("kind", "current", "status"), STATUSES)
def test_status_compares_progress_with_the_pace_and_a_boundary_counts_as_reached(
    kind: str, current: int, status: str
) -> None:
    assert kr(start=0, target=100, current=current, kind=kind)["status"] == status


@pytest.mark.parametrize(("kind", "expected"), [("committed", 0.5), ("aspirational", 0.35)])
def test_expected_progress_is_the_elapsed_share_times_the_pace(kind: str, expected: float) -> None:
    assert kr(start=0, target=1, current=0, kind=kind)["expected"] == pytest.approx(expected)


def test_margins_and_the_aspirational_pace_are_configurable() -> None:
    job = replace(
        JOB, okr=replace(JOB.okr, on_track_margin=0.05, at_risk_margin=0.1, aspirational_pace=0.5)
    )
    assert kr(job=job, start=0, target=100, current=44, kind="committed")["status"] == (st.AT_RISK)
    assert kr(job=job, start=0, target=100, current=39, kind="committed")["status"] == (
        st.OFF_TRACK
    )
    assert kr(job=job, start=0, target=1, current=0)["expected"] == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("due", "now", "expected"),
    [
        (dt.date(2026, 10, 5), dt.datetime(2026, 10, 3, 12, tzinfo=UTC), 0.5),
        (dt.date(2026, 10, 5), HALF_WAY, 1.0),  # past its due date: the full pace
        (None, dt.datetime(2026, 10, 10, 12, tzinfo=UTC), 0.95),  # the end day is inclusive
        (None, dt.datetime(2026, 9, 20, tzinfo=UTC), 0.0),  # before the cycle
        ("2026-10-03", dt.datetime(2026, 10, 2, tzinfo=UTC), 1 / 3),
    ],
)
def test_a_due_date_sets_the_pace_and_a_past_due_one_expects_the_full_pace(
    due: object, now: dt.datetime, expected: float
) -> None:
    result = kr(now=now, start=0, target=1, current=0, kind="committed", due=due)
    assert result["expected"] == pytest.approx(expected)


def test_the_clock_is_read_in_the_configured_time_zone() -> None:
    job = replace(JOB, timezone="America/New_York")
    # 02:00 UTC on the 6th is 22:00 on the 5th in New York: 4 days 22 hours of 10 days.
    result = kr(
        job=job,
        now=dt.datetime(2026, 10, 6, 2, tzinfo=UTC),
        start=0,
        target=1,
        current=0,
        kind="committed",
    )
    assert result["expected"] == pytest.approx((4 + 22 / 24) / 10)


def test_a_maintain_key_result_is_on_track_while_held_and_off_track_when_not() -> None:
    assert kr(start=5, target=5, current=6)["status"] == st.ON_TRACK
    assert kr(start=5, target=5, current=4)["status"] == st.OFF_TRACK
    assert kr(start=5, target=5, current=6, due=dt.date(2026, 10, 3))["status"] == st.DONE
    assert kr(start=5, target=5, current=6)["expected"] == pytest.approx(0.7)


# -- the cycle --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "timezone", "start", "end"),
    [
        (dt.datetime(2026, 11, 15, tzinfo=UTC), "UTC", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        (dt.datetime(2026, 2, 1, tzinfo=UTC), "UTC", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (
            dt.datetime(2026, 1, 1, 2, tzinfo=UTC),
            "America/New_York",
            dt.date(2025, 10, 1),
            dt.date(2025, 12, 31),
        ),
        (
            dt.datetime(2026, 6, 30, 23, tzinfo=UTC),
            "Asia/Tokyo",
            dt.date(2026, 7, 1),
            dt.date(2026, 9, 30),
        ),
    ],
)
def test_without_a_configured_cycle_it_is_the_calendar_quarter_in_the_time_zone(
    now: dt.datetime, timezone: str, start: dt.date, end: dt.date
) -> None:
    job = replace(JOB, okr=OkrConfig(), timezone=timezone)
    assert cycle_for(job, now) == Cycle(start, end)


def test_a_configured_cycle_counts_its_days_inclusively() -> None:
    cycle = cycle_for(JOB, HALF_WAY)
    assert (
        cycle.days,
        cycle.day_of(dt.date(2026, 10, 6)),
        cycle.day_of(dt.date(2027, 1, 1)),
        cycle.day_of(dt.date(2026, 9, 1)),
    ) == (10, 6, 10, 0)
    assert not cycle.ended(dt.date(2026, 10, 10))
    assert cycle.ended(dt.date(2026, 10, 11))


# -- after the cycle: scores and Google's bands -----------------------------------------------

BANDS = [
    (0, 0.0, st.OFF_TRACK),
    (30, 0.3, st.OFF_TRACK),
    (34, 0.3, st.OFF_TRACK),
    (35, 0.4, st.AT_RISK),
    (60, 0.6, st.AT_RISK),
    (65, 0.7, st.ON_TRACK),
    (90, 0.9, st.ON_TRACK),
    (96, 1.0, st.DONE),
    (150, 1.0, st.DONE),
    (-20, 0.0, st.OFF_TRACK),
]


@pytest.mark.parametrize(("current", "score", "status"), BANDS)
def test_after_the_cycle_the_score_is_the_final_progress_in_tenths_and_its_band_the_status(
    current: int, score: float, status: str
) -> None:
    result = kr(now=AFTER, start=0, target=100, current=current, kind="committed")
    assert (result["score"], result["status"]) == (pytest.approx(score), status)
    assert result["note"].endswith(f"final score {score:.1f}")


def test_after_the_cycle_each_objective_shows_its_score_and_band() -> None:
    result = okrs(
        {"key_result": "A", "start": 0, "target": 10, "current": 10},
        {"key_result": "B", "start": 0, "target": 10, "current": 4},
        now=AFTER,
    )
    objective = result.objectives.iloc[0]
    assert result.ended
    assert (objective["score"], objective["status"]) == (pytest.approx(0.7), st.ON_TRACK)
    assert objective["note"] == "final score 0.7; weakest: B (AT RISK)"


def test_before_the_cycle_ends_there_is_no_score() -> None:
    result = okrs({"key_result": "A", "start": 0, "target": 10, "current": 10})
    assert not result.ended
    assert result.key_results["score"].isna().all()
    assert result.objectives["score"].isna().all()


# -- the objective roll-up --------------------------------------------------------------------


def test_an_objective_is_the_weighted_mean_of_its_clamped_key_results() -> None:
    result = okrs(
        {"key_result": "A", "start": 0, "target": 10, "current": 15, "weight": 3},
        {"key_result": "B", "start": 0, "target": 10, "current": 0, "weight": 1},
        {"key_result": "C", "start": 0, "target": 10, "current": 5, "weight": 0},
    )
    objective = result.objectives.iloc[0]
    assert objective["progress"] == pytest.approx(0.75)
    assert (objective["row"], objective["count"]) == (2, 3)


def test_an_error_key_result_is_left_out_of_the_roll_up_and_the_note_says_so() -> None:
    result = okrs(
        {"key_result": "A", "start": 0, "target": 10, "current": 8},
        {"key_result": "B", "start": 0, "target": 10, "current": "lots"},
    )
    objective = result.objectives.iloc[0]
    assert objective["progress"] == pytest.approx(0.8)
    assert objective["errors"] == 1
    assert objective["note"] == "1 of 2 key results left out of the roll-up (ERROR): B"


def test_an_objective_whose_key_results_are_all_errors_is_an_error() -> None:
    result = okrs({"key_result": "A", "start": 0, "target": "?", "current": 8})
    objective = result.objectives.iloc[0]
    assert (objective["status"], objective["progress"]) == (st.ERROR, 0.0)
    assert objective["note"] == "every key result is ERROR, nothing to roll up: A"


def test_key_results_count_equally_when_every_weight_is_zero() -> None:
    result = okrs(
        {"key_result": "A", "start": 0, "target": 10, "current": 10, "weight": 0},
        {"key_result": "B", "start": 0, "target": 10, "current": 0, "weight": 0},
    )
    assert result.objectives.iloc[0]["progress"] == pytest.approx(0.5)


def test_an_objective_is_done_only_when_every_key_result_is_done() -> None:
    result = okrs(
        {"key_result": "A", "start": 0, "target": 10, "current": 10},
        {"key_result": "Hold", "start": 5, "target": 5, "current": 5},
    )
    assert result.objectives.iloc[0]["status"] == st.ON_TRACK
    assert (
        okrs({"key_result": "A", "start": 0, "target": 10, "current": 10}).objectives.iloc[0][
            "status"
        ]
        == st.DONE
    )


def test_an_objectives_expected_progress_is_the_weighted_mean_of_its_key_results() -> None:
    result = okrs(
        {
            "key_result": "A",
            "start": 0,
            "target": 1,
            "current": 0,
            "kind": "committed",
            "weight": 1,
        },
        {"key_result": "B", "start": 0, "target": 1, "current": 0, "weight": 3},
    )
    assert result.objectives.iloc[0]["expected"] == pytest.approx((0.5 + 3 * 0.35) / 4)


def test_the_objective_frame_keeps_the_columns_the_job_reads() -> None:
    result = okrs({"key_result": "A", "start": 0, "target": 1, "current": 0})
    assert {"objective", "key_result", "owner", "progress", "expected", "status", "note"} <= set(
        result.key_results.columns
    )
    assert {"objective", "row", "count", "progress", "expected", "status", "note"} <= set(
        result.objectives.columns
    )


# -- layout tolerance -------------------------------------------------------------------------


def test_blank_and_merged_objective_cells_mean_the_objective_above() -> None:
    result = okrs(
        {"objective": "Grow", "key_result": "A", "start": 0, "target": 1},
        {"objective": None, "key_result": "B", "start": 0, "target": 1},
        {"objective": "  ", "key_result": "C", "start": 0, "target": 1},
        {"objective": "Keep", "key_result": "D", "start": 0, "target": 1},
    )
    assert result.key_results["objective"].tolist() == ["Grow", "Grow", "Grow", "Keep"]
    assert result.objectives[["objective", "row", "count"]].values.tolist() == [
        ["Grow", 2, 3],
        ["Keep", 5, 1],
    ]


def test_a_heading_row_and_a_row_of_user_notes_are_not_key_results() -> None:
    result = okrs(
        {"objective": "Grow", "key_result": None, "owner": "lead@example.com"},
        {"objective": None, "key_result": "A", "start": 0, "target": 1},
        {"objective": None, "key_result": None, "owner": "someone@example.com"},
        {"objective": None, "key_result": "B", "start": 0, "target": 1},
    )
    assert result.key_results.index.tolist() == [3, 5]
    assert result.key_results["objective"].tolist() == ["Grow", "Grow"]


def test_a_key_result_with_no_objective_above_it_is_an_error_and_no_objective() -> None:
    result = okrs(
        {"objective": None, "key_result": "Lonely", "start": 0, "target": 1},
        {"objective": "Grow", "key_result": "A", "start": 0, "target": 1},
    )
    lonely = result.key_results.loc[2]
    assert (lonely["status"], lonely["note"]) == (
        st.ERROR,
        "Key result B2 'Lonely': no objective above it",
    )
    assert result.objectives["objective"].tolist() == ["Grow"]


def test_a_row_with_figures_but_no_key_result_is_an_error() -> None:
    result = okrs(
        {"key_result": "A", "start": 0, "target": 1},
        {"objective": None, "key_result": None, "start": 0, "target": 5, "current": 1},
        {"objective": "Grow", "key_result": None, "current": 3},
    )
    assert result.key_results.loc[3, "note"] == (
        "Key result B3: empty, but the row has figures: name the key result"
    )
    assert result.key_results.loc[4, ["objective", "status"]].tolist() == ["Grow", st.ERROR]


def test_a_key_result_repeated_within_its_objective_is_an_error_on_the_later_row() -> None:
    result = okrs(
        {"key_result": "Ship it", "start": 0, "target": 1},
        {"key_result": "ship it ", "start": 0, "target": 1},
        {"objective": "Other", "key_result": "Ship it", "start": 0, "target": 1},
    )
    assert result.key_results["status"].tolist()[1] == st.ERROR
    assert result.key_results.loc[3, "note"] == (
        "Key result B3 'ship it ': also on row 2 of its objective"
    )
    assert result.key_results.loc[4, "status"] != st.ERROR


def test_confidence_and_owner_are_carried_as_typed() -> None:
    result = okrs(
        {
            "key_result": "A",
            "start": 0,
            "target": 1,
            "confidence": "7/10",
            "owner": " maria@example.com ",
        },
        {"key_result": "B", "start": 0, "target": 1, "confidence": 7.0},
        {"key_result": "C", "start": 0, "target": 1, "confidence": 0.7},
    )
    assert result.key_results["confidence"].tolist() == ["7/10", "7", "0.7"]
    assert result.key_results["owner"].tolist()[0] == "maria@example.com"


def test_an_empty_okrs_tab_gives_empty_frames() -> None:
    frame = pd.DataFrame({"objective": [], "key_result": []}, dtype=object)
    result = evaluate_okrs(frame, {}, HALF_WAY, JOB, POSITIONS)
    assert result.key_results.empty
    assert result.objectives.empty


# -- notes a manager reads --------------------------------------------------------------------

NOTES = [
    ({"start": 30, "target": 10, "current": 22}, "22 (from 30 to 10)"),
    (
        {"start": 400, "target": 600, "kpi": "Qualified leads"},
        "KPI Qualified leads: 412 (from 400 to 600)",
    ),
    (
        {"start": 0.9995, "target": 0.9995, "kpi": "uptime"},
        "KPI uptime: 0.9996, held at or above 0.9995",
    ),
    (
        {"start": 250, "target": 250, "kpi": "p95 latency"},
        "KPI p95 latency: 240, held at or below 250",
    ),
    (
        {"target": "Done", "current": "No", "due": dt.date(2026, 10, 8)},
        "not done yet; due 2026-10-08",
    ),
    ({"start": 0, "target": 10}, "no current value yet"),
]


@pytest.mark.parametrize(("cells", "note"), NOTES)
def test_a_key_results_note_gives_its_figures_in_plain_words(
    cells: dict[str, Any], note: str
) -> None:
    assert kr(**cells)["note"] == note


# -- properties -------------------------------------------------------------------------------

VALUES = hs.integers(-(10**6), 10**6)
TRIPLES = hs.tuples(VALUES, VALUES, VALUES).filter(lambda t: t[0] != t[1])


def progress_of(
    triples: Sequence[tuple[float, float, float]], other: Sequence[tuple[float, float, float]]
) -> tuple[list[float], list[float]]:
    """The progress of two lists of key results, in one evaluation (it is the slow part)."""
    result = okrs(
        *(
            {"key_result": f"KR {i}", "start": s, "target": t, "current": c}
            for i, (s, t, c) in enumerate([*triples, *other])
        )
    )
    assert (result.key_results["status"] != st.ERROR).all()
    progress = [float(p) for p in result.key_results["progress"]]
    return progress[: len(triples)], progress[len(triples) :]


@settings(max_examples=25, deadline=None)
@given(
    hs.lists(TRIPLES, min_size=1, max_size=20),
    hs.sampled_from([0.001, 0.37, 3.0, 1000.0, 123456.789]),
)
def test_progress_is_unchanged_when_start_target_and_current_are_scaled_together(
    triples: list[tuple[int, int, int]], k: float
) -> None:
    before, after = progress_of(triples, [(s * k, t * k, c * k) for s, t, c in triples])
    assert after == pytest.approx(before, rel=1e-9, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(hs.lists(TRIPLES, min_size=1, max_size=20), VALUES)
def test_reversing_a_key_results_direction_and_values_gives_the_same_progress(
    triples: list[tuple[int, int, int]], mirror: int
) -> None:
    before, after = progress_of(
        triples, [(mirror - s, mirror - t, mirror - c) for s, t, c in triples]
    )
    assert after == pytest.approx(before, rel=1e-9, abs=1e-9)


KEY_RESULT = hs.fixed_dictionaries(
    {
        "objective": hs.sampled_from(["A", None, None, "B", "C"]),
        "start": hs.integers(-50, 50),
        "target": hs.integers(-50, 50),
        "current": hs.one_of(hs.integers(-100, 100), hs.none(), hs.just("oops")),
        "weight": hs.one_of(hs.none(), hs.integers(0, 5), hs.floats(0, 3)),
        "kind": hs.sampled_from(["committed", "aspirational"]),
    }
)


@settings(max_examples=25, deadline=None)
@given(
    hs.lists(KEY_RESULT, min_size=1, max_size=25),
    hs.sampled_from([HALF_WAY, AFTER, dt.datetime(2026, 10, 2, tzinfo=UTC)]),
)
def test_an_objectives_roll_up_lies_within_its_key_results_range(
    rows: list[dict[str, Any]], now: dt.datetime
) -> None:
    rows = [{"key_result": f"KR {i}", **r} for i, r in enumerate(rows)]
    rows[0]["objective"] = rows[0]["objective"] or "A"
    result = okrs(*rows, now=now)
    krs = result.key_results[result.key_results["status"] != st.ERROR]
    for o in result.objectives.to_dict("records"):
        mine = krs[krs["objective"] == o["objective"]]
        if mine.empty:
            assert o["status"] == st.ERROR
            continue
        assert mine["clamped"].min() - 1e-9 <= o["progress"] <= mine["clamped"].max() + 1e-9
        assert mine["expected"].min() - 1e-9 <= o["expected"] <= mine["expected"].max() + 1e-9
        assert 0.0 <= o["progress"] <= 1.0


@settings(max_examples=25, deadline=None)
@given(
    hs.lists(
        hs.one_of(
            hs.text(max_size=8), hs.integers(), hs.floats(), hs.booleans(), hs.none(), hs.dates()
        ),
        min_size=4,
        max_size=4 * 8,
    )
)
def test_any_cell_yields_a_status_and_never_an_exception(cells: list[object]) -> None:
    rows = [
        {
            "key_result": f"KR {i}",
            "start": cells[i],
            "target": cells[i + 1],
            "current": cells[i + 2],
            "weight": cells[i + 3],
        }
        for i in range(0, len(cells) - 3, 4)
    ]
    result = okrs(*rows)
    assert set(result.key_results["status"]) <= set(st.OKR_ORDER)
    assert result.key_results["progress"].notna().all()
    errors = result.key_results["status"] == st.ERROR
    assert (result.key_results.loc[errors, "note"] != "").all()
