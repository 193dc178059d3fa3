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
import re
import zoneinfo
from collections.abc import Collection

import numpy as np
import numpy.typing as npt
import pandas as pd

from sync.cells import cell_text, cell_texts
from sync.config import AlertsConfig
from sync.rules import status as st
from sync.stamps import parse_stamps, stamp

# Statuses that are a real value back within bounds: only these resolve a firing alert.
RECOVERED = frozenset({st.OK, st.NO_THRESHOLD, st.ON_TRACK, st.DONE, st.AT_RISK})
# Statuses that say nothing about the value: they never resolve an alert or ease its level.
NO_INFORMATION = frozenset({st.STALE, st.NO_DATA, st.ERROR})

REASONS = ("new", "worse", "repeat", "resolved")
_MAILED = re.compile(r"^(?P<status>[A-Za-z][A-Za-z ]*?)\s+(?P<when>\d{4}-\d\d-\d\d.*)$")
_EASED = re.compile(r"^eased\s+to\s+(?P<status>[A-Za-z][A-Za-z ]*?)$", re.IGNORECASE)
_PENDING = re.compile(r"^pending\s+(?P<n>\d+)\b", re.IGNORECASE)
_LABEL = r"[^@\s<>()\[\],;:\"'.]+"  # a piece of a domain name
_CHANNEL = re.compile(r"(?<![\w&#/])#([A-Za-z0-9][A-Za-z0-9_.-]{0,63})")  # #ops in an Owner
_ADDRESS = re.compile(rf'[^@\s<>()\[\],;:"]+@{_LABEL}(?:\.{_LABEL})+')  # as Owner cells hold them


def read_state(
    status: pd.Series, cells: pd.DataFrame, *, muted: pd.Series, tz: zoneinfo.ZoneInfo
) -> pd.DataFrame:
    """The frame ``decide`` takes: each row's new ``status`` beside its ``cells`` as read
    (columns ``status``, ``since``, ``last_alert``: the raw values of those columns)."""
    previous = [cell_text(v).upper() for v in cells["status"].to_numpy()]
    return pd.DataFrame(
        {
            "status": status.astype(object),
            "previous": pd.Series(previous, index=status.index, dtype=object),
            "since": parse_stamps(cells["since"], tz),
            **parse_records(cells["last_alert"], tz),
            "muted": muted.fillna(False).astype(bool),
        },
        index=status.index,
    )


def parse_records(cells: pd.Series, tz: zoneinfo.ZoneInfo) -> pd.DataFrame:
    """``Last alert`` cells as columns: ``mailed`` ("" if none), ``when`` (UTC or NaT),
    ``eased`` ("" if none) and ``pending`` (int). Unreadable text reads as nothing told.

    Each distinct text is parsed once (a column holds few distinct values).
    """
    texts = pd.Series(cell_texts(cells.to_numpy()), index=cells.index, dtype=object)
    distinct = pd.unique(texts.to_numpy())
    parsed = pd.DataFrame(
        [_clauses(t) for t in distinct],
        columns=["mailed", "when", "eased", "pending"],
        dtype=object,
    )
    parsed["when"] = _instants(parsed["when"].tolist(), tz)
    at = pd.Index(distinct).get_indexer(pd.Index(texts))
    out = parsed.iloc[at].set_axis(cells.index)
    mailed = out["mailed"].where(out["when"].notna(), "")
    return pd.DataFrame(
        {
            "mailed": mailed.astype(object),
            "when": out["when"],
            "eased": out["eased"].astype(object),
            "pending": out["pending"].astype("int64"),
        },
        index=cells.index,
    )


def _clauses(text: str) -> tuple[str, str, str, int]:
    """One cell: (status mailed, its time as text, eased-to status, pending count)."""
    mailed, when, eased, pending = "", "", "", 0
    for clause in (c.strip() for c in text.split(";")):
        if m := _EASED.match(clause):
            eased = m["status"].strip().upper()
        elif m := _PENDING.match(clause):
            pending = int(m["n"])
        elif m := _MAILED.match(clause):
            mailed, when = m["status"].strip().upper(), m["when"]
    return mailed, when, eased, pending


