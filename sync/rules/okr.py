"""OKR rules: key-result progress, pace, status, the objective roll-up and the final score.

Pure functions of (key-result rows, KPI values and directions, now, config): no I/O, no
clock. Every step is a whole-column operation; Python loops run only over unreadable
cells (to word their notes) and over objectives (to word theirs). The rules are written
out for users in docs/okr-rules.md; the short version:

* progress = (current - start) / (target - start), for increasing and decreasing key
  results alike; shown raw (may exceed 100 %), clamped to 0..1 for the roll-up;
* a milestone (Yes/No, Done, TRUE/FALSE, a checkbox, ✓/✗, 1/0) is 0 or 1;
* a "maintain" key result (start equal to target) is 1 while the current value is at or
  better than the target, else 0; "better" is the linked KPI's direction, else higher;
* an empty start is 0, unless the key result looks decreasing: then it is an ERROR;
* expected = the elapsed share of cycle start .. due, times the pace (1.0 committed,
  ``aspirational_pace`` aspirational); after the cycle, the score is the clamped progress
  to one decimal and the status follows Google's bands.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sync.cells import a1, is_flag_like, parse_dates, parse_flags, parse_numbers
from sync.config import Job
from sync.rules import status as st

EPS = 1e-9  # a figure exactly on a boundary (progress 1.0, expected - margin) counts as reaching it
KINDS: Mapping[str, str] = {"committed": "committed", "aspirational": "aspirational",
                            "stretch": "aspirational", "": "aspirational"}
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


def evaluate_okrs(krs: pd.DataFrame, kpi_values: Mapping[str, float], now: dt.datetime,
                  job: Job, positions: Mapping[str, int], *,
                  kpi_directions: Mapping[str, str] | None = None) -> OkrResult:
    """Progress, expected progress, status (and, after the cycle, score) of every key result
    and objective. ``kpi_values`` and ``kpi_directions`` (``higher``/``lower``) are keyed by
    KPI name (matched ignoring case and spacing); ``positions`` are the tab's 1-based
    columns, so that a note can name the cell to fix."""
    cycle = cycle_for(job, now)
    local = now.astimezone(job.tz)
    notes = _Notes(krs.index, positions, job.columns)
    kpis = _Kpis({_name_key(k): v for k, v in kpi_values.items()},
                 {_name_key(k): v for k, v in (kpi_directions or {}).items()})
    frame = _progress(_read(krs, notes, kpis, job, cycle), notes)
    frame = _judge(frame, notes.errors.reindex(frame.index), job, cycle, local)
    ended = cycle.ended(local.date())
    return OkrResult(frame, _objectives(frame, job, ended), ended)


@dataclass(frozen=True)
class _Kpis:
    """What a key result may take from the KPIs tab, by case-folded KPI name."""

    values: Mapping[str, float]
    directions: Mapping[str, str]


# -- reading the cells ------------------------------------------------------------------------


def _read(krs: pd.DataFrame, notes: _Notes, kpis: _Kpis, job: Job,
          cycle: Cycle) -> pd.DataFrame:
    """The key-result rows with every cell read; unreadable cells noted, row by row."""
    col = _columns(krs)
    objective, key_result, keep = _layout(col, notes)
    milestone = is_flag_like(col("current")) | is_flag_like(col("target")) | is_flag_like(
        col("start"))
    linked = col("kpi").map(_text)
    value, higher = _current(col, notes, milestone, kpis, job)
    weight = notes.numbers(col("weight"), "weight", job)
    notes.add(weight < 0, "weight", "expected zero or more", col("weight"))
    due = parse_dates(col("due"))
    notes.add(due["error"].notna(), "due", due["error"], col("due"))
    due_date = due["value"].dt.normalize()
    notes.add(due_date < pd.Timestamp(cycle.start), "due",
              f"before the cycle starts ({cycle.start})", col("due"))
    kind_text = col("kind").map(_text)
    kind = kind_text.str.casefold().map(KINDS)
    notes.add(kind.isna(), "kind", "expected committed or aspirational", col("kind"))
    frame = pd.DataFrame({
        "objective": objective.fillna(""), "key_result": key_result,
        "owner": col("owner").map(_text), "confidence": col("confidence").map(_shown),
        "kind": kind.fillna("aspirational"),
        "start": notes.numbers(col("start").where(~milestone), "start", job),
        "target": notes.numbers(col("target").where(~milestone), "target", job),
        "value": value, "milestone": milestone, "kpi": linked, "higher": higher,
        "weight": weight.fillna(1.0).clip(lower=0), "due": due_date,
    }, index=krs.index)
    return frame[keep]


def _layout(col: Callable[[str], pd.Series], notes: _Notes) -> tuple[
        pd.Series, pd.Series, pd.Series]:
    """Objectives filled down (blank or merged cells), and which rows are key results.

    A row with an objective and no key result is the objective's heading: skipped, as is a
    row with neither and no figures (user notes). A key result with no objective above it,
    a nameless row with figures and a key result repeated within its objective are ERRORs.
    """
    own = col("objective").map(_text)
    objective = own.where(own != "").ffill()
    key_result = col("key_result").map(_text)
    figures = pd.concat([col(c).map(_text) != "" for c in FIGURES], axis=1).any(axis=1)
    nameless = (key_result == "") & (own == "") & figures
    keep = (key_result != "") | nameless
    notes.add(keep & objective.isna(), "key_result", "no objective above it",
              col("key_result"))
    notes.add(nameless, "key_result", "empty, but the row has figures: name the key result",
              None)
    named = keep & (key_result != "") & objective.notna()
    key = objective.str.casefold() + "\n" + key_result.str.casefold()
    first = pd.Series(key.index, index=key.index)[named].groupby(key[named]).transform("first")
    repeated = named & (first.reindex(key.index) != key.index)
    notes.add(repeated, "key_result", "also on row " + first.reindex(key.index).map(
        lambda r: "" if pd.isna(r) else str(int(r))) + " of the same objective",
              col("key_result"))
    return objective, key_result, keep


def _current(col: Callable[[str], pd.Series], notes: _Notes, milestone: pd.Series,
             kpis: _Kpis, job: Job) -> tuple[pd.Series, pd.Series]:
    """The current value (typed, a milestone's 0/1, or the linked KPI's) and whether higher is
    better (the linked KPI's direction, else higher)."""
    linked = col("kpi").map(_text)
    raw = col("current").where(linked == "")
    numbers = notes.numbers(raw.where(~milestone), "current", job)
    flags = parse_flags(raw.where(milestone))
    notes.add(flags["error"].notna() & milestone, "current", flags["error"], raw)
    value = numbers.where(~milestone, flags["value"].astype("float64"))
    key = linked.map(_name_key)
    notes.add((linked != "") & ~key.isin(list(kpis.values)), "kpi",
              "no such KPI on the KPIs tab", col("kpi"))
    from_kpi = key.map(lambda k: kpis.values.get(k, np.nan)).astype("float64")
    value = value.where(linked == "", from_kpi)
    higher = key.map(lambda k: kpis.directions.get(k, "") != "lower").astype(bool)
    return value, higher


# -- progress, pace and status ----------------------------------------------------------------


def _progress(f: pd.DataFrame, notes: _Notes) -> pd.DataFrame:
    """Raw progress; ``maintain`` marks start == target. An empty start is 0 unless the key
    result looks decreasing (its KPI is lower-is-better, the target is 0 or below, or the
    current value is past the target), which is an ERROR: it cannot be told from the sheet."""
    numeric = ~f["milestone"]
    no_start = numeric & f["start"].isna()
    decreasing = no_start & f["target"].notna() & (
        ~f["higher"] | (f["target"] <= 0) | (f["value"] > f["target"]))
    notes.add(decreasing, "start", "empty, and the key result looks decreasing (target below "
              "its current value or its KPI's direction): fill in Start", None)
    notes.add(numeric & f["target"].isna(), "target", "empty: a key result needs a target",
              None)
    start = f["start"].where(~no_start, 0.0).where(numeric)
    span = f["target"] - start
    maintain = numeric & f["start"].notna() & (span == 0)
    held = f["value"].where(f["higher"]) >= f["target"]
    held |= f["value"].where(~f["higher"]) <= f["target"]
    raw = ((f["value"] - start) / span.where(span != 0)).where(numeric & ~maintain, f["value"])
    raw = raw.where(~maintain, held.astype("float64"))
    return f.assign(start=start, maintain=maintain, progress=raw.fillna(0.0),
                    clamped=raw.fillna(0.0).clip(0.0, 1.0))


def _judge(f: pd.DataFrame, errors: pd.Series, job: Job, cycle: Cycle,
           now: dt.datetime) -> pd.DataFrame:
    """Expected progress and status; after the cycle, the score and its band instead."""
    ended = cycle.ended(now.date())
    elapsed = _elapsed(f["due"], cycle, now)
    pace = pd.Series(np.where(f["kind"] == "committed", 1.0, job.okr.aspirational_pace),
                     index=f.index)
    expected = (elapsed * pace).where(~f["maintain"], pace)
    if ended:
        score = _score(f["clamped"])
        status = _banded(score, errors != "")
    else:
        score = pd.Series(np.nan, index=f.index)
        status = _paced(f["progress"], expected, errors != "", job)
        held = f["progress"] >= 1
        status = status.where(~f["maintain"], np.select(
            [errors != "", held & (elapsed >= 1), held], [st.ERROR, st.DONE, st.ON_TRACK],
            default=st.OFF_TRACK))
    f = f.assign(expected=expected, score=score, status=status, error=errors)
    return f.assign(note=_kr_notes(f))


def _elapsed(due: pd.Series, cycle: Cycle, now: dt.datetime) -> pd.Series:
    """The share of cycle start .. due (inclusive; default the cycle's end) gone by ``now``."""
    start = pd.Timestamp(cycle.start)
    until = due.fillna(pd.Timestamp(cycle.end)) + pd.Timedelta(days=1)
    gone = (pd.Timestamp(now.replace(tzinfo=None)) - start) / (until - start)
    return gone.clip(0.0, 1.0).astype("float64")


def _paced(progress: pd.Series, expected: pd.Series, error: pd.Series, job: Job) -> pd.Series:
    """SPEC §3: DONE at 100 %, else ON TRACK / AT RISK / OFF TRACK by the margin behind pace."""
    return pd.Series(np.select(
        [error, progress >= 1 - EPS, progress >= expected - job.okr.on_track_margin - EPS,
         progress >= expected - job.okr.at_risk_margin - EPS],
        [st.ERROR, st.DONE, st.ON_TRACK, st.AT_RISK], default=st.OFF_TRACK),
        index=progress.index, dtype=object)


def _score(clamped: pd.Series) -> pd.Series:
    """Google grades in tenths: the clamped progress rounded half up (0.65 -> 0.7)."""
    return pd.Series(np.floor(clamped.to_numpy() * 10 + 0.5 + EPS) / 10, index=clamped.index)


def _banded(score: pd.Series, error: pd.Series) -> pd.Series:
    """After the cycle: 1.0 DONE, 0.7-0.9 ON TRACK (green), 0.4-0.6 AT RISK (yellow),
    0.0-0.3 OFF TRACK (red)."""
    return pd.Series(np.select(
        [error, score >= 1, score >= GREEN_BAND - EPS, score >= YELLOW_BAND - EPS],
        [st.ERROR, st.DONE, st.ON_TRACK, st.AT_RISK], default=st.OFF_TRACK),
        index=score.index, dtype=object)


# -- notes ------------------------------------------------------------------------------------


def _kr_notes(f: pd.DataFrame) -> pd.Series:
    """What a manager needs beside the progress bar: the figures, the due date, the score."""
    value = f["value"].map(_figure)
    has = f["value"].notna()
    numeric = value + " (from " + f["start"].map(_figure) + " to " + f["target"].map(
        _figure) + ")"
    kept = np.where(f["higher"], "at or above ", "at or below ")
    maintain = value + np.where(f["progress"] >= 1, ", held ", ", not held ") + kept + f[
        "target"].map(_figure)
    text = pd.Series(np.select(
        [f["milestone"] & has, f["maintain"] & has, has],
        [np.where(f["value"] >= 1, "done", "not done yet"), maintain, numeric],
        default="no current value yet"), index=f.index, dtype=object)
    linked = f["kpi"] != ""
    text = text.where(~linked, text.where(~has, "KPI " + f["kpi"] + ": " + text).where(
        has, "KPI " + f["kpi"] + " has no current value yet"))
    due = f["due"].map(lambda d: "" if pd.isna(d) else f"; due {d:%Y-%m-%d}")
    score = f["score"].map(lambda s: "" if pd.isna(s) else f"; final score {s:.1f}")
    return (text + due + score).where(f["status"] != st.ERROR, f["error"])


def _objectives(krs: pd.DataFrame, job: Job, ended: bool) -> pd.DataFrame:
    """Weighted means over each objective's readable key results (clamped progress).

    ERROR key results are left out (and named in the note); if every remaining weight is 0
    the key results count equally. DONE only when every readable key result is DONE.
    """
    named = krs[krs["objective"] != ""]
    ok = named["status"] != st.ERROR
    w = named["weight"].where(ok, 0.0)
    g = pd.DataFrame({
        "objective": named["objective"], "row": named.index, "one": 1, "w": w,
        "ok": ok.astype(int), "p": named["clamped"] * w, "e": named["expected"] * w,
        "p1": named["clamped"].where(ok, 0.0), "e1": named["expected"].where(ok, 0.0),
        "not_done": (ok & (named["status"] != st.DONE)).astype(int),
    }).groupby("objective", sort=False).agg(
        row=("row", "first"), count=("one", "sum"), readable=("ok", "sum"), w=("w", "sum"),
        p=("p", "sum"), e=("e", "sum"), p1=("p1", "sum"), e1=("e1", "sum"),
        not_done=("not_done", "sum"))
    weighted = g["w"] > 0
    n = g["readable"].where(g["readable"] > 0)
    progress = (g["p"] / g["w"]).where(weighted, g["p1"] / n).fillna(0.0)
    expected = (g["e"] / g["w"]).where(weighted, g["e1"] / n).fillna(0.0)
    none_ok = g["readable"] == 0
    if ended:
        score = _score(progress)
        status = _banded(score, none_ok)
    else:
        score = pd.Series(np.nan, index=g.index)
        status = _paced(progress, expected, none_ok, job)
        status = status.where((status != st.DONE) | (g["not_done"] == 0), st.ON_TRACK)
    out = pd.DataFrame({"objective": g.index, "row": g["row"].astype(int),
                        "count": g["count"].astype(int),
                        "errors": (g["count"] - g["readable"]).astype(int),
                        "progress": progress, "expected": expected, "score": score,
                        "status": status}).reset_index(drop=True)
    return out.assign(note=_objective_notes(out, named))


def _objective_notes(objs: pd.DataFrame, krs: pd.DataFrame) -> list[str]:
    """One line per objective: key results left out, the final score, the weakest link."""
    ranked = krs.assign(_rank=krs["status"].map(lambda s: st.rank(st.OKR_ORDER, s)))
    worst = ranked[ranked["status"] != st.ERROR].sort_values("_rank", kind="stable")
    weakest = worst.groupby("objective", sort=False).first()
    left_out = krs[krs["status"] == st.ERROR].groupby("objective", sort=False)["key_result"].agg(
        lambda names: ", ".join(n or "(unnamed)" for n in names))
    notes: list[str] = []
    for o in objs.to_dict("records"):
        notes.append(_objective_note({str(k): v for k, v in o.items()}, weakest, left_out))
    return notes


def _objective_note(o: Mapping[str, Any], weakest: pd.DataFrame, left_out: pd.Series) -> str:
    name, count, errors = o["objective"], int(o["count"]), int(o["errors"])
    names = str(left_out.get(name, ""))
    parts: list[str] = []
    if errors == count:
        return f"every key result is ERROR, nothing to roll up: {names}"
    if errors:
        parts.append(f"{errors} of {count} key results left out of the roll-up (ERROR): {names}")
    if not pd.isna(o["score"]):
        parts.append(f"final score {o['score']:.1f}")
    if name in weakest.index:
        kr, status = str(weakest.at[name, "key_result"]), str(weakest.at[name, "status"])
        if status in (st.OFF_TRACK, st.AT_RISK):
            parts.append(f"weakest: {kr} ({status})")
    return "; ".join(parts) or f"{count} key result{'s' if count != 1 else ''}"


# -- cells and their notes --------------------------------------------------------------------


def _columns(frame: pd.DataFrame) -> Callable[[str], pd.Series]:
    """A column's raw cells by id, or an all-empty column when the tab lacks it."""
    def get(column_id: str) -> pd.Series:
        if column_id in frame.columns:
            return frame[column_id]
        return pd.Series(None, index=frame.index, dtype=object)
    return get


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _name_key(name: object) -> str:
    """KPI names match case-insensitively, ignoring surrounding and repeated spaces."""
    return " ".join(_text(name).split()).casefold()


def _shown(value: object) -> str:
    """A user's cell as they typed it: ``7`` not ``7.0``; text as is."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def _figure(value: float) -> str:
    """A key result's figure, compactly: ``12``, ``0.35``, ``1,200``, ``0.9995``."""
    if np.isnan(value):
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"


class _Notes:
    """Per-row ERROR notes that name the cell to fix: ``Current F7 'about 30': not a number``."""

    def __init__(self, index: pd.Index, positions: Mapping[str, int],
                 headers: Mapping[str, str]) -> None:
        self.positions, self.headers = positions, headers
        self.errors = pd.Series("", index=index, dtype=object)

    def numbers(self, raw: pd.Series, column_id: str, job: Job) -> pd.Series:
        parsed = parse_numbers(raw, decimal_comma=job.kpi.decimal_comma)
        self.add(parsed["error"].notna(), column_id, parsed["error"], raw)
        return parsed["value"].astype("float64")

    def add(self, mask: pd.Series, column_id: str, why: str | pd.Series,
            raw: pd.Series | None) -> None:
        """Note ``why`` on every row of ``mask``; only those rows are looped over."""
        rows = mask.index[mask.fillna(False).to_numpy(dtype=bool)]
        if rows.empty:
            return
        header = self.headers.get(column_id, column_id)
        reasons = why.reindex(rows) if isinstance(why, pd.Series) else pd.Series(why, index=rows)
        texts = [f"{header} {self._cell(column_id, int(r))}"
                 f"{'' if raw is None else ' ' + _quoted(raw.at[r])}: {reason}"
                 for r, reason in zip(rows, reasons, strict=True)]
        notes = pd.Series(texts, index=rows, dtype=object)
        old = self.errors.reindex(rows)
        self.errors.loc[rows] = np.where(old == "", notes, old + "; " + notes)

    def _cell(self, column_id: str, row: int) -> str:
        pos = self.positions.get(column_id)
        return a1(row, pos) if pos else f"row {row}"


def _quoted(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "(empty)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dt.datetime) and value == dt.datetime.combine(value.date(), dt.time()):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _shown(value)
