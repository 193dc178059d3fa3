"""OKR rules: key-result progress, pace, status and the objective roll-up (SPEC §3).

Pure functions of (key-result rows, KPI values, now, config). Progress is linear from
``Start`` to ``Target`` for increasing and decreasing key results alike; milestones are
0 or 1; the roll-up is the weighted mean of progress clamped to 0..1.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sync.cells import a1, is_flag_like, parse_dates, parse_flags, parse_numbers
from sync.config import Job
from sync.rules import status as st


@dataclass(frozen=True)
class Cycle:
    """The OKR period; ``end`` is inclusive (the whole last day counts)."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def day_of(self, today: dt.date) -> int:
        """Day N of ``days``, clamped to the cycle."""
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
    key_results: pd.DataFrame  # one row per key-result row (sheet row index)
    objectives: pd.DataFrame  # one row per objective, in sheet order


def evaluate_okrs(krs: pd.DataFrame, kpi_values: Mapping[str, float], now: dt.datetime,
                  job: Job, positions: Mapping[str, int]) -> OkrResult:
    """Progress, expected progress and status of every key result and objective."""
    local = now.astimezone(job.tz)
    cycle = cycle_for(job, now)
    col = _col(krs)
    errors = pd.Series("", index=krs.index, dtype=object)
    cells = _Cells(positions, job.columns, errors)
    objective = col("objective").map(_text).replace("", np.nan).ffill()
    key_result = col("key_result").map(_text)
    headings = (key_result == "") & objective.notna()
    cells.note((objective.isna()) & (key_result != ""), "key_result",
               lambda c: f"key result {c} has no objective above it")
    milestone = is_flag_like(col("current")) | is_flag_like(col("target"))
    numbers = {c: cells.numbers(col(c).where(~milestone), c, job) for c in ("start", "target")}
    numbers["weight"] = cells.numbers(col("weight"), "weight", job)
    flags = parse_flags(col("current"))
    current_raw = col("current").where(~milestone)
    current = cells.numbers(current_raw, "current", job)
    current = current.where(~milestone, flags["value"])
    linked = col("kpi").map(_text)
    kpi_value = linked.map(lambda n: kpi_values.get(n.casefold(), np.nan) if n else np.nan)
    unknown = (linked != "") & ~linked.str.casefold().isin(list(kpi_values))
    cells.note(unknown, "kpi", lambda c: f"KPI {c} names no KPI on the KPIs tab")
    current = current.where(linked == "", kpi_value)
    due = parse_dates(col("due"))
    cells.add(due["error"], "due", col("due"))
    kind = col("kind").map(_text).str.casefold().replace("", "aspirational")
    cells.note(~kind.isin(["committed", "aspirational"]), "kind",
               lambda c: f"Kind {c}: expected committed or aspirational")
    frame = pd.DataFrame({
        "objective": objective.fillna(""), "key_result": key_result,
        "owner": col("owner").map(_text), "confidence": col("confidence").map(_text),
        "kind": kind, "start": numbers["start"], "target": numbers["target"],
        "value": current, "milestone": milestone, "kpi": linked,
        "weight": numbers["weight"].fillna(1.0), "due": due["value"],
    }, index=krs.index)[~headings]
    frame = _progress(frame, errors.reindex(frame.index), job, cycle, local)
    return OkrResult(frame, _objectives(frame, job))


def _col(frame: pd.DataFrame) -> Callable[[str], pd.Series]:
    def get(column_id: str) -> pd.Series:
        if column_id in frame.columns:
            return frame[column_id]
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return get


def _text(value: object) -> str:
    """A cell as trimmed text; empty and NaN (pandas' missing value) read as ""."""
    return "" if value is None or value != value else str(value).strip()


class _Cells:
    """Collects per-row error notes that name the cell to fix."""

    def __init__(self, positions: Mapping[str, int], headers: Mapping[str, str],
                 errors: pd.Series) -> None:
        self.positions, self.headers, self.errors = positions, headers, errors

    def address(self, column_id: str, row: int) -> str:
        pos = self.positions.get(column_id)
        return a1(row, pos) if pos else f"row {row}"

    def note(self, mask: pd.Series, column_id: str, text: object) -> None:
        for row in mask.index[mask.to_numpy(dtype=bool)]:
            self._append(row, text(self.address(column_id, int(row))))  # type: ignore[operator]

    def add(self, reasons: pd.Series, column_id: str, raw: pd.Series) -> None:
        bad = reasons.notna()
        for row in reasons.index[bad.to_numpy(dtype=bool)]:
            self._append(row, f"{self.headers[column_id]} {self.address(column_id, int(row))} "
                              f"{raw[row]!r}: {reasons[row]}")

    def numbers(self, raw: pd.Series, column_id: str, job: Job) -> pd.Series:
        parsed = parse_numbers(raw, decimal_comma=job.kpi.decimal_comma)
        self.add(parsed["error"], column_id, raw)
        return parsed["value"].astype("float64")

    def _append(self, row: object, text: str) -> None:
        old = self.errors[row]
        self.errors[row] = f"{old}; {text}" if old else text


