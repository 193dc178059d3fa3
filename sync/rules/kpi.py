"""KPI rules: thresholds, direction, sudden change, staleness (SPEC §3).

``evaluate_kpis`` is a pure function of the KPI rows, their history, ``now`` and the
config. Every step is a whole-column operation, so 10,000 KPIs with two years of
weekly history cost a handful of vectorised passes, not a Python loop per cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sync.cells import a1, parse_dates, parse_numbers
from sync.config import Job
from sync.rules import status as st

CADENCE_DAYS: Mapping[str, float] = {"daily": 1, "weekly": 7, "monthly": 30, "day": 1,
                                     "week": 7, "month": 30, "quarterly": 91}
HIGHER = frozenset({"higher", "high", "up", "increase", "max", "↑", "higher is better"})
LOWER = frozenset({"lower", "low", "down", "decrease", "min", "↓", "lower is better"})


@dataclass(frozen=True)
class Where:
    """Where a KPI tab's cells are, so a note can name the cell a person must fix."""

    tab: str
    positions: Mapping[str, int]
    headers: Mapping[str, str]

    def cell(self, column_id: str, rows: pd.Series | pd.Index) -> pd.Series:
        pos = self.positions[column_id]
        index = rows if isinstance(rows, pd.Index) else pd.Index(rows)
        return pd.Series([a1(int(r), pos) for r in index], index=index, dtype=object)


def evaluate_kpis(kpis: pd.DataFrame, history: pd.DataFrame, now: dt.datetime, job: Job,
                  where: Where) -> pd.DataFrame:
    """One result row per KPI row (same index): status, note and the figures behind them."""
    errors = pd.Series("", index=kpis.index, dtype=object)
    col = _Columns(kpis)
    nums = {c: _numbers(col(c), c, errors, where, job) for c in
            ("warning", "critical", "target", "max_change", "current")}
    direction = _direction(col("direction"), nums["warning"], nums["critical"], nums["target"],
                           errors, where)
    cadence = _cadence(col("cadence"), errors, where)
    mute = parse_dates(col("mute_until"))
    _add_errors(errors, mute["error"], "mute_until", col("mute_until"), where)
    points = _points(history, kpis.index, errors, job)
    current = nums["current"].fillna(points["value"])
    from_column = nums["current"].notna()
    frame = pd.DataFrame({
        "name": col("kpi").map(_text),
        "owner": col("owner").map(_text),
        "unit": col("unit").map(_text),
        "direction": direction,
        "warning": nums["warning"],
        "critical": nums["critical"],
        "target": nums["target"],
        "max_change": _as_fraction(nums["max_change"]),
        "cadence_days": cadence,
        "mute_until": mute["value"],
        "value": current,
        "date": points["date"],
        "previous": np.where(from_column, points["value"], points["previous"]),
        "previous_date": np.where(from_column, points["date"], points["previous_date"]),
        "error": errors,
    }, index=kpis.index)
    frame["previous_date"] = pd.to_datetime(frame["previous_date"])
    return _judge(frame, now, job)


class _Columns:
    """Raw cells of a column id, or an all-empty column when the tab lacks it."""

    def __init__(self, kpis: pd.DataFrame) -> None:
        self.kpis = kpis

    def __call__(self, column_id: str) -> pd.Series:
        if column_id in self.kpis.columns:
            return self.kpis[column_id]
        return pd.Series([None] * len(self.kpis), index=self.kpis.index, dtype=object)


def _text(value: object) -> str:
    """A cell as trimmed text; empty and NaN (pandas' missing value) read as ""."""
    return "" if value is None or value != value else str(value).strip()


def _numbers(raw: pd.Series, column_id: str, errors: pd.Series, where: Where,
             job: Job) -> pd.Series:
    parsed = parse_numbers(raw, decimal_comma=job.kpi.decimal_comma)
    _add_errors(errors, parsed["error"], column_id, raw, where)
    return parsed["value"].astype("float64")


def _add_errors(errors: pd.Series, reasons: pd.Series, column_id: str, raw: pd.Series,
                where: Where) -> None:
    bad = reasons.notna()
    if not bad.any():
        return
    rows = reasons.index[bad]
    cells = where.cell(column_id, rows)
    header = where.headers[column_id]
    text = [f"{header} {c} {v!r}: {r}" for c, v, r in
            zip(cells, raw[bad], reasons[bad], strict=True)]
    _append(errors, pd.Series(text, index=rows, dtype=object))


