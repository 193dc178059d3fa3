"""OKR rules: key-result progress, pace, status, the objective roll-up and the final score.

Pure functions of (key-result rows, KPI values and directions, now, config): no I/O, no
clock. Every step is a whole-column operation; Python loops run only to word notes. The
rules are written out for users in docs/okr-rules.md; the notes' words are in
``sync.rules.okr_notes``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sync.cells import cell_text, is_flag_like, name_key, parse_flags
from sync.config import Job
from sync.present import as_typed
from sync.rules import okr_notes
from sync.rules import status as st
from sync.rules.cell_notes import CellNotes, Where, column

EPS = 1e-9  # a figure exactly on a boundary (progress 1.0, expected - margin) counts as reaching it
KINDS: Mapping[str, str] = {
    "committed": "committed",
    "aspirational": "aspirational",
    "stretch": "aspirational",
    "": "aspirational",
}
# Google's grading bands, on the score rounded to tenths: 0.7-1.0 green, 0.4-0.6 yellow.
GREEN_BAND, YELLOW_BAND = 0.7, 0.4
FIGURES = ("start", "target", "current", "kpi")  # a row with any of these is a key result


@dataclass(frozen=True)
class Cycle:
    """The OKR period; ``end`` is inclusive (the whole last day counts)."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def day_of(self, today: dt.date) -> int:
        """Day N of ``days``, clamped to the cycle (0 before it starts)."""
        return min(max((today - self.start).days + 1, 0), self.days)

    def ended(self, today: dt.date) -> bool:
        return today > self.end


