"""Each key result's dated values, from every tab that holds some, and its forecast.

Three sources, one per key result, the first that has values in the cycle: the history of
the KPI it follows (dated columns and the KPI log), its check-ins, else the ``KR history``
tab the sync keeps, plus today's value. The first two carry the dates the team gave; the
history tab only records the day a run saw a value, so mixing them would set one value on
two days. Pure: the grids are read already and ``now`` is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sync.cells import name_key, parse_numbers
from sync.config import Job
from sync.frames import Sheet, wide_history
from sync.rules import kr_history
from sync.rules.forecast import Point, forecast_key_results, objective_forecasts
from sync.rules.okr import Cycle, OkrResult


@dataclass(frozen=True)
class Sources:
    """What the run read that holds key-result values over time."""

    history: pd.DataFrame  # the KR history tab, merged with today's figures
    checkins: pd.DataFrame | None = None  # sync.checkins.checkin_history, or None
    kpi_points: Mapping[str, list[Point]] | None = None  # by KPI name key


def kpi_points(
    sheet: Sheet, kpis: pd.DataFrame, log: pd.DataFrame | None, names: set[str], job: Job
) -> dict[str, list[Point]]:
    """The dated values of the KPIs named in ``names`` (name keys), from both layouts."""
    keys = kpis["name"].map(name_key)
    rows = kpis.index[keys.isin(names).to_numpy()]
    if rows.empty:
        return {}
    long = wide_history(sheet, rows)[["row", "date", "raw"]]
    if log is not None and not log.empty:
        mine = log[log["row"].isin(rows) & log["error"].isna()][["row", "date", "raw"]]
        long = pd.concat([mine, long], ignore_index=True)  # the KPIs tab wins on a day
    values = parse_numbers(long["raw"].reset_index(drop=True), decimal_comma=job.kpi.decimal_comma)
    long = long.reset_index(drop=True).assign(value=values["value"].astype("float64"))
    long = long[long["value"].notna() & long["date"].notna()]
    by_row = dict(zip(rows.tolist(), keys[rows].tolist(), strict=True))
    out: dict[str, list[Point]] = {}
    for row, day, value in zip(long["row"], long["date"], long["value"], strict=True):
        out.setdefault(by_row[int(row)], []).append((day.date(), float(value)))
    return out


def key_result_points(
    krs: pd.DataFrame, sources: Sources, cycle: Cycle, today: dt.date
) -> dict[int, list[Point]]:
    """Each key-result row's dated values (see the module doc for which source)."""
    checkins = _checkin_points(sources.checkins)
    history = _history_points(sources.history)
    kpis = sources.kpi_points or {}
    out: dict[int, list[Point]] = {}
    for row, objective, text, kpi, value in zip(
        krs.index, krs["objective"], krs["key_result"], krs["kpi"], krs["value"], strict=True
    ):
        o, k = name_key(objective), name_key(text)
        dated = kpis.get(name_key(kpi), []) if kpi else checkins.get((o, k), checkins.get(("", k)))
        if dated and any(cycle.start <= d <= today for d, _ in dated):
            out[int(row)] = sorted(dated)
            continue
        own = history.get(kr_history.key_of(objective, text), [])
        now = [(today, float(value))] if np.isfinite(value) else []
        out[int(row)] = sorted([*own, *now])
    return out


def with_forecasts(
    okrs: OkrResult, points: Mapping[int, list[Point]], job: Job, cycle: Cycle, today: dt.date
) -> OkrResult:
    """``okrs`` with ``forecast`` columns, and each key result's note saying where it is
    heading ("at this pace: 62 % by Dec 31"); statuses are untouched."""
    krs = okrs.key_results
    if krs.empty:
        empty = krs.assign(forecast=np.nan, off_pace=False, forecast_note="")
        return replace(okrs, key_results=empty, objectives=okrs.objectives.assign(forecast=np.nan))
    f = forecast_key_results(krs, points, today, cycle, job.okr)
    krs = krs.join(f)
    said = krs["forecast_note"] != ""
    joined = np.where(
        krs["note"] != "", krs["note"] + "; " + krs["forecast_note"], krs["forecast_note"]
    )
    krs = krs.assign(note=krs["note"].where(~said, pd.Series(joined, index=krs.index)))
    objectives = okrs.objectives.assign(forecast=objective_forecasts(krs, okrs.objectives))
    return replace(okrs, key_results=krs, objectives=objectives)


def _checkin_points(checkins: pd.DataFrame | None) -> dict[tuple[str, str], list[Point]]:
    if checkins is None or checkins.empty:
        return {}
    values = parse_numbers(checkins["current"].reset_index(drop=True))["value"].to_numpy()
    out: dict[tuple[str, str], list[Point]] = {}
    for o, k, day, value in zip(
        checkins["objective"], checkins["key_result"], checkins["date"], values, strict=True
    ):
        if np.isfinite(value):
            out.setdefault((o, k), []).append((day.date(), float(value)))
    return out


def _history_points(history: pd.DataFrame) -> dict[str, list[Point]]:
    out: dict[str, list[Point]] = {}
    for o, k, day, value in zip(
        history["objective"],
        history["key_result"],
        history["date"],
        history["current"],
        strict=True,
    ):
        out.setdefault(kr_history.key_of(o, k), []).append((day.date(), float(value)))
    return out
