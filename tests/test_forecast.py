"""The forecast: Theil-Sen over a key result's recent values, projected to its due date.

Small literal histories for the rule, Hypothesis for its properties: a monotone history
projects within the range its trend allows, a point on the trend changes nothing, and no
history is no forecast, never an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as s

from sync.config import OkrConfig
from sync.forecasting import Sources, key_result_points
from sync.rules import kr_history
from sync.rules import status as st
from sync.rules.forecast import (
    MIN_POINTS,
    WINDOW,
    Point,
    forecast_key_results,
    project,
    theil_sen,
)
from sync.rules.okr import Cycle

DAY0 = dt.date(2026, 10, 1)
DUE = dt.date(2026, 12, 31)
CYCLE = Cycle(DAY0, DUE)


def weekly(*values: float) -> list[Point]:
    return [(DAY0 + dt.timedelta(weeks=i), v) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (weekly(0, 7, 14), 14 + 13 * (DUE - (DAY0 + dt.timedelta(weeks=2))).days / 13),
        (weekly(0, 1, 2, 3, 100, 5, 6), 6 + (DUE - (DAY0 + dt.timedelta(weeks=6))).days / 7),
        (weekly(5, 5, 5), 5.0),
    ],
    ids=["a straight line", "one wild value barely moves it", "a flat history stays flat"],
)
def test_the_trend_is_projected_to_the_due_date(points: list[Point], expected: float) -> None:
    assert project(points, DUE) == pytest.approx(expected)


def test_with_fewer_than_three_values_there_is_no_forecast() -> None:
    assert project(weekly(1, 2), DUE) is None
    assert project([], DUE) is None
    assert MIN_POINTS == 3


def test_two_values_on_one_day_count_once_and_the_later_wins() -> None:
    same_day = [(DAY0, 1.0), (DAY0, 2.0), (DAY0 + dt.timedelta(days=7), 3.0)]
    assert project(same_day, DUE) is None
    three = [*same_day, (DAY0 + dt.timedelta(days=14), 4.0)]
    assert project(three, DAY0 + dt.timedelta(days=21)) == pytest.approx(5.0)


def test_only_the_last_eight_values_set_the_pace() -> None:
    early_burst = weekly(0, 50, 100, *(100 + i for i in range(1, 9)))
    last = DAY0 + dt.timedelta(weeks=len(early_burst) - 1)
    assert WINDOW == 8
    assert project(early_burst, last + dt.timedelta(weeks=1)) == pytest.approx(100 + 8 + 1 / 7 * 7)


def test_theil_sen_is_the_median_of_pairwise_slopes() -> None:
    slope, intercept = theil_sen([0, 1, 2, 3, 4], [0, 1, 2, 3, 40])
    assert (slope, intercept) == (1.0, 0.0)


days = s.lists(s.integers(0, 80), min_size=3, max_size=12, unique=True).map(sorted)


@given(days, s.lists(s.floats(0, 100), min_size=12, max_size=12), s.integers(0, 30))
def test_a_monotone_history_lands_within_the_range_its_trend_allows(
    offsets: list[int], steps: list[float], ahead: int
) -> None:
    values = list(np.cumsum(steps[: len(offsets)]))
    points = [(DAY0 + dt.timedelta(days=d), float(v)) for d, v in zip(offsets, values, strict=True)]
    due = points[-1][0] + dt.timedelta(days=ahead)
    recent = points[-WINDOW:]
    value = project(points, due)
    assert value is not None
    slopes = [
        (b[1] - a[1]) / (b[0] - a[0]).days for i, a in enumerate(recent) for b in recent[i + 1 :]
    ]
    low = min(v for _, v in recent)
    high = max(v for _, v in recent) + max(slopes) * (due - recent[0][0]).days
    assert low - 1e-6 <= value <= high + 1e-6


@given(
    days,
    s.floats(-10, 10),
    s.floats(-1000, 1000),
    s.integers(1, 20),
    s.integers(0, 40),
)
def test_a_point_on_the_trend_leaves_the_forecast_unchanged(
    offsets: list[int], slope: float, level: float, later: int, ahead: int
) -> None:
    points = [(DAY0 + dt.timedelta(days=d), level + slope * d) for d in offsets]
    extra_day = offsets[-1] + later
    extra = (DAY0 + dt.timedelta(days=extra_day), level + slope * extra_day)
    due = extra[0] + dt.timedelta(days=ahead)
    before, after = project(points, due), project([*points, extra], due)
    assert before is not None
    assert after is not None
    assert after == pytest.approx(before, abs=1e-6)


@given(s.lists(s.tuples(s.dates(), s.floats(allow_nan=True)), max_size=5), s.dates())
def test_any_history_gives_a_number_or_no_forecast_never_an_error(
    points: list[Point], due: dt.date
) -> None:
    value = project(points, due)
    assert value is None or np.isfinite(value)


# -- the key results' forecasts ---------------------------------------------------------------


def krs(*rows: dict[str, Any]) -> pd.DataFrame:
    base = {
        "start": 0.0,
        "target": 100.0,
        "milestone": False,
        "maintain": False,
        "kind": "aspirational",
        "due": pd.NaT,
        "status": st.ON_TRACK,
    }
    return pd.DataFrame([{**base, **r} for r in rows], index=pd.RangeIndex(2, len(rows) + 2))


TODAY = DAY0 + dt.timedelta(weeks=4)


def test_a_key_result_on_pace_today_but_heading_short_is_flagged_not_re_statused() -> None:
    slow = weekly(20, 21, 22, 23, 24)  # 24 % after 4 weeks looks fine; 1 a week reaches 33 %
    f = forecast_key_results(krs({}), {2: slow}, TODAY, CYCLE, OkrConfig())
    assert f.loc[2, "forecast"] == pytest.approx(0.24 + 0.01 * 9)
    assert bool(f.loc[2, "off_pace"])
    assert (
        f.loc[2, "forecast_note"] == "off pace: 33 % by Dec 31 at this pace, short of its 70 % aim"
    )


def test_a_key_result_heading_for_its_aim_says_where_it_lands() -> None:
    f = forecast_key_results(krs({}), {2: weekly(0, 6, 12, 18, 24)}, TODAY, CYCLE, OkrConfig())
    assert f.loc[2, "forecast_note"] == "at this pace: 78 % by Dec 31"
    assert not bool(f.loc[2, "off_pace"])


@pytest.mark.parametrize(
    ("row", "points", "note"),
    [
        ({}, weekly(1, 2), "no forecast yet (2 of 3 values this cycle)"),
        ({}, [], "no forecast yet (0 of 3 values this cycle)"),
        ({"milestone": True}, weekly(0, 0, 1), ""),
        ({"maintain": True}, weekly(1, 2, 3), ""),
        ({"status": st.ERROR}, weekly(1, 2, 3), ""),
        ({"status": st.DONE}, weekly(1, 2), ""),
        ({"due": pd.Timestamp(TODAY - dt.timedelta(days=1))}, weekly(1, 2, 3), ""),
    ],
    ids=["two values", "none", "milestone", "maintain", "error", "done", "past due"],
)
def test_no_forecast_where_none_can_be_made_and_the_note_says_why_when_it_is_only_early(
    row: dict[str, Any], points: list[Point], note: str
) -> None:
    f = forecast_key_results(krs(row), {2: points}, TODAY, CYCLE, OkrConfig())
    assert np.isnan(f.loc[2, "forecast"])
    assert f.loc[2, "forecast_note"] == note


def test_a_decreasing_key_result_is_projected_on_its_own_scale() -> None:
    cut = krs({"start": 30.0, "target": 10.0, "kind": "committed"})
    f = forecast_key_results(cut, {2: weekly(30, 29, 28, 27, 26)}, TODAY, CYCLE, OkrConfig())
    assert f.loc[2, "forecast"] == pytest.approx((30 - (26 - 9)) / 20)
    assert bool(f.loc[2, "off_pace"])  # committed: 65 % is more than 25 points short of 100 %


# -- where each key result's values come from ---------------------------------------------------


def test_each_key_result_takes_its_kpis_values_else_its_check_ins_else_the_history_tab() -> None:
    krs_ = pd.DataFrame(
        {
            "objective": ["Grow", "Grow", "Grow"],
            "key_result": ["Leads", "Deals", "Posts"],
            "kpi": ["Qualified leads", "", ""],
            "value": [412.0, 5.0, 2.0],
        },
        index=pd.RangeIndex(2, 5),
    )
    history = kr_history.read_history(
        [
            list(kr_history.HEADER),
            *([DAY0, "Grow", k, 1.0, 0.1, "ON TRACK"] for k in ("Leads", "Deals", "Posts")),
        ]
    )
    checkins = pd.DataFrame(
        {"objective": [""], "key_result": ["deals"], "date": [pd.Timestamp(DAY0)], "current": [3]}
    )
    kpis = {"qualified leads": [(DAY0 - dt.timedelta(days=7), 380.0), (DAY0, 400.0)]}
    points = key_result_points(krs_, Sources(history, checkins, kpis), CYCLE, TODAY)
    assert points[2] == [(DAY0 - dt.timedelta(days=7), 380.0), (DAY0, 400.0)]  # the KPI's dates
    assert points[3] == [(DAY0, 3.0)]  # the check-in, not the run's record of it
    assert points[4] == [(DAY0, 1.0), (TODAY, 2.0)]  # the history tab and today's value
