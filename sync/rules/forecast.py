"""Where a key result will land: a robust linear trend of its recent values.

Theil-Sen over the last ``WINDOW`` dated points: the slope is the median of the slopes
between every pair of points, and the line passes through the median of the points seen
along that slope. One odd value (a typo, a bad week) moves a median little, where it would
tilt a least-squares line; eight points are two months of weekly check-ins, recent enough to
follow a change of pace. Under ``MIN_POINTS`` points there is no forecast. The choice is
explained for users in docs/okr-rules.md ("History and forecast"). Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from sync.config import OkrConfig
from sync.present import percent
from sync.rules import status as st
from sync.rules.okr import EPS, Cycle

WINDOW: Final = 8
MIN_POINTS: Final = 3

Point = tuple[dt.date, float]


def theil_sen(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """(slope, intercept) of the Theil-Sen line through the points (x distinct)."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    i, j = np.triu_indices(len(xs), k=1)
    slope = float(np.median((ys[j] - ys[i]) / (xs[j] - xs[i])))
    return slope, float(np.median(ys - slope * xs))


def project(points: Sequence[Point], due: dt.date, *, window: int = WINDOW) -> float | None:
    """The trend's value at ``due`` from the last ``window`` points (one per day, the later
    point of a day wins); None with fewer than ``MIN_POINTS`` points or non-finite values."""
    by_day = dict(sorted(points, key=lambda p: p[0]))
    recent = [(d, v) for d, v in sorted(by_day.items()) if np.isfinite(v)][-window:]
    if len(recent) < MIN_POINTS:
        return None
    origin = recent[0][0]
    x = [float((d - origin).days) for d, _ in recent]
    with np.errstate(over="ignore", invalid="ignore"):  # figures near 1e308: no forecast
        slope, intercept = theil_sen(x, [v for _, v in recent])
        value = intercept + slope * float((due - origin).days)
    return float(value) if np.isfinite(value) else None


def usable(points: Sequence[Point]) -> int:
    """How many distinct days with a finite value ``points`` holds (for "not enough yet")."""
    return len({d for d, v in points if np.isfinite(v)})


def forecast_key_results(
    krs: pd.DataFrame,
    points: Mapping[int, Sequence[Point]],
    today: dt.date,
    cycle: Cycle,
    okr: OkrConfig,
) -> pd.DataFrame:
    """Per key-result row: ``forecast`` (the projected raw progress at its due date, NaN for
    none), ``off_pace`` (the forecast misses its pace by more than the at-risk margin: a
    flag, not a status) and ``forecast_note`` (the words, "" where nothing is worth saying).
    ``points`` are each row's dated values, by sheet row."""
    out = [_one(r, points.get(row, ()), today, cycle, okr) for row, r in _rows(krs)]
    return pd.DataFrame(
        out or None, index=krs.index, columns=["forecast", "off_pace", "forecast_note"]
    ).astype({"forecast": "float64", "off_pace": bool, "forecast_note": object})


def _rows(krs: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
    columns = ["start", "target", "milestone", "maintain", "kind", "due", "status"]
    records: list[dict[str, Any]] = krs[columns].to_dict("records")  # type: ignore[assignment]
    return list(zip(krs.index.astype(int).tolist(), records, strict=True))


def _one(
    r: Mapping[str, Any], points: Sequence[Point], today: dt.date, cycle: Cycle, okr: OkrConfig
) -> tuple[float, bool, str]:
    """One key result's forecast: a plain decision with early returns."""
    due = due_of(r, cycle)
    if _not_forecast(r, due, today, cycle):
        return np.nan, False, ""
    inside = [p for p in points if cycle.start <= p[0] <= today]
    value = project(inside, due)
    if value is None:
        return (
            np.nan,
            False,
            f"no forecast yet ({usable(inside)} of {MIN_POINTS} values this cycle)",
        )
    start, target = float(r["start"]), float(r["target"])  # target != start: not a maintain
    progress = (value - start) / (target - start)
    if not np.isfinite(progress):
        return np.nan, False, ""
    pace = 1.0 if r["kind"] == "committed" else okr.aspirational_pace
    by = f"{percent(progress)} by {due:%b} {due.day}"
    if progress < pace - okr.at_risk_margin - EPS:
        return progress, True, f"off pace: {by} at this pace, short of its {percent(pace)} aim"
    return progress, False, f"at this pace: {by}"


def _not_forecast(r: Mapping[str, Any], due: dt.date, today: dt.date, cycle: Cycle) -> bool:
    """Key results a trend says nothing useful about: unreadable or done, a yes/no or a level
    held, past due (the progress is what it is), or a cycle that has ended."""
    if r["status"] in (st.ERROR, st.DONE) or r["milestone"] or r["maintain"]:
        return True
    return cycle.ended(today) or due < today


def due_of(r: Mapping[str, Any], cycle: Cycle) -> dt.date:
    """A key result's due date: its own, else the cycle's end."""
    return r["due"].date() if isinstance(r["due"], pd.Timestamp) else cycle.end


def objective_forecasts(krs: pd.DataFrame, objectives: pd.DataFrame) -> pd.Series:
    """Each objective's projected progress: the weighted mean of its readable key results'
    forecasts (clamped, as in the roll-up), a key result with none counting as it stands
    today; unweighted where its weights add up to nothing. NaN where none of its key results
    has a forecast. One pass grouped by objective (a filter per objective was quadratic)."""
    readable = krs[krs["status"] != st.ERROR]
    has = readable["forecast"].notna()
    value = readable["forecast"].where(has, readable["clamped"]).clip(0.0, 1.0).astype(float)
    weight = readable["weight"].astype(float)
    parts = pd.DataFrame(
        {"w": weight, "wv": weight * value, "v": value, "has": has},
        index=readable.index,
    ).groupby(readable["objective"], sort=False)
    sums = parts.agg(w=("w", "sum"), wv=("wv", "sum"), v=("v", "mean"), has=("has", "any"))
    mean = (sums["wv"] / sums["w"]).where(sums["w"] > 0, sums["v"]).where(sums["has"])
    return pd.Series(
        objectives["objective"].map(mean).to_numpy(dtype=np.float64), index=objectives.index
    )
