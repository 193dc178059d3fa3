"""The lines of each objective's burn-up chart, from its key results' dated values.

Actual: the weighted mean (as in the roll-up) of each key result's clamped progress on every
day one of them has a value, each taken at its latest value so far, from the first day all
of them have one (a key result with no value at all counts as 0 %, as in the rules).
Expected: the pace line, straight between the cycle's start, the key results' due dates and
the cycle's end. Forecast: from today's progress to the objective's
forecast at its last due date. Pure: ``today`` is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sync.burnup import Burnup, Line
from sync.config import OkrConfig
from sync.rules import status as st
from sync.rules.forecast import Point, due_of
from sync.rules.okr import Cycle, OkrResult


def burnups(
    okrs: OkrResult,
    points: Mapping[int, Sequence[Point]],
    cycle: Cycle,
    today: dt.date,
    okr: OkrConfig,
) -> dict[str, Burnup]:
    """One burn-up per objective that has readable key results, by objective name."""
    out: dict[str, Burnup] = {}
    krs, objectives = okrs.key_results, okrs.objectives
    if krs.empty or "forecast" not in objectives:
        return out
    groups = krs[krs["status"] != st.ERROR].groupby("objective", sort=False)
    readable: dict[object, pd.DataFrame] = dict(list(groups))
    for name, forecast in zip(objectives["objective"], objectives["forecast"], strict=True):
        mine = readable.get(name)  # grouped once: a filter per objective was quadratic
        if mine is None:
            continue
        rows = mine.index.astype(int).tolist()
        records: list[dict[str, Any]] = mine.to_dict("records")  # type: ignore[assignment]
        weights = _weights(mine)
        dues = [due_of(r, cycle) for r in records]
        actual = _actual(records, [points.get(r, ()) for r in rows], weights, cycle, today)
        ahead: Line = ()
        if np.isfinite(forecast) and actual and not cycle.ended(today):
            ahead = ((actual[-1][0], actual[-1][1]), (max(dues), float(forecast)))
        out[name] = Burnup(name, actual, _expected(records, dues, weights, cycle, okr), ahead)
    return out


def _weights(krs: pd.DataFrame) -> np.ndarray:
    w = krs["weight"].to_numpy(dtype=np.float64)
    return w if w.sum() > 0 else np.ones(len(w))


def _progress(r: Mapping[str, Any], value: float) -> float:
    """A value as the key result's clamped progress (a milestone's 0/1, a maintained level
    held or not)."""
    if r["milestone"]:
        return 1.0 if value >= 1 else 0.0
    if r["maintain"]:
        return float(value >= r["target"] if r["higher"] else value <= r["target"])
    return float(np.clip((value - r["start"]) / (r["target"] - r["start"]), 0.0, 1.0))


def _actual(
    records: list[dict[str, Any]],
    series: list[Sequence[Point]],
    weights: np.ndarray,
    cycle: Cycle,
    today: dt.date,
) -> Line:
    """The weighted progress on every day a key result has a value in the cycle, from the
    first day every key result with values has one (the line starts where the data does)."""
    inside = [sorted(p for p in s if cycle.start <= p[0] <= today) for s in series]
    first = max((s[0][0] for s in inside if s), default=today)
    days = sorted({d for s in inside for d, _ in s if d >= first})
    line = []
    for day in days:
        now = [_at(r, s, day) for r, s in zip(records, inside, strict=True)]
        line.append((day, float(np.dot(weights, now) / weights.sum())))
    return tuple(line)


def _at(r: Mapping[str, Any], points: Sequence[Point], day: dt.date) -> float:
    before = [v for d, v in points if d <= day]
    return _progress(r, before[-1]) if before else 0.0


def _expected(
    records: list[dict[str, Any]],
    dues: list[dt.date],
    weights: np.ndarray,
    cycle: Cycle,
    okr: OkrConfig,
) -> Line:
    """The pace line: straight between its corners (the start, each due date, the end)."""
    pace = np.array([1.0 if r["kind"] == "committed" else okr.aspirational_pace for r in records])
    held = np.array([bool(r["maintain"]) for r in records])
    corners = sorted({cycle.start, *dues, cycle.end})
    line = []
    for day in corners:
        gone = np.array(
            [min(1.0, ((day - cycle.start).days + 1) / ((d - cycle.start).days + 1)) for d in dues]
        )
        share = np.where(held, pace, pace * gone)
        line.append((day, float(np.dot(weights, share) / weights.sum())))
    return tuple(line)
