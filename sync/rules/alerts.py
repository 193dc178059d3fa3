"""The alert decision: compare what a row is now with what was last mailed (SPEC §5).

Two records live in the workbook, as in Alertmanager: the current state (``Status``,
``Since``) and what was last notified (``Last alert``). Deciding is a pure function of
them, the new status, ``now`` and the config; sending and recording happen at the edge,
and the mailed part of ``Last alert`` changes only for mails the server accepted.

``Last alert`` holds up to three clauses, separated by ``; `` (docs/alerts.md)::

    CRITICAL 2026-11-20 08:00+00:00   the status last mailed, and when
    eased to WARNING                  since that mail the row fell back to a lower alerting
                                      status: a return to CRITICAL is news again
    pending 2 of 3 runs               [alerts] pending_runs: worse than what was told for 2
                                      consecutive runs; mailed at 3

The *level told* is the severity of the status mailed, lowered by ``eased to``. A row is
*breaching* when it is in an alerting status above that level; it is mailed once it has
breached for ``pending_runs`` consecutive runs (1: at once). While the row stays alerting a
reminder goes every ``repeat_after``; when it returns to a real value within bounds a
"resolved" mail goes, only if the breach had been mailed. Missing or unreadable data
(``STALE``, ``NO DATA``, ``ERROR``) neither resolves an alert nor eases its level. A muted
row gets no mail of any kind, but its statuses, pending count and level keep moving, so
whatever is still owed goes out on the first run after the mute.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Collection

import numpy as np
import pandas as pd

from sync.config import AlertsConfig
from sync.rules import status as st
from sync.stamps import parse_last_alerts, stamp

# Statuses that are a real value back within bounds: only these resolve a firing alert.
RECOVERED = frozenset({st.OK, st.NO_THRESHOLD, st.ON_TRACK, st.DONE, st.AT_RISK})
# Statuses that say nothing about the value: they never resolve an alert or ease its level.
NO_INFORMATION = frozenset({st.STALE, st.NO_DATA, st.ERROR})

REASONS = ("new", "worse", "repeat", "resolved")
_MAILED = r"(?:^|;)\s*(?P<mailed>[A-Za-z][A-Za-z ]*?\s+\d{4}-\d\d-\d\d[^;]*)"
_EASED = r"(?i:eased\s+to)\s+(?P<eased>[A-Za-z][A-Za-z ]*?)\s*(?:;|$)"
_PENDING = r"(?i:pending)\s+(?P<pending>\d+)"


def parse_records(cells: pd.Series, tz: zoneinfo.ZoneInfo) -> pd.DataFrame:
    """``Last alert`` cells as columns: ``mailed`` ("" if none), ``when`` (UTC or NaT),
    ``eased`` ("" if none) and ``pending`` (int). Unreadable text reads as nothing told."""
    text = cells.map(_text).astype(object)
    mailed = parse_last_alerts(text.str.extract(_MAILED)["mailed"].fillna(""), tz)
    eased = text.str.extract(_EASED)["eased"].fillna("").str.upper().str.strip()
    pending = pd.to_numeric(text.str.extract(_PENDING)["pending"], errors="coerce")
    return pd.DataFrame({
        "mailed": mailed["status"].astype(object), "when": mailed["when"],
        "eased": eased.astype(object), "pending": pending.fillna(0).astype("int64"),
    }, index=cells.index)


def render_records(records: pd.DataFrame, pending_runs: int, tz: zoneinfo.ZoneInfo) -> pd.Series:
    """The ``Last alert`` text of each record (the inverse of ``parse_records``)."""
    if records.empty:
        return pd.Series("", index=records.index, dtype=object)
    mailed = records["mailed"].where(records["mailed"].ne("") & records["when"].notna(), "")
    when = records["when"].map(lambda t: "" if pd.isna(t) else stamp(t.to_pydatetime(), tz))
    parts = pd.DataFrame({
        "mailed": (mailed + " " + when).where(mailed.ne(""), ""),
        "eased": ("eased to " + records["eased"]).where(records["eased"].ne(""), ""),
        "pending": ("pending " + records["pending"].astype(str) + f" of {pending_runs} runs")
        .where((records["pending"] > 0) & (pending_runs > 1), ""),
    }, index=records.index)
    text = parts["mailed"]
    for clause in (parts["eased"], parts["pending"]):
        text = text.where(clause.eq(""), text.where(text.eq(""), text + "; ") + clause)
    return text.astype(object)


def decide(state: pd.DataFrame, now: dt.datetime, cfg: AlertsConfig,
           alerting: Collection[str]) -> pd.DataFrame:
    """Which rows to mail and why, and the alert state to keep when nothing is mailed.

    ``state`` has, per row: ``status`` (now), ``previous`` (the ``Status`` cell read),
    ``since`` (UTC or NaT), the parsed ``Last alert`` (``mailed``, ``when``, ``eased``,
    ``pending``) and ``muted`` (bool). Returns ``reason`` ("" for no mail, else one of
    ``REASONS``), ``since`` (when the current status began), and ``eased`` / ``pending``:
    the record's new clauses if no mail goes out (a mail clears both).
    """
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    alerting = list(alerting)
    new, told = state["status"].astype(object), state["mailed"].fillna("").astype(object)
    firing, told_firing = new.isin(alerting), told.isin(alerting)
    sev, told_sev = _severity(new), _severity(told)
    eased = state["eased"].fillna("").astype(object).where(told_firing, "")
    eased = eased.where(eased.isin(alerting) & (_severity(eased) < told_sev), "")
    level = told_sev.where(eased.eq(""), _severity(eased)).where(told_firing, 0)
    breaching = firing & (sev > level)
    streak = (state["pending"].fillna(0).astype("int64") + 1).clip(upper=cfg.pending_runs)
    streak = streak.where(breaching, 0)
    confirmed = breaching & (streak >= cfg.pending_runs)
    elapsed = now_ts - state["when"]
    repeat_due = firing & told_firing & (elapsed.isna() | (elapsed >= pd.Timedelta(
        cfg.repeat_after)))
    resolved = ~firing & told_firing & new.isin(list(RECOVERED))
    mail = confirmed | (repeat_due & breaching)
    reason = pd.Series(np.select(
        [resolved, mail & ~told_firing, mail, repeat_due], ["resolved", "new", "worse", "repeat"],
        default=""), index=state.index, dtype=object)
    reason = reason.where(~state["muted"].fillna(False).astype(bool), "")
    eases = firing & told_firing & ~new.isin(list(NO_INFORMATION)) & (sev < level)
    return pd.DataFrame({
        "reason": reason,
        "since": state["since"].where((new == state["previous"]) & state["since"].notna(),
                                      now_ts),
        "told": told.where(told_firing, ""),
        "eased": new.where(eases, eased),
        "pending": streak,
    }, index=state.index)


def next_records(state: pd.DataFrame, decided: pd.DataFrame, delivered: pd.Series, *,
                 now: dt.datetime, cfg: AlertsConfig, tz: zoneinfo.ZoneInfo) -> pd.Series:
    """The ``Last alert`` text to write per row, or None to leave the cell as it is.

    A mail the server accepted (``delivered``) becomes the new record; a mail not accepted
    leaves the cell untouched, so the next run decides the same and retries it; a row not
    mailed keeps what was mailed, with its new ``eased`` and ``pending`` clauses.
    """
    mailed = decided["reason"].ne("")
    sent = pd.DataFrame({
        "mailed": state["status"], "when": pd.Timestamp(now).tz_convert("UTC"),
        "eased": "", "pending": 0}, index=state.index)
    kept = pd.DataFrame({
        "mailed": state["mailed"], "when": state["when"],
        "eased": decided["eased"], "pending": decided["pending"]}, index=state.index)
    moved = kept["eased"].ne(state["eased"].fillna("")) | kept["pending"].ne(state["pending"])
    out = pd.Series(None, index=state.index, dtype=object)
    if (done := mailed & delivered).any():
        out[done] = render_records(sent[done], cfg.pending_runs, tz)
    if (keep := ~mailed & moved).any():
        out[keep] = render_records(kept[keep], cfg.pending_runs, tz)
    return out


def recipients(owners: pd.Series, default: tuple[str, ...]) -> pd.Series:
    """A row's ``Owner`` addresses (comma or semicolon separated), else the default list."""
    split = owners.fillna("").astype(str).str.replace(";", ",").str.split(",")
    cleaned = split.map(lambda parts: tuple(p.strip() for p in parts if "@" in p))
    return cleaned.map(lambda found: found or default)


def _severity(statuses: pd.Series) -> pd.Series:
    return statuses.map(st.SEVERITY).fillna(0).astype("int64")


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()
