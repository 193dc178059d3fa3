"""The KR history tab: one row per key result per day at most, only when something changed,
the same rows after a rerun. Small literal tabs, and Hypothesis for idempotence."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as s

from sync.grid import Grid
from sync.rules import kr_history as kh
from sync.rules import status as st

MON = dt.date(2026, 11, 2)
HEAD = list(kh.HEADER)


def figures(*rows: tuple[str, str, float, float, str]) -> pd.DataFrame:
    """Key results as the OKR rules give them: objective, key result, value, progress, status."""
    return pd.DataFrame(
        [
            {"objective": o, "key_result": k, "value": v, "progress": p, "status": sts}
            for o, k, v, p, sts in rows
        ],
        index=pd.RangeIndex(2, len(rows) + 2),
    )


def run(grid: Grid | None, day: dt.date, *rows: tuple[str, str, float, float, str]) -> Grid:
    """One run: the tab as read, today's figures merged in, the tab as written."""
    merged = kh.merge(kh.read_history(grid), kh.today_rows(figures(*rows), day), day)
    return kh.to_grid(merged)


DEALS = ("Grow", "Close 12 deals", 3.0, 0.25, st.ON_TRACK)


def test_the_first_run_records_each_key_result() -> None:
    assert run(None, MON, DEALS) == [HEAD, [MON, "Grow", "Close 12 deals", 3.0, 0.25, "ON TRACK"]]


def test_a_rerun_the_same_day_with_nothing_changed_adds_nothing() -> None:
    once = run(None, MON, DEALS)
    assert run(once, MON, DEALS) == once
    assert run(once, MON + dt.timedelta(days=1), DEALS) == once  # the next day: unchanged


def test_a_change_later_the_same_day_replaces_that_days_row() -> None:
    once = run(None, MON, DEALS)
    later = run(once, MON, ("Grow", "Close 12 deals", 4.0, 0.3333, st.ON_TRACK))
    assert later == [HEAD, [MON, "Grow", "Close 12 deals", 4.0, 0.3333, "ON TRACK"]]


def test_a_new_value_or_status_on_another_day_adds_a_row() -> None:
    tab = run(None, MON, DEALS)
    tab = run(tab, MON + dt.timedelta(days=7), ("Grow", "Close 12 deals", 3.0, 0.25, st.AT_RISK))
    tab = run(tab, MON + dt.timedelta(days=14), ("Grow", "Close 12 deals", 6.0, 0.5, st.ON_TRACK))
    assert [r[0] for r in tab[1:]] == [MON, MON + dt.timedelta(days=7), MON + dt.timedelta(14)]


def test_a_value_changed_back_the_same_day_leaves_no_row_for_it() -> None:
    tab = run(None, MON, DEALS)
    tuesday = MON + dt.timedelta(days=1)
    tab = run(tab, tuesday, ("Grow", "Close 12 deals", 5.0, 0.4167, st.ON_TRACK))
    assert run(tab, tuesday, DEALS) == run(None, MON, DEALS)


def test_error_rows_and_key_results_without_a_value_record_nothing() -> None:
    tab = run(
        None,
        MON,
        ("Grow", "Broken", float("nan"), 0.0, st.ERROR),
        ("Grow", "Not yet", float("nan"), 0.0, st.OFF_TRACK),
    )
    assert tab == [HEAD]


def test_rows_read_as_google_returns_them_match_rows_as_written() -> None:
    """Google gives the date back as the text written and whole numbers as ints."""
    read: Grid = [HEAD, ["2026-11-02", "Grow", "close 12 DEALS", 3, 0.25, "ON TRACK"]]
    assert run(read, MON + dt.timedelta(days=1), DEALS)[1:] == [
        [MON, "Grow", "close 12 DEALS", 3.0, 0.25, "ON TRACK"]
    ]


def test_duplicated_and_unreadable_rows_are_not_carried_on() -> None:
    read: Grid = [
        HEAD,
        [MON, "Grow", "Close 12 deals", 2.0, 0.1667, "ON TRACK"],
        [MON, "Grow", "Close 12 deals", 3.0, 0.25, "ON TRACK"],  # a run killed half-way
        ["someday", "Grow", "Close 12 deals", 1.0, 0.1, "ON TRACK"],
        [MON, "Grow", None, 1.0, 0.1, "ON TRACK"],
    ]
    assert run(read, MON, DEALS) == run(None, MON, DEALS)


run_day = s.integers(0, 6).map(lambda d: MON + dt.timedelta(days=d))
values = s.sampled_from([1.0, 2.0, 3.0])
statuses = s.sampled_from([st.ON_TRACK, st.AT_RISK])


@settings(max_examples=40)  # each example is up to 16 runs of pandas merges
@given(s.lists(s.tuples(run_day, values, statuses), max_size=8).map(sorted))
def test_any_sequence_of_runs_keeps_one_row_per_day_and_reruns_change_nothing(
    runs: list[tuple[dt.date, float, str]],
) -> None:
    tab: Grid | None = None
    for day, value, status in runs:
        row = ("Grow", "Close 12 deals", value, value / 12, status)
        tab = run(tab, day, row)
        assert run(tab, day, row) == tab  # a rerun, or a run killed before its write, redone
    rows = (tab or [HEAD])[1:]
    assert len({r[0] for r in rows}) == len(rows)
    assert all(a[3:] != b[3:] for a, b in itertools.pairwise(rows))
