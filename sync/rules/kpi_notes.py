"""A KPI's note in plain words: ``412 < critical 450; -17.6 % since 2026-11-09``.

Formatting only, one string per KPI: the statuses are decided in ``sync.rules.kpi`` before
these notes word them, and the figures are written by ``sync.present``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from sync.cells.kinds import Floats, Ints, Objects
from sync.config import Job
from sync.present import fmt, percent_change
from sync.rules import status as st
from sync.rules.cell_notes import Where


def as_floats(column: pd.Series) -> Floats:
    """A column as float64, NaN for missing."""
    out: Floats = np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan), np.float64)
    return out


def as_days(column: pd.Series) -> npt.NDArray[np.datetime64]:
    """A column of timestamps as calendar days."""
    return column.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def _written(values: Floats, units: Objects) -> Objects:
    """``fmt`` of each value with its unit."""
    pairs = zip(values.tolist(), units.tolist(), strict=True)
    return np.array([fmt(v, u) for v, u in pairs], dtype=object)


def _on_rows(size: int, rows: Ints, texts: list[str]) -> Objects:
    """A column of note parts: ``texts`` on ``rows``, "" elsewhere."""
    out = np.full(size, "", dtype=object)
    out[rows] = texts
    return out


def notes(f: pd.DataFrame, better: Floats, job: Job, where: Where) -> Objects:
    """Plain-word notes: ``412 < critical 450; -17.6 % since 2026-11-09; target 500 not met``.

    Built part by part, each part a column of text ("" where it does not apply), then joined
    with "; " row by row: formatting only, one string per KPI. ERROR rows say what to fix,
    NO DATA rows where to add a value.
    """
    units = f["unit"].to_numpy(dtype=object)
    value = _written(as_floats(f["value"]), units)
    status = f["status"].to_numpy(dtype=object)
    undated = ~np.isnan(as_floats(f["cadence_days"])) & f["date"].isna().to_numpy()
    parts = [
        _head(f, value, units),
        _change_note(f, units),
        _stale_note(f, job.kpi.stale_factor),
        np.where(status == st.NO_THRESHOLD, "no Warning, Critical or Max change % set", ""),
        _target_note(f, better, units),
        np.where(undated & (value != ""), "no dated value, so staleness is not checked", ""),
    ]
    note = np.array(
        ["; ".join(filter(None, texts)) for texts in zip(*parts, strict=True)], dtype=object
    )
    log = f" or in the {job.tabs.kpi_log!r} tab" if job.tabs.kpi_log else ""
    note[status == st.NO_DATA] = (
        f"no value yet: add one in a dated column, in {where.headers['current']}{log}"
    )
    errors = status == st.ERROR
    note[errors] = f["error"].to_numpy(dtype=object)[errors]
    return note


def _head(f: pd.DataFrame, value: Objects, units: Objects) -> Objects:
    """The value, and the threshold it breaks: ``412 < critical 450``."""
    breach = f["breach"].to_numpy(dtype=object)
    rows = np.flatnonzero(breach != "")
    sign = np.where(f["direction"].to_numpy(dtype=object)[rows] == "lower", ">", "<")
    limit = np.where(
        breach[rows] == "critical", as_floats(f["critical"])[rows], as_floats(f["warning"])[rows]
    )
    out = value.copy()
    out[rows] = [
        f"{v} {s} {b} {t}"
        for v, s, b, t in zip(
            value[rows], sign, breach[rows], _written(limit, units[rows]), strict=True
        )
    ]
    return out


def _change_note(f: pd.DataFrame, units: Objects) -> Objects:
    """``-17.6 % since 2026-11-09``; a sudden change adds the figures and the limit."""
    value, previous = as_floats(f["value"]), as_floats(f["previous"])
    rows = np.flatnonzero(~np.isnan(previous) & ~np.isnan(value))
    value, previous, units = value[rows], previous[rows], units[rows]
    since = np.datetime_as_string(as_days(f["previous_date"])[rows], unit="D").tolist()
    moves = [percent_change(c) for c in as_floats(f["change"])[rows].tolist()]
    from_zero = ((previous == 0) & (value != 0)).tolist()
    texts = np.array(
        [
            f"{'up' if v > 0 else 'down'} from 0 on {d}" if zero else f"{m} since {d}"
            for v, d, m, zero in zip(value.tolist(), since, moves, from_zero, strict=True)
        ],
        dtype=object,
    )
    sudden = f["sudden"].to_numpy(dtype=bool)[rows]
    limits = as_floats(f["max_change"])[rows][sudden].tolist()
    was = _was(previous[sudden], units[sudden])
    texts[sudden] = [
        f"{t}{w}, more than the {m * 100:g} % max change"
        for t, w, m in zip(texts[sudden], was, limits, strict=True)
    ]
    return _on_rows(len(f), rows, texts.tolist())


def _was(previous: Floats, units: Objects) -> list[str]:
    """`` (was 412)`` for a sudden change; nothing when it was 0 ("up from 0" says so)."""
    return [
        f" (was {p})" if nonzero else ""
        for p, nonzero in zip(_written(previous, units), (previous != 0).tolist(), strict=True)
    ]


def _stale_note(f: pd.DataFrame, factor: float) -> Objects:
    """``no new value for 24 days (since 2026-11-02; stale after 10.5)``."""
    rows = np.flatnonzero(f["stale"].to_numpy(dtype=bool))
    since = np.datetime_as_string(as_days(f["date"])[rows], unit="D")
    texts = [
        f"no new value for {age:.0f} days (since {day}; stale after {days * factor:g})"
        for age, day, days in zip(
            as_floats(f["age_days"])[rows].tolist(),
            since,
            as_floats(f["cadence_days"])[rows].tolist(),
            strict=True,
        )
    ]
    return _on_rows(len(f), rows, texts)


def _target_note(f: pd.DataFrame, better: Floats, units: Objects) -> Objects:
    """``target 500 met`` / ``not met``; with no direction, the target alone."""
    value, target = as_floats(f["value"]), as_floats(f["target"])
    rows = np.flatnonzero(~np.isnan(target) & ~np.isnan(value))
    met = better[rows] * value[rows] >= better[rows] * target[rows]
    verdict = np.select([np.isnan(better[rows]), met], ["", " met"], default=" not met")
    texts = [
        f"target {t}{w}" for t, w in zip(_written(target[rows], units[rows]), verdict, strict=True)
    ]
    return _on_rows(len(f), rows, texts)