def _instants(texts: list[str], tz: zoneinfo.ZoneInfo) -> pd.Series:
    """Stamps as UTC: the canonical ``2026-11-20 08:00+00:00`` directly, anything else as a
    person's text in the job's zone (``sync.stamps``)."""
    found = [_aware(t) for t in texts]
    out = pd.Series([pd.NaT if f is None else f for f in found], dtype="datetime64[ns, UTC]")
    other = [bool(t) and f is None for t, f in zip(texts, found, strict=True)]
    if any(other):
        typed = parse_stamps(
            pd.Series([t if o else "" for t, o in zip(texts, other, strict=True)], dtype=object), tz
        )
        out = out.where(out.notna(), typed)
    return out


def _aware(text: str) -> pd.Timestamp | None:
    try:
        moment = dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    try:
        return pd.Timestamp(moment).tz_convert("UTC").as_unit("ns")
    except pd.errors.OutOfBoundsDatetime:  # year 1 or 9999 typed by a person: not ours
        return None


def render_records(records: pd.DataFrame, pending_runs: int, tz: zoneinfo.ZoneInfo) -> pd.Series:
    """The ``Last alert`` text of each record (the inverse of ``parse_records``)."""
    texts = [
        _render(m, w, e, int(p), pending_runs=pending_runs, tz=tz)
        for m, w, e, p in zip(
            records["mailed"], records["when"], records["eased"], records["pending"], strict=True
        )
    ]
    return pd.Series(texts, index=records.index, dtype=object)


def _render(
    mailed: str,
    when: pd.Timestamp,
    eased: str,
    pending: int,
    *,
    pending_runs: int,
    tz: zoneinfo.ZoneInfo,
) -> str:
    clauses = []
    if mailed and not pd.isna(when):
        clauses.append(f"{mailed} {stamp(when, tz)}")
    if eased:
        clauses.append(f"eased to {eased}")
    if pending > 0 and pending_runs > 1:
        clauses.append(f"pending {pending} of {pending_runs} runs")
    return "; ".join(clauses)


def decide(
    state: pd.DataFrame, now: dt.datetime, cfg: AlertsConfig, alerting: Collection[str]
) -> pd.DataFrame:
    """Which rows to mail and why, and the alert state to keep when nothing is mailed.

    ``state`` has, per row: ``status`` (now), ``previous`` (the ``Status`` cell read),
    ``since`` (UTC or NaT), the parsed ``Last alert`` (``mailed``, ``when``, ``eased``,
    ``pending``) and ``muted`` (bool). Returns ``reason`` ("" for no mail, else one of
    ``REASONS``), ``since`` (when the current status began), ``told`` (the alerting status
    last mailed, or ""), and ``eased`` / ``pending``: the record's new clauses if no mail
    goes out (a mail clears both).
    """
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    firing_set = frozenset(alerting)
    new = state["status"].to_numpy(dtype=object)
    told = state["mailed"].fillna("").to_numpy(dtype=object)
    firing, told_firing = _member(new, firing_set), _member(told, firing_set)
    sev, told_sev = _severity(new), _severity(told)
    eased = state["eased"].fillna("").to_numpy(dtype=object)
    eased_sev = _severity(eased)
    eased_ok = told_firing & _member(eased, firing_set) & (eased_sev < told_sev)
    level = np.where(told_firing, np.where(eased_ok, eased_sev, told_sev), 0)
    breaching = firing & (sev > level)
    streak = np.where(
        breaching, np.minimum(state["pending"].to_numpy(dtype=np.int64) + 1, cfg.pending_runs), 0
    )
    elapsed = (now_ts - state["when"]).to_numpy(dtype="timedelta64[ns]")
    repeat_due = (
        firing & told_firing & (np.isnat(elapsed) | (elapsed >= np.timedelta64(cfg.repeat_after)))
    )
    mail = (breaching & (streak >= cfg.pending_runs)) | (repeat_due & breaching)
    resolved = ~firing & told_firing & _member(new, RECOVERED)
    reason = np.select(
        [resolved, mail & ~told_firing, mail, repeat_due],
        ["resolved", "new", "worse", "repeat"],
        default="",
    ).astype(object)
    reason[state["muted"].to_numpy(dtype=bool)] = ""
    eases = firing & told_firing & ~_member(new, NO_INFORMATION) & (sev < level)
    same = (new == state["previous"].to_numpy(dtype=object)) & state["since"].notna().to_numpy()
    return pd.DataFrame(
        {
            "reason": reason,
            "since": state["since"].where(same, now_ts),
            "told": np.where(told_firing, told, ""),
            "eased": np.where(eases, new, np.where(eased_ok, eased, "")),
            "pending": streak,
        },
        index=state.index,
    )