def cycle_for(job: Job, now: dt.datetime) -> Cycle:
    """The configured cycle, else the calendar quarter ``now`` falls in (in the job's zone)."""
    if job.okr.start and job.okr.end:
        return Cycle(job.okr.start, job.okr.end)
    local = now.astimezone(job.tz).date()
    first_month = 3 * ((local.month - 1) // 3) + 1
    last_month = first_month + 2
    last_day = calendar.monthrange(local.year, last_month)[1]
    return Cycle(dt.date(local.year, first_month, 1), dt.date(local.year, last_month, last_day))


@dataclass(frozen=True)
class OkrResult:
    """``key_results``: one row per key-result row, indexed by sheet row. Columns: objective,
    key_result, owner, confidence, kind, start, target, value, milestone, maintain, kpi,
    weight, due, progress (raw), clamped, expected, score (NaN until the cycle ends), status,
    note, error. ``objectives``: one row per objective in sheet order: objective, row (of
    its first key result), count, errors, progress, expected, score, status, note."""

    key_results: pd.DataFrame
    objectives: pd.DataFrame
    ended: bool = False  # the cycle is over: scores are final


def evaluate_okrs(
    krs: pd.DataFrame,
    kpi_values: Mapping[str, float],
    now: dt.datetime,
    job: Job,
    positions: Mapping[str, int],
    *,
    kpi_directions: Mapping[str, str] | None = None,
    ambiguous_kpis: Collection[str] = (),
) -> OkrResult:
    """Progress, expected progress, status (and, after the cycle, score) of every key result
    and objective. ``kpi_values`` and ``kpi_directions`` (``higher``/``lower``) are keyed by
    KPI name (matched ignoring case and spacing); ``positions`` are the tab's 1-based
    columns, so that a note can name the cell to fix."""
    cycle = cycle_for(job, now)
    local = now.astimezone(job.tz)
    notes = CellNotes(krs.index, Where(positions, job.columns))
    directions = kpi_directions or {}
    kpis = _Kpis(
        {name_key(k): v for k, v in kpi_values.items()},
        {name_key(k): v for k, v in directions.items()},
        frozenset(name_key(k) for k in ambiguous_kpis),
    )
    frame = _progress(_read(krs, notes, kpis, job, cycle), notes)
    frame = _judge(frame, notes.joined().reindex(frame.index), job, cycle, local)
    ended = cycle.ended(local.date())
    return OkrResult(frame, _objectives(frame, job, ended), ended)


@dataclass(frozen=True)
class _Kpis:
    """What a key result may take from the KPIs tab, by case-folded KPI name."""

    values: Mapping[str, float]
    directions: Mapping[str, str]
    ambiguous: frozenset[str] = frozenset()  # names on several rows: no value to take


# -- reading the cells ------------------------------------------------------------------------


def _read(krs: pd.DataFrame, notes: CellNotes, kpis: _Kpis, job: Job, cycle: Cycle) -> pd.DataFrame:
    """The key-result rows with every cell read; unreadable cells noted, row by row."""

    def col(column_id: str) -> pd.Series:
        return column(krs, column_id)

    comma = job.kpi.decimal_comma
    objective, key_result, keep = _layout(col, notes)
    milestone = (
        is_flag_like(col("current")) | is_flag_like(col("target")) | is_flag_like(col("start"))
    ).to_numpy(dtype=bool)
    value, higher, linked = _current(col, notes, milestone, kpis, job)
    weight = notes.numbers(col("weight"), "weight", decimal_comma=comma)
    notes.cells(weight.to_numpy() < 0, "weight", "expected zero or more", col("weight"))
    due_date = notes.dates(col("due"), "due").dt.normalize()
    notes.cells(
        due_date < pd.Timestamp(cycle.start),
        "due",
        f"before the cycle starts ({cycle.start})",
        col("due"),
    )
    kind = pd.Series(_texts(col("kind")), index=krs.index).str.casefold().map(KINDS)
    notes.cells(kind.isna(), "kind", "expected committed or aspirational", col("kind"))
    number_cells = ~pd.Series(milestone, index=krs.index)
    blank_start = _texts(col("start")) == ""
    notes.cells(
        ~milestone & (_texts(col("target")) == ""),
        "target",
        "empty: a key result needs a target",
        None,
    )
    frame = pd.DataFrame(
        {
            "objective": objective,
            "key_result": key_result,
            "owner": _texts(col("owner")),
            "confidence": col("confidence").map(as_typed),
            "kind": kind.fillna("aspirational"),
            "start": notes.numbers(col("start").where(number_cells), "start", decimal_comma=comma),
            "target": notes.numbers(
                col("target").where(number_cells), "target", decimal_comma=comma
            ),
            "value": value,
            "milestone": milestone,
            "kpi": linked,
            "higher": higher,
            "weight": weight.fillna(1.0).clip(lower=0),
            "due": due_date,
            "blank_start": blank_start,
        },
        index=krs.index,
    )
    return frame[keep]


def _layout(
    col: Callable[[str], pd.Series], notes: CellNotes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Objectives filled down (blank or merged cells), and which rows are key results.

    A row with no key result and no figures (start, target, current, KPI) is skipped: the
    objective's heading, or notes people keep. A key result with no objective above it, a
    nameless row with figures and a key result repeated within its objective are ERRORs.
    """
    own = _texts(col("objective"))
    objective = pd.Series(own).where(own != "").ffill().fillna("").to_numpy(dtype=object)
    key_result = _texts(col("key_result"))
    figures = np.logical_or.reduce([_texts(col(c)) != "" for c in FIGURES])
    nameless = (key_result == "") & figures
    keep = (key_result != "") | nameless
    notes.cells(keep & (objective == ""), "key_result", "no objective above it", col("key_result"))
    notes.cells(nameless, "key_result", "empty, but the row has figures: name the key result", None)
    named = keep & (key_result != "") & (objective != "")
    key = pd.Series(
        [f"{o.casefold()}\n{k.casefold()}" for o, k in zip(objective, key_result, strict=True)]
    )[named]
    repeated = key.duplicated()
    if repeated.any():
        rows = notes.index
        first = pd.Series(rows[key.index], index=key.to_numpy()).groupby(level=0).first()
        again = pd.Series(False, index=rows)
        again.iloc[key.index[repeated.to_numpy()]] = True
        where = "also on row " + key[repeated].map(first).astype(str) + " of its objective"
        notes.cells(
            again, "key_result", pd.Series(where.to_numpy(), index=rows[again]), col("key_result")
        )
    return objective, key_result, keep


def _current(
    col: Callable[[str], pd.Series], notes: CellNotes, milestone: np.ndarray, kpis: _Kpis, job: Job
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """The current value (typed, a milestone's 0/1, or the linked KPI's), whether higher is
    better (the linked KPI's direction, else higher) and the linked KPI's name."""
    linked = _texts(col("kpi"))
    key = [name_key(k) if k else "" for k in linked]
    raw = col("current").where(linked == "")
    numbers = notes.numbers(raw.where(~milestone), "current", decimal_comma=job.kpi.decimal_comma)
    flags = parse_flags(raw.where(milestone))
    notes.cells(flags["error"].notna() & milestone, "current", flags["error"], raw)
    value = numbers.where(~milestone, flags["value"].astype("float64"))
    twice = np.array([k in kpis.ambiguous for k in key], dtype=bool)
    known = np.array([k in kpis.values for k in key], dtype=bool) | twice
    notes.cells((linked != "") & ~known, "kpi", "no such KPI on the KPIs tab", col("kpi"))
    notes.cells(
        (linked != "") & twice,
        "kpi",
        "that KPI name is on several rows of the KPIs tab",
        col("kpi"),
    )
    from_kpi = np.array([kpis.values.get(k, np.nan) for k in key], dtype=np.float64)
    value = value.where(linked == "", from_kpi)
    higher = np.array([kpis.directions.get(k, "") != "lower" for k in key], dtype=bool)
    return value, higher, linked


# -- progress, pace and status ----------------------------------------------------------------


def _progress(f: pd.DataFrame, notes: CellNotes) -> pd.DataFrame:
    """Raw progress; ``maintain`` marks start == target. An empty start is 0 unless the key
    result looks decreasing (its KPI is lower-is-better, the target is 0 or below, or the
    current value is past the target), which is an ERROR: it cannot be told from the sheet."""
    numeric = ~f["milestone"].to_numpy(dtype=bool)
    s, t, v = (f[c].to_numpy(dtype=np.float64) for c in ("start", "target", "value"))
    higher = f["higher"].to_numpy(dtype=bool)
    no_start = numeric & f["blank_start"].to_numpy(dtype=bool)
    decreasing = no_start & ~np.isnan(t) & (~higher | (t <= 0) | (v > t))
    notes.cells(
        pd.Series(decreasing, index=f.index),  # f holds the key-result rows only
        "start",
        "empty, and the key result looks decreasing "
        "(target below its current value or its KPI's direction): fill in Start",
        None,
    )
    start = np.where(numeric, np.where(no_start, 0.0, s), np.nan)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        span = t - start
        ratio = (v - start) / np.where(span != 0, span, np.nan)
        # Figures near the float limit (1e308) overflow a difference: halved, they cannot.
        huge = np.isinf(span) | np.isinf(v - start)
        ratio = np.where(huge, (v / 2 - start / 2) / (t / 2 - start / 2), ratio)
    maintain = numeric & ~np.isnan(s) & (span == 0)
    held = np.where(higher, v >= t, v <= t)
    raw = np.where(maintain, held.astype(np.float64), np.where(numeric, ratio, v))
    raw = np.where(np.isnan(raw), 0.0, raw)
    return f.drop(columns="blank_start").assign(
        start=start, maintain=maintain, progress=raw, clamped=raw.clip(0.0, 1.0)
    )


def _judge(
    f: pd.DataFrame, errors: pd.Series, job: Job, cycle: Cycle, now: dt.datetime
) -> pd.DataFrame:
    """Expected progress and status; after the cycle, the score and its band instead."""
    error = (errors != "").to_numpy(dtype=bool)
    maintain = f["maintain"].to_numpy(dtype=bool)
    progress, clamped = f["progress"].to_numpy(), f["clamped"].to_numpy()
    elapsed = _elapsed(f["due"], cycle, now)
    pace = np.where(f["kind"].to_numpy() == "committed", 1.0, job.okr.aspirational_pace)
    expected = np.where(maintain, pace, elapsed * pace)
    if cycle.ended(now.date()):
        score = _score(clamped)
        status = _banded(score, error)
    else:
        score = np.full(len(f), np.nan)
        status = _paced(progress, expected, error, job)
        held = progress >= 1
        status = np.where(
            maintain,
            np.select(
                [error, held & (elapsed >= 1), held],
                [st.ERROR, st.DONE, st.ON_TRACK],
                default=st.OFF_TRACK,
            ),
            status,
        )
    f = f.assign(expected=expected, score=score, status=status.astype(object), error=errors)
    return f.assign(note=okr_notes.key_result_notes(f))


def _elapsed(due: pd.Series, cycle: Cycle, now: dt.datetime) -> np.ndarray:
    """The share of cycle start .. due (inclusive; default the cycle's end) gone by ``now``."""
    start = np.datetime64(cycle.start, "ns")
    until = due.fillna(pd.Timestamp(cycle.end)).to_numpy(dtype="datetime64[ns]")
    until = np.maximum(until + np.timedelta64(1, "D"), start + np.timedelta64(1, "D"))
    gone = (np.datetime64(now.replace(tzinfo=None), "ns") - start) / (until - start)
    return np.clip(gone.astype(np.float64), 0.0, 1.0)


def _paced(progress: np.ndarray, expected: np.ndarray, error: np.ndarray, job: Job) -> np.ndarray:
    """DONE at 100 %, else ON TRACK / AT RISK / OFF TRACK by the margin behind pace."""
    return np.select(
        [
            error,
            progress >= 1 - EPS,
            progress >= expected - job.okr.on_track_margin - EPS,
            progress >= expected - job.okr.at_risk_margin - EPS,
        ],
        [st.ERROR, st.DONE, st.ON_TRACK, st.AT_RISK],
        default=st.OFF_TRACK,
    ).astype(object)


def _score(clamped: np.ndarray) -> np.ndarray:
    """Google grades in tenths: the clamped progress rounded half up (0.65 -> 0.7)."""
    return np.floor(clamped * 10 + 0.5 + EPS) / 10


def _banded(score: np.ndarray, error: np.ndarray) -> np.ndarray:
    """After the cycle: 1.0 DONE, 0.7-0.9 ON TRACK (green), 0.4-0.6 AT RISK (yellow),
    0.0-0.3 OFF TRACK (red)."""
    return np.select(
        [error, score >= 1, score >= GREEN_BAND - EPS, score >= YELLOW_BAND - EPS],
        [st.ERROR, st.DONE, st.ON_TRACK, st.AT_RISK],
        default=st.OFF_TRACK,
    ).astype(object)


def _objectives(krs: pd.DataFrame, job: Job, ended: bool) -> pd.DataFrame:
    """Weighted means over each objective's readable key results (clamped progress).

    ERROR key results are left out (and named in the note); if every remaining weight is 0
    the key results count equally. DONE only when every readable key result is DONE. One
    ``bincount`` per figure: no filtering of key results per objective.
    """
    named = krs[krs["objective"] != ""]
    codes, names = pd.factorize(named["objective"])
    n = len(names)
    status = named["status"].to_numpy()
    ok = status != st.ERROR
    w = np.where(ok, named["weight"].to_numpy(dtype=np.float64), 0.0)
    clamped, expected_kr = named["clamped"].to_numpy(), named["expected"].to_numpy()

    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=n).astype(np.float64)

    count, readable, w_sum = total(np.ones(len(codes))), total(ok * 1.0), total(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = w / w_sum[codes]  # normalised first, so tiny weights cannot underflow
        progress = np.where(w_sum > 0, total(clamped * share), total(clamped * ok) / readable)
        expected = np.where(
            w_sum > 0, total(expected_kr * share), total(expected_kr * ok) / readable
        )
    progress, expected = np.nan_to_num(progress), np.nan_to_num(expected)
    none_ok = readable == 0
    if ended:
        score = _score(progress)
        verdict = _banded(score, none_ok)
    else:
        score = np.full(n, np.nan)
        verdict = _paced(progress, expected, none_ok, job)
        not_done = total((ok & (status != st.DONE)) * 1.0) > 0
        verdict = np.where((verdict == st.DONE) & not_done, st.ON_TRACK, verdict)
    first = np.unique(codes, return_index=True)[1] if n else np.array([], dtype=int)
    out = pd.DataFrame(
        {
            "objective": np.asarray(names, dtype=object),
            "row": named.index.to_numpy()[first].astype(int),
            "count": count.astype(int),
            "errors": (count - readable).astype(int),
            "progress": progress,
            "expected": expected,
            "score": score,
            "status": verdict.astype(object),
        }
    )
    return out.assign(note=okr_notes.objective_notes(out, codes, named))


# -- cells ------------------------------------------------------------------------------------


def _texts(cells: pd.Series) -> np.ndarray:
    """Cells as trimmed text ("" for empty), an object array for whole-column comparisons."""
    return cells.map(cell_text).to_numpy(dtype=object)