def _append(errors: pd.Series, notes: pd.Series) -> None:
    current = errors.reindex(notes.index)
    errors.loc[notes.index] = np.where(current == "", notes, current + "; " + notes)


def _direction(raw: pd.Series, warning: pd.Series, critical: pd.Series, target: pd.Series,
               errors: pd.Series, where: Where) -> pd.Series:
    """Explicit ``higher``/``lower`` wins; otherwise inferred from the thresholds.

    Critical below warning means higher is better; with a single threshold, a target
    above it means the same. An explicit direction the thresholds contradict is an
    error naming both cells, since one of them must be a typo.
    """
    text = raw.map(_text).str.casefold()
    explicit = pd.Series(np.select([text.isin(HIGHER), text.isin(LOWER)], ["higher", "lower"],
                                   default=""), index=raw.index)
    unknown = (text != "") & (explicit == "")
    if unknown.any():
        bad = text.index[unknown]
        cells = where.cell("direction", bad)
        _append(errors, pd.Series([f"{where.headers['direction']} {c} {v!r}: expected higher "
                                   "or lower" for c, v in zip(cells, raw[bad], strict=True)],
                                  index=bad, dtype=object))
    threshold = warning.fillna(critical)
    inferred = np.select(
        [critical < warning, critical > warning, target > threshold, target < threshold],
        ["higher", "higher", "higher", "lower"], default="")
    inferred = np.where(critical > warning, "lower", inferred)
    inferred_s = pd.Series(inferred, index=raw.index)
    contradiction = (explicit != "") & (critical.notna() & warning.notna()) & (
        ((explicit == "higher") & (critical > warning)) | ((explicit == "lower") & (critical < warning)))
    if contradiction.any():
        bad = raw.index[contradiction]
        w, c = where.cell("warning", bad), where.cell("critical", bad)
        d = where.cell("direction", bad)
        notes = [f"{where.headers['direction']} {dc} says {e} is better but critical {cc} "
                 f"is {'above' if e == 'higher' else 'below'} warning {wc}"
                 for dc, e, cc, wc in zip(d, explicit[bad], c, w, strict=True)]
        _append(errors, pd.Series(notes, index=bad, dtype=object))
    return explicit.where(explicit != "", inferred_s)


def _cadence(raw: pd.Series, errors: pd.Series, where: Where) -> pd.Series:
    text = raw.map(_text).str.casefold()
    named = text.map(CADENCE_DAYS)
    numeric = pd.to_numeric(text.str.removesuffix("days").str.removesuffix("d").str.strip(),
                            errors="coerce")
    numeric = numeric.where(numeric > 0)
    days = named.fillna(numeric).astype("float64")
    bad = (text != "") & days.isna()
    if bad.any():
        rows = text.index[bad]
        cells = where.cell("cadence", rows)
        _append(errors, pd.Series(
            [f"{where.headers['cadence']} {c} {v!r}: expected daily, weekly, monthly or a "
             "number of days" for c, v in zip(cells, raw[bad], strict=True)],
            index=rows, dtype=object))
    return days


def _points(history: pd.DataFrame, index: pd.Index, errors: pd.Series, job: Job) -> pd.DataFrame:
    """The newest value and the one before it, per KPI row, blanks skipped."""
    empty = pd.DataFrame({"value": np.nan, "date": pd.NaT, "previous": np.nan,
                          "previous_date": pd.NaT}, index=index)
    if history.empty:
        return empty
    parsed = parse_numbers(history["raw"], decimal_comma=job.kpi.decimal_comma)
    bad = parsed["error"].notna()
    if bad.any():
        h = history[bad]
        notes = [f"{a1(int(r), int(c)) if t == '' else f'{t}!{a1(int(r), int(c))}'} {v!r}: {e}"
                 for t, r, c, v, e in zip(h.get("tab", pd.Series("", index=h.index)),
                                          h.get("src_row", h["row"]), h["col"], h["raw"],
                                          parsed["error"][bad], strict=True)]
        grouped = pd.Series(notes, index=h["row"].to_numpy()).groupby(level=0).agg("; ".join)
        _append(errors, grouped.reindex(index).dropna())
    good = pd.DataFrame({"row": history["row"], "date": history["date"],
                         "value": parsed["value"]})[parsed["value"].notna()]
    good = good.sort_values(["row", "date"], kind="stable")
    newest = good.groupby("row").tail(2)
    last = newest.groupby("row").nth(-1).set_index("row")
    before = newest[newest.duplicated("row", keep="last")].set_index("row")
    out = empty.copy()
    out.loc[last.index.intersection(index), ["value", "date"]] = last[["value", "date"]]
    prev = before.index.intersection(index)
    out.loc[prev, "previous"] = before.loc[prev, "value"]
    out.loc[prev, "previous_date"] = before.loc[prev, "date"]
    out["date"] = pd.to_datetime(out["date"])
    out["previous_date"] = pd.to_datetime(out["previous_date"])
    return out


