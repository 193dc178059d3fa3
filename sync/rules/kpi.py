"""KPI rules: thresholds, direction, sudden change, staleness (docs/kpi-rules.md).

``evaluate_kpis`` is a pure function of the KPI rows, their history, ``now`` and the
config. Every step is a whole-column operation: 10,000 KPIs with two years of weekly
history cost a handful of array passes, never a Python loop over history. Python loops
remain only to word the notes of rows that need one (one string per KPI) and to name
unreadable cells (one string per bad cell).

The history and its points are in ``sync.rules.kpi_history``; the notes' plain words in
``sync.rules.kpi_notes``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np
import pandas as pd

from sync.cells import cell_text, name_key
from sync.cells.kinds import Bools, Floats
from sync.config import Job
from sync.present import fmt
from sync.rules import kpi_history, kpi_notes
from sync.rules import status as st
from sync.rules.cell_notes import CellNotes, Where, column
from sync.rules.kpi_notes import as_days, as_floats

CADENCE_DAYS: Final[Mapping[str, float]] = {
    "daily": 1, "day": 1, "weekly": 7, "week": 7, "biweekly": 14, "fortnightly": 14,
    "monthly": 30, "month": 30, "quarterly": 91, "quarter": 91,
}  # fmt: skip
_CADENCE_UNITS: Final[Mapping[str, float]] = {
    "": 1, "d": 1, "day": 1, "days": 1, "w": 7, "week": 7, "weeks": 7, "month": 30, "months": 30,
}  # fmt: skip
_CADENCE = re.compile(r"(?:every\s+)?(?P<n>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[a-z]*)", re.I)
HIGHER: Final = frozenset({"higher", "high", "up", "increase", "max", "↑", "higher is better"})
LOWER: Final = frozenset({"lower", "low", "down", "decrease", "min", "↓", "lower is better"})
NUMERIC: Final = ("warning", "critical", "target", "max_change", "current")
CHANGE_TOLERANCE: Final = 1e-9  # a move equal to Max change % is no breach, float noise aside


def evaluate_kpis(
    kpis: pd.DataFrame,
    history: pd.DataFrame | Iterable[pd.DataFrame],
    now: dt.datetime,
    job: Job,
    where: Where,
) -> pd.DataFrame:
    """One result row per KPI row (same index): status, note and the figures behind them.

    ``history`` is one frame, or blocks of it that never split a KPI row's entries.
    """
    errors = CellNotes(kpis.index, where)

    def col(column_id: str) -> pd.Series:
        return column(kpis, column_id)

    comma = job.kpi.decimal_comma
    nums = {c: errors.numbers(col(c), c, decimal_comma=comma) for c in NUMERIC}
    max_change = _max_change(nums["max_change"], col("max_change"), errors)
    direction = _direction(col("direction"), nums, errors)
    _needs_direction(direction, col("direction"), nums, max_change=max_change, errors=errors)
    cadence = _cadence(col("cadence"), errors)
    mute = errors.dates(col("mute_until"), "mute_until")
    today = _today(now, job)
    points = kpi_history.points(history, kpis.index, today, errors, job)
    frame = pd.DataFrame({
        "name": col("kpi").map(cell_text),
        "owner": col("owner").map(cell_text),
        "unit": col("unit").map(cell_text),
        "direction": direction,
        "warning": nums["warning"],
        "critical": nums["critical"],
        "target": nums["target"],
        "max_change": max_change,
        "cadence_days": cadence,
        "mute_until": mute,
        **_current(nums["current"], points),
        "error": errors.joined(),  # every reason is in by now
    }, index=kpis.index)  # fmt: skip
    return _judge(frame, today, job, where)


def duplicate_names(results: pd.DataFrame) -> pd.DataFrame:
    """Every row whose KPI name another row also uses is an ERROR naming the other rows.

    All of them, the first included: the name is the key the log, the OKRs and the alerts
    use, and nothing tells which row is meant. Rows with a unique name are untouched.
    """
    keys = results["name"].map(name_key)
    dup = keys.ne("") & keys.duplicated(keep=False)
    if not dup.any():
        return results
    rows_of = pd.Series(results.index[dup], index=keys[dup]).groupby(level=0).agg(list)
    notes = [
        f"KPI name {results.at[r, 'name']!r} is also on {_rows_text(rows_of[k], r)}"
        for r, k in keys[dup].items()
    ]
    note = pd.Series(notes, index=results.index[dup], dtype=object)
    own = results["note"].where(results["status"] == st.ERROR, "")[dup]
    note = note.where(own == "", note + "; " + own)
    return results.assign(
        status=results["status"].where(~dup, st.ERROR), note=results["note"].where(~dup, note)
    )


def _rows_text(rows: list[int], but: object) -> str:
    others = [str(r) for r in rows if r != but]
    if len(others) == 1:
        return f"row {others[0]}"
    return f"rows {', '.join(others[:-1])} and {others[-1]}"


# --- reading the KPI's own cells -------------------------------------------------------------


def _max_change(number: pd.Series, raw: pd.Series, errors: CellNotes) -> pd.Series:
    """``Max change %`` as a fraction: ``15`` and ``15%`` (text) are 0.15.

    A number below 1 is already a fraction (a Sheets percent cell showing 15 % holds 0.15);
    text with a ``%`` sign was made a fraction when read. Below zero is an error.
    """
    percent_text = raw.map(lambda v: isinstance(v, str) and "%" in v).astype(bool)
    fraction = number.where(percent_text | (number.abs() < 1), number / 100)
    negative = fraction < 0
    if negative.any():
        errors.cells(negative, "max_change", "expected a percentage of 0 or more", raw)
    return fraction.where(~negative)


def _direction(raw: pd.Series, nums: Mapping[str, pd.Series], errors: CellNotes) -> pd.Series:
    """``higher`` or ``lower`` (or "" when unknown): the Direction cell, else inferred.

    An explicit direction the thresholds contradict (higher is better, yet Critical above
    Warning) is an error naming both cells: one of them must be a typo.
    """
    text = _folded(raw)
    explicit = pd.Series(
        np.select([text.isin(HIGHER), text.isin(LOWER)], ["higher", "lower"], default=""),
        index=raw.index,
        dtype=object,
    )
    errors.cells(text.ne("") & explicit.eq(""), "direction", "expected higher or lower", raw)
    warning, critical = nums["warning"], nums["critical"]
    contradiction = ((explicit == "higher") & (critical > warning)) | (
        (explicit == "lower") & (critical < warning)
    )
    if contradiction.any():
        errors.add(_contradictions(raw.index[contradiction], explicit, nums, errors.where))
    return explicit.where(explicit != "", _inferred(warning, critical, nums["target"]))


def _inferred(warning: pd.Series, critical: pd.Series, target: pd.Series) -> pd.Series:
    """Critical below Warning: higher is better (and above: lower); else the Target decides.

    With one threshold, or two equal ones, a Target above it means higher is better. One
    vote is computed per rule and the first that speaks wins: no overwriting of choices.
    """
    by_pair = (warning - critical).transform(np.sign)
    by_target = (target - warning.fillna(critical)).transform(np.sign)
    vote = by_pair.where(by_pair.fillna(0) != 0, by_target)
    return pd.Series(
        np.select([vote > 0, vote < 0], ["higher", "lower"], default=""),
        index=warning.index,
        dtype=object,
    )


def _contradictions(
    rows: pd.Index, explicit: pd.Series, nums: Mapping[str, pd.Series], where: Where
) -> pd.Series:
    d, w, c = (where.cells(cid, rows) for cid in ("direction", "warning", "critical"))
    texts = [
        f"{dn} says {e} is better, but {cn} ({fmt(cv)}) is {side} {wn} ({fmt(wv)}), "
        f"which means {other} is better: fix one of them"
        for dn, e, cn, cv, wn, wv, side, other in zip(
            d,
            explicit[rows],
            c,
            nums["critical"][rows],
            w,
            nums["warning"][rows],
            np.where(explicit[rows] == "higher", "above", "below"),
            np.where(explicit[rows] == "higher", "lower", "higher"),
            strict=True,
        )
    ]
    return pd.Series(texts, index=rows, dtype=object)


def _needs_direction(
    direction: pd.Series,
    raw: pd.Series,
    nums: Mapping[str, pd.Series],
    *,
    max_change: pd.Series,
    errors: CellNotes,
) -> None:
    """A threshold or change rule without a direction cannot be judged: an ERROR, not OK."""
    rule = nums["warning"].notna() | nums["critical"].notna() | max_change.notna()
    missing = rule & direction.eq("") & _folded(raw).eq("")
    if not missing.any():
        return
    rows = raw.index[missing]
    where = errors.where
    if "direction" in where.positions:
        say = [f"set {cell}" for cell in where.cells("direction", rows)]
    else:
        say = [f"add a {where.header('direction')} column"] * len(rows)
    why = " to higher or lower: the thresholds do not say which way is better"
    errors.add(pd.Series([s + why for s in say], index=rows, dtype=object))


def _cadence(raw: pd.Series, errors: CellNotes) -> pd.Series:
    """Days between expected values: daily, weekly, monthly, or a number (of days, weeks...).

    Sheets repeat a handful of cadences, so each distinct text is read once.
    """
    folded = _folded(raw)
    codes, texts = pd.factorize(folded)
    days = pd.Series(_cadence_days(pd.Series(texts, dtype=object))[codes], index=raw.index)
    why = "expected daily, weekly, monthly or a number of days"
    errors.cells(folded.ne("") & days.isna(), "cadence", why, raw)
    return days


def _cadence_days(texts: pd.Series) -> Floats:
    days = texts.map(CADENCE_DAYS).astype("float64")
    counted = days.isna() & texts.ne("")
    if counted.any():
        parts = texts[counted].str.extract(r"\A" + _CADENCE.pattern + r"\Z", flags=re.I)
        number = pd.to_numeric(parts["n"]) * parts["unit"].fillna("").map(_CADENCE_UNITS)
        days[counted] = number.astype("float64")
    out: Floats = np.asarray(days.where(days > 0).to_numpy(na_value=np.nan), dtype=np.float64)
    return out


def _folded(raw: pd.Series) -> pd.Series:
    """Cells as trimmed, case-folded text; each distinct cell converted once."""
    codes, uniques = pd.factorize(raw.to_numpy(dtype=object))
    texts = np.array([cell_text(u).casefold() for u in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], index=raw.index, dtype=object)


def _today(now: dt.datetime, job: Job) -> np.datetime64:
    """The workbook's calendar day at ``now`` (a naive ``now`` is taken as its wall clock)."""
    local = now.astimezone(job.tz) if now.tzinfo is not None else now
    return np.datetime64(local.date(), "D")


