"""KPI rules: thresholds, direction, sudden change, staleness (SPEC §2-§3, docs/kpi-rules.md).

``evaluate_kpis`` is a pure function of the KPI rows, their history, ``now`` and the
config. Every step is a whole-column operation: 10,000 KPIs with two years of weekly
history cost a handful of array passes, never a Python loop over history. Python loops
remain only to word the notes of rows that need one (one string per KPI) and to name
unreadable cells (one string per bad cell).

The history frame (``sync.frames.wide_history``, plus the ``KPI log`` in ``sync.evaluate``)
has one row per observation: ``row`` (the KPI's sheet row), ``date`` (a day), ``col``
(1-based column of the cell), ``raw`` (the cell), and optionally ``tab`` (the tab holding
the cell when it is not the KPIs tab), ``src_row`` (its row there) and ``error`` (a reason
known before the rules run, such as an unreadable log date). When several entries give a
value for the same KPI and day, the last one wins. It may come whole or as blocks of KPI rows,
each block holding every entry of its rows, so that a sheet near Google's cell limit is never
parsed in one piece.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sync.a1 import a1
from sync.cells import cell_text, cell_texts, name_key_column, parse_numbers
from sync.config import Job
from sync.rules import status as st
from sync.rules.cell_notes import CellNotes, Where, column, joined_per_row, quoted

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Objects = npt.NDArray[np.object_]

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
CELLS_PER_NOTE: Final = 3  # unreadable history cells named in one note; the rest are counted
CHANGE_TOLERANCE: Final = 1e-9  # a move equal to Max change % is no breach, float noise aside
_NO_DATE = np.datetime64("NaT", "ns")


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
    points = _points(history, kpis.index, today, errors, job)
    frame = pd.DataFrame({
        "name": _cell_texts(col("kpi")),
        "owner": _cell_texts(col("owner")),
        "unit": _cell_texts(col("unit")),
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
    keys = name_key_column(results["name"])
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


def _cell_texts(raw: pd.Series) -> pd.Series:
    """``raw.map(cell_text)``, with the dtype pandas infers, as ``Series.map`` gives."""
    return pd.Series(cell_texts(raw.tolist()), index=raw.index)


def _folded(raw: pd.Series) -> pd.Series:
    """Cells as trimmed, case-folded text; each distinct cell converted once."""
    codes, uniques = pd.factorize(raw.to_numpy(dtype=object))
    texts = np.array([cell_text(u).casefold() for u in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], index=raw.index, dtype=object)


def _today(now: dt.datetime, job: Job) -> np.datetime64:
    """The workbook's calendar day at ``now`` (a naive ``now`` is taken as its wall clock)."""
    local = now.astimezone(job.tz) if now.tzinfo is not None else now
    return np.datetime64(local.date(), "D")


# --- history ---------------------------------------------------------------------------------


def _points(
    history: pd.DataFrame | Iterable[pd.DataFrame],
    index: pd.Index,
    today: np.datetime64,
    errors: CellNotes,
    job: Job,
) -> pd.DataFrame:
    """Per KPI row: the newest value on or before today and the one before it (another day).

    Blanks are skipped; unreadable cells make the row an ERROR. Values dated after today do
    not count yet (so ``--as-of`` replays a past day as it was). A row's points come from its
    own entries alone, so with the history in blocks (none splitting a row) each block's rows
    take their points from it, and only these four columns outlive the block.
    """
    out = {
        "value": np.full(len(index), np.nan),
        "date": np.full(len(index), _NO_DATE),
        "previous": np.full(len(index), np.nan),
        "previous_date": np.full(len(index), _NO_DATE),
    }
    for block in [history] if isinstance(history, pd.DataFrame) else history:
        if block.empty:
            continue
        found, points = _block_points(block, index, today, errors, job)
        for name, values in points.items():
            out[name][found] = values[found]
    return pd.DataFrame(out, index=index)