def _as_fraction(change: pd.Series) -> pd.Series:
    """``Max change %`` of 20 means 20 %; 0.2 (a Sheets percent cell) means the same."""
    return change.where(change.abs() <= 1, change / 100)


def _judge(f: pd.DataFrame, now: dt.datetime, job: Job) -> pd.DataFrame:
    higher = f["direction"] == "higher"
    lower = f["direction"] == "lower"
    v = f["value"]
    crit = (higher & (v < f["critical"])) | (lower & (v > f["critical"]))
    warn = (higher & (v < f["warning"])) | (lower & (v > f["warning"]))
    change = (v - f["previous"]) / f["previous"].abs()
    change = change.where(f["previous"] != 0)
    bad_move = (higher & (change < 0)) | (lower & (change > 0))
    sudden = bad_move & (change.abs() > f["max_change"])
    today = pd.Timestamp(now.astimezone(job.tz).replace(tzinfo=None))
    age_days = (today - f["date"]).dt.total_seconds() / 86400
    stale = age_days > f["cadence_days"] * job.kpi.stale_factor
    has_rule = f["warning"].notna() | f["critical"].notna() | f["max_change"].notna()
    no_direction = has_rule & (f["warning"].notna() | f["critical"].notna()) & (
        f["direction"] == "")
    f["error"] = f["error"].where(~no_direction | (f["error"] != ""),
                                  "direction unknown: set Direction to higher or lower")
    status = np.select(
        [f["error"] != "", v.isna(), crit, warn | sudden, stale, ~has_rule],
        [st.ERROR, st.NO_DATA, st.CRITICAL, st.WARNING, st.STALE, st.NO_THRESHOLD],
        default=st.OK)
    f = f.assign(status=status, change=change, sudden=sudden, stale=stale, age_days=age_days)
    f["note"] = _notes(f, crit, warn)
    return f


def fmt(value: float, unit: str = "") -> str:
    """A number as a person writes it: ``412``, ``1,200.5``, ``$1,200``, ``3.4 %``.

    A ``%`` KPI holds fractions, as Sheets stores percentages (``12%`` is 0.12).
    """
    if value is None or pd.isna(value):
        return ""
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


def _notes(f: pd.DataFrame, crit: pd.Series, warn: pd.Series) -> pd.Series:
    """Plain-word notes: ``412 < critical 450; -17.6 % since 2026-11-09``."""
    out = []
    for r in f.itertuples():  # one string per KPI: formatting, not computation
        out.append(_note(r, bool(crit.get(r.Index, False)), bool(warn.get(r.Index, False))))
    return pd.Series(out, index=f.index, dtype=object)


def _note(r: object, crit: bool, warn: bool) -> str:  # noqa: PLR0911 -- one branch per status
    g = r.__getattribute__
    status, unit = g("status"), g("unit")
    value = fmt(g("value"), unit)
    sign = "<" if g("direction") == "higher" else ">"
    parts: list[str] = []
    if status == st.ERROR:
        return str(g("error"))
    if status == st.NO_DATA:
        return "no value yet: add one in the newest dated column or in Current"
    if crit:
        parts.append(f"{value} {sign} critical {fmt(g('critical'), unit)}")
    elif warn:
        parts.append(f"{value} {sign} warning {fmt(g('warning'), unit)}")
    if g("sudden"):
        parts.append(f"moved {g('change'):+.1%} against max {g('max_change'):.0%}")
    if g("stale"):
        parts.append(f"no new value since {g('date'):%Y-%m-%d} ({g('age_days'):.0f} days)")
    if status == st.NO_THRESHOLD:
        parts.append(f"{value}; no Warning, Critical or Max change % set")
    if not parts:
        parts.append(value)
    if not pd.isna(g("change")) and not g("sudden"):
        parts.append(f"{g('change'):+.1%} since {g('previous_date'):%Y-%m-%d}")
    if not pd.isna(g("target")):
        met = (g("value") >= g("target")) if g("direction") != "lower" else (
            g("value") <= g("target"))
        parts.append(f"target {fmt(g('target'), unit)} {'met' if met else 'not met'}")
    return "; ".join(parts)