def _current(current: pd.Series, points: pd.DataFrame) -> dict[str, pd.Series]:
    """The value judged, its day, and the point it is compared with.

    Without ``Current`` it is the newest dated value, against the one before. ``Current``
    equal to the newest dated value is that same observation. A different ``Current`` is
    newer than every dated value: it is compared with the newest of them, and since it has
    no date of its own, staleness is still measured from that newest dated value.
    """
    newest, given = points["value"], current.notna()
    same = given & np.isclose(current, newest, rtol=1e-12, atol=0)
    newer = given & ~same & newest.notna()
    return {
        "value": current.where(given, newest),
        "date": points["date"],
        "previous": newest.where(newer, points["previous"]),
        "previous_date": points["date"].where(newer, points["previous_date"]),
    }


# --- judging ---------------------------------------------------------------------------------


def _judge(f: pd.DataFrame, today: np.datetime64, job: Job, where: Where) -> pd.DataFrame:
    """Statuses worst first (docs/kpi-rules.md), the figures behind them, and a note in plain words.

    Worked on plain arrays: the rows are already aligned, so no step needs pandas' index.
    ``better`` is +1 where higher is better, -1 where lower is, NaN where unknown; multiplying
    by it turns every comparison into "below is worse".
    """
    better = as_floats(f["direction"].map({"higher": 1.0, "lower": -1.0}))
    v, warning, critical = as_floats(f["value"]), as_floats(f["warning"]), as_floats(f["critical"])
    crit, warn = better * v < better * critical, better * v < better * warning
    change, sudden = _change(v, as_floats(f["previous"]), better, as_floats(f["max_change"]))
    age = (today - as_days(f["date"])) / np.timedelta64(1, "D")
    with np.errstate(over="ignore"):  # a cadence of 1e308 days is merely never stale
        stale = age > as_floats(f["cadence_days"]) * job.kpi.stale_factor
    has_rule = ~np.isnan(warning) | ~np.isnan(critical) | ~np.isnan(as_floats(f["max_change"]))
    status = np.select(
        [
            f["error"].to_numpy(dtype=object) != "",
            crit,
            warn | sudden,
            stale,
            np.isnan(v),
            ~has_rule,
        ],
        [st.ERROR, st.CRITICAL, st.WARNING, st.STALE, st.NO_DATA, st.NO_THRESHOLD],
        default=st.OK,
    )
    f = f.assign(
        status=status,
        change=change,
        sudden=sudden,
        stale=stale,
        age_days=age,
        breach=np.select([crit, warn], ["critical", "warning"], default=""),
    )
    return f.assign(note=kpi_notes.notes(f, better, job, where))


def _change(
    value: Floats, previous: Floats, better: Floats, max_change: Floats
) -> tuple[Floats, Bools]:
    """Relative change against the previous point, and whether it is a sudden-change breach.

    From 0 the relative change is undefined (NaN; 0 if still 0), and any move the bad way
    counts as larger than every Max change %. Only moves the bad way breach.
    """
    with np.errstate(all="ignore"):  # from 0 or between huge numbers: handled just below
        move = value - previous
        change = move / np.abs(previous)
    change = np.where(previous == 0, np.where(value == 0, 0.0, np.nan), change)
    bad_way = better * move < 0
    beyond = (previous == 0) | (np.abs(change) > max_change + CHANGE_TOLERANCE)
    return change, bad_way & ~np.isnan(max_change) & beyond