def _block_points(
    history: pd.DataFrame, index: pd.Index, today: np.datetime64, errors: CellNotes, job: Job
) -> tuple[Bools, dict[str, npt.NDArray[np.generic]]]:
    """``_points`` of the rows ``history`` has a usable entry for: which rows, and the columns
    (over all of ``index``); the unreadable entries' notes go to ``errors``."""
    value, reason = _history_values(history, job)
    unread = reason.notna().to_numpy(dtype=bool)
    if unread.any():  # the few unreadable entries are picked out first, then worded
        errors.add(_history_notes(history[unread], reason[unread], index))
    day = history["date"].to_numpy().astype("datetime64[D]")
    code = index.get_indexer(pd.Index(history["row"]))
    usable = np.flatnonzero(~np.isnan(value) & ~np.isnat(day) & (day <= today) & (code >= 0))
    last = _newest(code[usable], usable, day[usable], len(index), len(history))
    before = day[usable] != _at(day, last)[code[usable]]
    prior = _newest(
        code[usable][before], usable[before], day[usable][before], len(index), len(history)
    )
    return last >= 0, {
        "value": _at(value, last),
        "date": _at(day, last).astype("datetime64[ns]"),
        "previous": _at(value, prior),
        "previous_date": _at(day, prior).astype("datetime64[ns]"),
    }


def _history_values(history: pd.DataFrame, job: Job) -> tuple[Floats, pd.Series]:
    """Every history cell as a number, and why a cell could not be read (None if it could)."""
    parsed = parse_numbers(history["raw"], decimal_comma=job.kpi.decimal_comma)
    value = parsed["value"].to_numpy(dtype=np.float64, copy=True)
    reason = parsed["error"]
    if "error" in history.columns:
        known = history["error"].notna()
        reason = history["error"].where(known, reason)
        value[known.to_numpy(dtype=bool)] = np.nan
    return value, reason


def _newest(
    code: Ints, pos: Ints, day: npt.NDArray[np.datetime64], rows: int, entries: int
) -> Ints:
    """Per KPI row, the position of its newest entry (latest day, then last in the frame).

    One key orders day then position, and a scatter-max finds each row's largest: no sort,
    no group-by. -1 for rows without entries.
    """
    key = day.astype(np.int64) * entries + pos
    best = np.full(rows, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(best, code, key)
    found = best != np.iinfo(np.int64).min
    return np.where(found, np.mod(best, entries), -1)


def _at(values: npt.NDArray[np.generic], positions: Ints) -> npt.NDArray[np.generic]:
    """``values[positions]`` with -1 meaning "none" (NaN or NaT)."""
    missing: np.generic = np.datetime64("NaT") if values.dtype.kind == "M" else np.float64(np.nan)
    picked = values[np.maximum(positions, 0)]
    return np.where(positions >= 0, picked, missing)


def _history_notes(unread: pd.DataFrame, reason: pd.Series, index: pd.Index) -> pd.Series:
    """``J5 (2026-11-09) 'abc': not a number`` per bad cell, at most a few per KPI row.

    ``unread`` holds the history entries that could not be read, ``reason`` says why.
    """
    bad = unread[unread["row"].isin(index)].assign(reason=reason)
    if bad.empty:
        return pd.Series(dtype=object)
    named = bad[bad.groupby("row").cumcount() < CELLS_PER_NOTE]
    tabs = named["tab"] if "tab" in named.columns else pd.Series(None, index=named.index)
    rows = named["src_row"].fillna(named["row"]) if "src_row" in named.columns else named["row"]
    days = named["date"].dt.strftime("%Y-%m-%d").fillna("")
    texts = [
        f"{_address(t, int(r), int(c), d)} {quoted(v)}: {e}"
        for t, r, c, d, v, e in zip(
            tabs, rows, named["col"], days, named["raw"], named["reason"], strict=True
        )
    ]
    notes = pd.Series(texts, index=named["row"].to_numpy(), dtype=object)
    notes = joined_per_row(notes)
    more = bad.groupby("row").size() - CELLS_PER_NOTE
    more = more[more > 0]
    notes.loc[more.index] = notes[more.index] + [f"; and {n} more unreadable cells" for n in more]
    return notes


def _address(tab: object, row: int, col: int, day: str) -> str:
    """Where a history cell is: ``J5 (2026-11-09)`` on the KPIs tab, ``'KPI log'!C17`` else."""
    if isinstance(tab, str) and tab:
        return "'" + tab.replace("'", "''") + "'!" + a1(row, col)
    return f"{a1(row, col)} ({day})" if day else a1(row, col)


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
    """Statuses worst first (SPEC §3), the figures behind them, and a note in plain words.

    Worked on plain arrays: the rows are already aligned, so no step needs pandas' index.
    ``better`` is +1 where higher is better, -1 where lower is, NaN where unknown; multiplying
    by it turns every comparison into "below is worse".
    """
    better = _floats(f["direction"].map({"higher": 1.0, "lower": -1.0}))
    v, warning, critical = _floats(f["value"]), _floats(f["warning"]), _floats(f["critical"])
    crit, warn = better * v < better * critical, better * v < better * warning
    change, sudden = _change(v, _floats(f["previous"]), better, _floats(f["max_change"]))
    age = (today - _days(f["date"])) / np.timedelta64(1, "D")
    with np.errstate(over="ignore"):  # a cadence of 1e308 days is merely never stale
        stale = age > _floats(f["cadence_days"]) * job.kpi.stale_factor
    has_rule = ~np.isnan(warning) | ~np.isnan(critical) | ~np.isnan(_floats(f["max_change"]))
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
    return f.assign(note=_notes(f, better, job, where))


def _floats(column: pd.Series) -> Floats:
    out: Floats = np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan), np.float64)
    return out