def next_records(
    state: pd.DataFrame,
    decided: pd.DataFrame,
    delivered: pd.Series,
    *,
    now: dt.datetime,
    cfg: AlertsConfig,
    tz: zoneinfo.ZoneInfo,
) -> pd.Series:
    """The ``Last alert`` text to write per row, or None to leave the cell as it is.

    A mail the server accepted (``delivered``) becomes the new record; a mail not accepted
    leaves the cell untouched, so the next run decides the same and retries it; a row not
    mailed keeps what was mailed, with its new ``eased`` and ``pending`` clauses.
    """
    mailed = decided["reason"].ne("")
    moved = decided["eased"].ne(state["eased"].fillna("")) | decided["pending"].ne(state["pending"])
    out = pd.Series([None] * len(state), index=state.index, dtype=object)
    if (done := mailed & delivered).any():
        sent = pd.DataFrame({"mailed": state["status"][done], "eased": "", "pending": 0})
        out[done] = render_records(
            sent.assign(when=pd.Timestamp(now).tz_convert("UTC")), cfg.pending_runs, tz
        )
    if (keep := ~mailed & moved).any():
        kept = pd.DataFrame(
            {
                "mailed": state["mailed"],
                "when": state["when"],
                "eased": decided["eased"],
                "pending": decided["pending"],
            }
        )
        out[keep] = render_records(kept[keep], cfg.pending_runs, tz)
    return out


def recipients(
    owners: pd.Series, default: tuple[str, ...], channels: Collection[str] = ()
) -> pd.Series:
    """A row's ``Owner`` addresses and ``#channels``, else the default list.

    The addresses are picked out of the cell, whatever separates them (commas, semicolons,
    line breaks) or surrounds them (``Sam <sam@example.com>``); text that holds none (``sam
    at example.com``, ``@``) leaves the row to the default list rather than to a mail that
    can never be delivered, and no line break of the cell can reach a mail header. A
    ``#name`` counts only where ``[channels]`` defines it: the sheet never names a URL.
    """

    def route(cell: str) -> tuple[str, ...]:
        found = _ADDRESS.findall(cell)
        found += [f"#{c}" for c in channels_named(cell) if c in channels]
        return tuple(dict.fromkeys(found)) or default

    return owners.fillna("").astype(str).map(route)


def channels_named(cell: str) -> list[str]:
    """The ``#ops`` names in an Owner cell, without the ``#``."""
    return [c.rstrip(".-") for c in _CHANNEL.findall(cell)]


def _severity(statuses: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    return np.fromiter(
        (st.SEVERITY.get(s, 0) for s in statuses), dtype=np.int64, count=len(statuses)
    )


def _member(values: npt.NDArray[np.object_], group: frozenset[str]) -> npt.NDArray[np.bool_]:
    return np.fromiter((v in group for v in values), dtype=bool, count=len(values))