def _progress(f: pd.DataFrame, errors: pd.Series, job: Job, cycle: Cycle,
              now: dt.datetime) -> pd.DataFrame:
    start = f["start"].where(f["start"].notna() | f["milestone"], 0.0)
    decreasing_no_start = f["start"].isna() & ~f["milestone"] & (f["value"] > f["target"])
    errors = errors.where(~decreasing_no_start,
                          errors.where(errors == "", errors + "; ") +
                          "Start is empty: a decreasing key result needs its starting value")
    span = f["target"] - start
    raw = (f["value"] - start) / span.where(span != 0)
    maintain = (span == 0) & f["target"].notna()
    raw = raw.where(~maintain, (f["value"] >= f["target"]).astype(float))
    raw = raw.where(~f["milestone"], f["value"])
    missing_target = f["target"].isna() & ~f["milestone"]
    errors = errors.where(~missing_target | (errors != ""), "Target is empty")
    raw = raw.fillna(0.0).where(f["value"].notna() | f["milestone"], 0.0)
    expected = _expected(f, job, cycle, now)
    status = _status(raw, expected, errors, job)
    note = _kr_notes(f, raw, expected, errors, status)
    return f.assign(start=start, progress=raw, clamped=raw.clip(0, 1), expected=expected,
                    status=status, note=note, error=errors)


def _expected(f: pd.DataFrame, job: Job, cycle: Cycle, now: dt.datetime) -> pd.Series:
    """The elapsed share of the cycle up to the due date, times the key result's pace."""
    start = pd.Timestamp(cycle.start)
    due = f["due"].fillna(pd.Timestamp(cycle.end)) + pd.Timedelta(days=1)
    elapsed = (pd.Timestamp(now.replace(tzinfo=None)) - start) / (due - start)
    pace = np.where(f["kind"] == "committed", 1.0, job.okr.aspirational_pace)
    return (elapsed.clip(0, 1) * pace).astype("float64")


def _status(progress: pd.Series, expected: pd.Series, errors: pd.Series, job: Job) -> pd.Series:
    return pd.Series(np.select(
        [errors != "", progress >= 1, progress >= expected - job.okr.on_track_margin,
         progress >= expected - job.okr.at_risk_margin],
        [st.ERROR, st.DONE, st.ON_TRACK, st.AT_RISK], default=st.OFF_TRACK),
        index=progress.index, dtype=object)


def _kr_notes(f: pd.DataFrame, progress: pd.Series, expected: pd.Series, errors: pd.Series,
              status: pd.Series) -> pd.Series:
    text = (progress.map("{:.0%}".format) + " done, " + expected.map("{:.0%}".format)
            + " expected by now")
    text = text.where(f["value"].notna() | f["milestone"], "no current value yet; " + text)
    return text.where(status != st.ERROR, errors)


def _objectives(krs: pd.DataFrame, job: Job) -> pd.DataFrame:
    """Weighted means over each objective's readable key results."""
    ok = krs[krs["status"] != st.ERROR]
    w = ok["weight"].clip(lower=0)
    sums = pd.DataFrame({"objective": ok["objective"], "w": w, "p": ok["clamped"] * w,
                         "e": ok["expected"] * w}).groupby("objective", sort=False).sum()
    order = krs.groupby("objective", sort=False).agg(
        row=("objective", lambda s: int(s.index[0])), count=("objective", "size"),
        errors=("status", lambda s: int((s == st.ERROR).sum())))
    out = order.join(sums, how="left")
    denom = out["w"].where(out["w"] > 0)
    out["progress"] = (out["p"] / denom).fillna(0.0)
    out["expected"] = (out["e"] / denom).fillna(0.0)
    all_errors = out["errors"] == out["count"]
    out["status"] = _status(out["progress"], out["expected"],
                            pd.Series(np.where(all_errors, "x", ""), index=out.index), job)
    note = (out["progress"].map("{:.0%}".format) + " done, " + out["expected"].map(
        "{:.0%}".format) + " expected by now")
    skipped = out["errors"].map(lambda n: f"; {n} key result(s) left out: ERROR" if n else "")
    out["note"] = np.where(all_errors, "every key result is ERROR", note + skipped)
    return out.reset_index()[["objective", "row", "count", "progress", "expected", "status",
                              "note"]]