def _days(column: pd.Series) -> npt.NDArray[np.datetime64]:
    return column.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


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


def fmt(value: float, unit: str = "") -> str:
    """A number as a person writes it: ``412``, ``1,200.5``, ``$1,200``, ``3.4 %``.

    A ``%`` KPI holds fractions, as Sheets stores percentages (``12%`` is 0.12).
    """
    if value is None or math.isnan(value):
        return ""
    value = float(value)  # Python floats overflow to inf quietly; numpy's warn
    if unit == "%":
        return f"{_number(value * 100)} %"
    text = _number(value)
    if unit == "$":
        return f"-${text[1:]}" if text.startswith("-") else f"${text}"
    return f"{text} {unit}".strip()


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.4g}"


def percent_change(fraction: float) -> str:
    """``-17.6 %``; a change that rounds to nothing is ``+0.0 %``, never ``-0.0 %``."""
    return f"{round(float(fraction) * 100, 1) + 0.0:+.1f} %"


# Column forms of fmt and percent_change for the notes, which word every KPI: the same text,
# but the branches are taken with whole-array masks and each value meets one bare f-string,
# not two Python calls (tests/test_kpi_rules.py checks them against fmt and percent_change).


def fmt_column(values: Floats, units: Objects) -> Objects:
    """``fmt(v, u)`` for each pair of ``values`` and ``units``."""
    percent, dollar = units == "%", units == "$"
    with np.errstate(over="ignore"):  # as fmt: a huge percentage is "inf %", quietly
        text = _number_column(np.where(percent, values * 100, values))
    other = ~percent & ~dollar
    text[percent] = [f"{t} %" for t in text[percent]]
    text[dollar] = [f"-${t[1:]}" if t.startswith("-") else f"${t}" for t in text[dollar]]
    text[other] = [f"{t} {u}".strip() for t, u in zip(text[other], units[other], strict=True)]
    text[np.isnan(values)] = ""
    return text


def _number_column(values: Floats) -> Objects:
    """``_number`` of each value (NaN: "")."""
    whole = np.isfinite(values) & (values == np.trunc(values))  # float.is_integer
    big = ~whole & (np.abs(values) >= 1000)
    small = ~whole & ~big & ~np.isnan(values)
    text = np.full(len(values), "", dtype=object)
    text[whole] = [f"{v:,.0f}" for v in values[whole].tolist()]
    text[big] = [f"{v:,.1f}" for v in values[big].tolist()]
    text[small] = [f"{v:.4g}" for v in values[small].tolist()]
    return text


def percent_column(fractions: Floats) -> list[str]:
    """``percent_change`` of each fraction."""
    return [f"{round(c * 100, 1) + 0.0:+.1f} %" for c in fractions.tolist()]


def _texts(size: int, rows: Ints, texts: list[str]) -> Objects:
    """A column of note parts: ``texts`` on ``rows``, "" elsewhere."""
    out = np.full(size, "", dtype=object)
    out[rows] = texts
    return out


def _notes(f: pd.DataFrame, better: Floats, job: Job, where: Where) -> Objects:
    """Plain-word notes: ``412 < critical 450; -17.6 % since 2026-11-09; target 500 not met``.

    Built part by part, each part a column of text ("" where it does not apply), then joined
    with "; " row by row: formatting only, one string per KPI. ERROR rows say what to fix,
    NO DATA rows where to add a value.
    """
    units = f["unit"].to_numpy(dtype=object)
    value = fmt_column(_floats(f["value"]), units)
    status = f["status"].to_numpy(dtype=object)
    undated = ~np.isnan(_floats(f["cadence_days"])) & f["date"].isna().to_numpy()
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
        breach[rows] == "critical", _floats(f["critical"])[rows], _floats(f["warning"])[rows]
    )
    out = value.copy()
    out[rows] = [
        f"{v} {s} {b} {t}"
        for v, s, b, t in zip(
            value[rows], sign, breach[rows], fmt_column(limit, units[rows]), strict=True
        )
    ]
    return out


def _change_note(f: pd.DataFrame, units: Objects) -> Objects:
    """``-17.6 % since 2026-11-09``; a sudden change adds the figures and the limit."""
    value, previous = _floats(f["value"]), _floats(f["previous"])
    rows = np.flatnonzero(~np.isnan(previous) & ~np.isnan(value))
    value, previous, units = value[rows], previous[rows], units[rows]
    since = np.datetime_as_string(_days(f["previous_date"])[rows], unit="D").tolist()
    moves = percent_column(_floats(f["change"])[rows])
    from_zero = ((previous == 0) & (value != 0)).tolist()
    texts = np.array(
        [
            f"{'up' if v > 0 else 'down'} from 0 on {d}" if zero else f"{m} since {d}"
            for v, d, m, zero in zip(value.tolist(), since, moves, from_zero, strict=True)
        ],
        dtype=object,
    )
    sudden = f["sudden"].to_numpy(dtype=bool)[rows]
    limits = _floats(f["max_change"])[rows][sudden].tolist()
    was = _was(previous[sudden], units[sudden])
    texts[sudden] = [
        f"{t}{w}, more than the {m * 100:g} % max change"
        for t, w, m in zip(texts[sudden], was, limits, strict=True)
    ]
    return _texts(len(f), rows, texts.tolist())


def _was(previous: Floats, units: Objects) -> list[str]:
    """`` (was 412)`` for a sudden change; nothing when it was 0 ("up from 0" says so)."""
    return [
        f" (was {p})" if nonzero else ""
        for p, nonzero in zip(fmt_column(previous, units), (previous != 0).tolist(), strict=True)
    ]


def _stale_note(f: pd.DataFrame, factor: float) -> Objects:
    """``no new value for 24 days (since 2026-11-02; stale after 10.5)``."""
    rows = np.flatnonzero(f["stale"].to_numpy(dtype=bool))
    since = np.datetime_as_string(_days(f["date"])[rows], unit="D")
    texts = [
        f"no new value for {age:.0f} days (since {day}; stale after {days * factor:g})"
        for age, day, days in zip(
            _floats(f["age_days"])[rows].tolist(),
            since,
            _floats(f["cadence_days"])[rows].tolist(),
            strict=True,
        )
    ]
    return _texts(len(f), rows, texts)


def _target_note(f: pd.DataFrame, better: Floats, units: Objects) -> Objects:
    """``target 500 met`` / ``not met``; with no direction, the target alone."""
    value, target = _floats(f["value"]), _floats(f["target"])
    rows = np.flatnonzero(~np.isnan(target) & ~np.isnan(value))
    met = better[rows] * value[rows] >= better[rows] * target[rows]
    verdict = np.select([np.isnan(better[rows]), met], ["", " met"], default=" not met")
    texts = [
        f"target {t}{w}"
        for t, w in zip(fmt_column(target[rows], units[rows]), verdict, strict=True)
    ]
    return _texts(len(f), rows, texts)
