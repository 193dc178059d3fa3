"""The alert decision: compare what a row is now with what was last mailed.

Two records live in the workbook, as in Alertmanager: the current state (``Status``,
``Since``) and what was last notified (``Last alert``). ``decide_row`` is a pure function
of one row's state, ``now`` and the config; sending and recording happen at the edge, and
the mailed part of ``Last alert`` changes only for mails the server accepted. The rules,
and the ``Last alert`` clauses (``CRITICAL 2026-11-20 08:00+00:00; eased to WARNING;
pending 2 of 3 runs``), are explained in docs/alerts.md.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from sync.cells import cell_text
from sync.config import AlertsConfig
from sync.rules import status as st
from sync.stamps import parse_stamps, stamp

# Statuses that are a real value back within bounds: only these resolve a firing alert.
RECOVERED = frozenset({st.OK, st.NO_THRESHOLD, st.ON_TRACK, st.DONE, st.AT_RISK})
# Statuses that say nothing about the value: they never resolve an alert or ease its level.
NO_INFORMATION = frozenset({st.STALE, st.NO_DATA, st.ERROR})

REASONS = ("new", "worse", "repeat", "resolved")

# What a ``Last alert`` cell may hold: the sync writes under 80 characters and counts of a
# few runs; longer text or a longer count is not its record (and is never parsed further).
MAX_RECORD_CHARS = 200
MAX_COUNT_DIGITS = 6
_DATE = re.compile(r"\d{4}-\d\d-\d\d")  # matched against one word at a time

MAX_OWNERS = 25  # addresses mailed per row; any more are named in a note, not mailed
MAX_OWNER_CHARS = 100_000  # of an Owner cell, looked at for addresses
_LABEL = r"[^@\s<>()\[\],;:\"'.]+"  # a piece of a domain name
_CHANNEL = re.compile(r"(?<![\w&#/])#([A-Za-z0-9][A-Za-z0-9_.-]{0,63})")  # #ops in an Owner
_ADDRESS = re.compile(rf'[^@\s<>()\[\],;:"]+@{_LABEL}(?:\.{_LABEL})+')  # as Owner cells hold them


@dataclass(frozen=True)
class Record:
    """A ``Last alert`` cell as read: the status mailed and when ("" / None: nothing told),
    the ``eased to`` status ("" if none) and the ``pending`` count."""

    mailed: str = ""
    when: dt.datetime | None = None
    eased: str = ""
    pending: int = 0
    unreadable: str = ""  # why the cell could not be read: it counts as nothing told


@dataclass(frozen=True)
class RowState:
    """One row's alert state: its new ``status`` beside its cells as read."""

    status: str
    previous: str  # the Status cell, upper-cased
    since: dt.datetime | None  # the Since cell (None if unreadable)
    record: Record  # the Last alert cell
    muted: bool = False
    notes: tuple[tuple[str, str], ...] = ()  # (column id, why) of each cell not read: reset


@dataclass(frozen=True)
class Decision:
    """What a run does for one row: ``reason`` to mail ("" for none, else one of
    ``REASONS``), when its status began, the alerting status last mailed ("" if none), and
    the record's ``eased`` and ``pending`` clauses should no mail go out."""

    reason: str
    since: dt.datetime
    told: str
    eased: str
    pending: int


def decide_row(
    row: RowState, now: dt.datetime, cfg: AlertsConfig, alerting: Collection[str]
) -> Decision:
    """Whether one row mails, and why: the rules of docs/alerts.md, one at a time.

    The *level told* is the severity last mailed, lowered by ``eased to``; a row above it
    is breaching, and is mailed once it has breached for ``pending_runs`` runs.
    """
    since = row.since if row.status == row.previous and row.since is not None else now
    told = row.record.mailed if row.record.mailed in alerting else ""
    eased = _eased(row.record, told, alerting)
    level = st.SEVERITY.get(eased or told, 0)

    def decision(reason: str, eased: str = eased, pending: int = 0) -> Decision:
        return Decision("" if row.muted else reason, since, told, eased, pending)

    if row.status not in alerting:  # back within bounds, or no information
        return decision("resolved" if told and row.status in RECOVERED else "")
    severity = st.SEVERITY.get(row.status, 0)
    reminder_due = bool(told) and _reminder_due(row.record.when, now, cfg)
    if severity <= level:  # nothing worse than what was told
        if severity < level and row.status not in NO_INFORMATION:
            eased = row.status  # a real value, lower: a return to the level told is news
        return decision("repeat" if reminder_due else "", eased)
    streak = min(row.record.pending + 1, cfg.pending_runs)
    if streak < cfg.pending_runs and not reminder_due:  # worse, not yet for long enough
        return decision("", pending=streak)
    return decision("worse" if told else "new", pending=streak)


def _eased(record: Record, told: str, alerting: Collection[str]) -> str:
    """The record's ``eased to`` status, if it still lowers the level told."""
    lower = st.SEVERITY.get(record.eased, 0) < st.SEVERITY.get(told, 0)
    return record.eased if told and record.eased in alerting and lower else ""


def _reminder_due(when: dt.datetime | None, now: dt.datetime, cfg: AlertsConfig) -> bool:
    return when is None or now - when >= cfg.repeat_after


def next_record(
    row: RowState, decision: Decision, delivered: bool, now: dt.datetime
) -> Record | None:
    """The ``Last alert`` record to write, or None to leave the cell as it is.

    A mail the server accepted becomes the new record; a mail not accepted leaves the cell
    untouched, so the next run decides the same and retries it; a row not mailed keeps what
    was mailed, with its new ``eased`` and ``pending`` clauses. A cell that could not be
    read is rewritten in any case (to what it was read as: nothing told), so it is reset.
    """
    if decision.reason and delivered:
        return Record(row.status, now)
    kept = Record(row.record.mailed, row.record.when, decision.eased, decision.pending)
    if row.record.unreadable:
        return kept
    if decision.reason:  # not accepted: the next run decides the same and retries it
        return None
    unchanged = (decision.eased, decision.pending) == (row.record.eased, row.record.pending)
    return None if unchanged else kept


# -- the cells as read and written ------------------------------------------------------


def read_states(
    status: pd.Series,
    cells: pd.DataFrame,
    *,
    muted: pd.Series,
    now: dt.datetime,
    tz: zoneinfo.ZoneInfo,
) -> list[RowState]:
    """Each row's new ``status`` beside its ``cells`` as read (columns ``status``, ``since``,
    ``last_alert``: the raw values of those columns). A ``Since`` or ``Last alert`` the sync
    cannot read (not its text, or a time after ``now``) reads as nothing, with a note."""
    since = _since(cells["since"], now, tz)
    records = parse_records(cells["last_alert"], tz, now)
    notes = [
        tuple(
            (cid, f"{why}; reset (read as {read_as})")
            for cid, why, read_as in (
                ("since", why_not, "a status that begins now"),
                ("last_alert", r.unreadable, "nothing mailed"),
            )
            if why
        )
        for (_, why_not), r in zip(since, records, strict=True)
    ]
    return [
        RowState(str(s), cell_text(p).upper(), t, r, bool(m), n)
        for s, p, (t, _), r, m, n in zip(
            status.tolist(),
            cells["status"].tolist(),
            since,
            records,
            muted.fillna(False).astype(bool).tolist(),
            notes,
            strict=True,
        )
    ]


def _since(
    cells: pd.Series, now: dt.datetime, tz: zoneinfo.ZoneInfo
) -> list[tuple[dt.datetime | None, str]]:
    """Each ``Since`` cell as a time, or None with why ("" for a blank cell)."""
    parsed = parse_stamps(cells, tz)
    out: list[tuple[dt.datetime | None, str]] = []
    for raw, t, future in zip(
        cells.tolist(), parsed.tolist(), (parsed > now).tolist(), strict=True
    ):
        if pd.isna(t):
            text = cell_text(raw)
            out.append((None, f"{_shown(text)} is not a time" if text else ""))
        elif future:
            out.append((None, f"{_shown(cell_text(raw))} is a time in the future"))
        else:
            out.append((t, ""))
    return out


def parse_records(cells: pd.Series, tz: zoneinfo.ZoneInfo, now: dt.datetime) -> list[Record]:
    """``Last alert`` cells as records; text the sync cannot read (``Record.unreadable``)
    counts as nothing told. In linear time: a cell is split on ``;`` and spaces, never
    searched by a pattern, and only its first ``MAX_RECORD_CHARS`` are looked at.

    Each distinct text is parsed once (a column holds few distinct values).
    """
    texts = [cell_text(v) for v in cells.tolist()]
    distinct = list(dict.fromkeys(texts))
    read = [_clauses(t) for t in distinct]
    instants = _instants([r[1] if isinstance(r, tuple) else "" for r in read], tz)
    parsed = {
        text: _record(r, when, now) for text, r, when in zip(distinct, read, instants, strict=True)
    }
    return [parsed[t] for t in texts]


def _record(
    read: tuple[str, str, str, int] | str, when: dt.datetime | None, now: dt.datetime
) -> Record:
    if isinstance(read, str):
        return Record(unreadable=read)
    mailed, when_text, eased, pending = read
    if when_text and when is None:
        return Record(unreadable=f"{_shown(when_text)} is not a time")
    if when is not None and when > now:
        return Record(unreadable=f"{_shown(when_text)} is a time in the future")
    return Record(mailed, when, eased, pending)


def _clauses(text: str) -> tuple[str, str, str, int] | str:
    """One cell: (status mailed, its time as text, eased-to status, pending count), or why
    it is not a record the sync wrote (or a person could have typed in its place)."""
    if len(text) > MAX_RECORD_CHARS:
        return f"longer than the {MAX_RECORD_CHARS} characters of a record"
    mailed, when, eased, pending = "", "", "", 0
    for clause in text.split(";"):
        words = clause.split()
        if not words:
            continue
        head = words[0].lower()
        if head == "eased" and len(words) > 2 and words[1].lower() == "to":
            eased = _status(words[2:])
            if not eased:
                return f"{_shown(clause)} names no status"
        elif head == "pending":
            count = words[1] if len(words) > 1 else ""
            if not (count.isascii() and count.isdigit() and len(count) <= MAX_COUNT_DIGITS):
                return f"{_shown(clause)}: expected a count of runs"
            pending = int(count)
        else:
            at = next((i for i, w in enumerate(words) if _DATE.match(w)), 0)
            mailed, when = _status(words[:at]), " ".join(words[at:])
            if not at or not mailed:
                return f"{_shown(clause)}: expected a status and the time it was mailed"
    return mailed, when, eased, pending


def _status(words: list[str]) -> str:
    """The status the words name ("" if none): ``Critical``, ``no  data``."""
    name = " ".join(words).upper()
    return name if name in st.SEVERITY else ""


def _shown(text: str) -> str:
    """A piece of a cell, quoted and cut short, for a note."""
    text = " ".join(text.split())
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _instants(texts: list[str], tz: zoneinfo.ZoneInfo) -> list[dt.datetime | None]:
    """Stamps as UTC: the canonical ``2026-11-20 08:00+00:00`` directly, anything else as a
    person's text in the job's zone (``sync.stamps``), parsed together."""
    found = [_aware(t) for t in texts]
    typed = [t if t and f is None else "" for t, f in zip(texts, found, strict=True)]
    if any(typed):
        local = parse_stamps(pd.Series(typed, dtype=object), tz).tolist()
        found = [f if pd.isna(t) else t for f, t in zip(found, local, strict=True)]
    return [None if f is None else f.to_pydatetime(warn=False) for f in found]  # plain: fast


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


def render_record(record: Record, pending_runs: int, tz: zoneinfo.ZoneInfo) -> str:
    """The ``Last alert`` text of a record (the inverse of ``parse_records``; an unreadable
    record renders as what it counts as)."""
    clauses = []
    if record.mailed and record.when is not None:
        clauses.append(f"{record.mailed} {stamp(record.when, tz)}")
    if record.eased:
        clauses.append(f"eased to {record.eased}")
    if record.pending > 0 and pending_runs > 1:
        clauses.append(f"pending {record.pending} of {pending_runs} runs")
    return "; ".join(clauses)


def owners(
    cell: object, allowed: tuple[str, ...] | None, channels: Collection[str] = ()
) -> tuple[tuple[str, ...], str]:
    """The ``Owner`` cell's addresses and ``#channels`` that may be told, and a note on the
    rest.

    The addresses are picked out of the cell, whatever separates them (commas, semicolons,
    line breaks) or surrounds them (``Sam <sam@example.com>``), so no line break of the cell
    can reach a mail header. Anyone can type there, so only addresses in the ``allowed``
    domains (or their subdomains; None: any) are mailed, at most ``MAX_OWNERS`` of them, and
    only ``#names`` the config's ``[channels]`` defines are posted to.
    """
    found = owner_addresses(cell)
    inside = [a for a in found if allowed is None or _allowed(a, allowed)]
    named = channels_named(cell)
    posted = tuple(f"#{c}" for c in named if c in channels)
    mailed = tuple(inside[:MAX_OWNERS]) + posted
    outside = [a for a in found if a not in inside]
    over = inside[MAX_OWNERS:]
    unknown = [f"#{c}" for c in named if c not in channels]
    notes = [
        f"{_count(outside)} outside [alerts] allowed_domains ({_first(outside)})"
        if outside
        else "",
        f"{_count(over)} over {MAX_OWNERS} a row ({_first(over)})" if over else "",
        f"{', '.join(unknown[:3])} not in [channels]" if unknown else "",
    ]
    why = "; ".join(n for n in notes if n)
    return mailed, f"not told: {why}" if why else ""


def channels_named(cell: object) -> list[str]:
    """The ``#ops`` names in an Owner cell, without the ``#``, once each."""
    text = cell_text(cell)[:MAX_OWNER_CHARS]
    return list(dict.fromkeys(c.rstrip(".-") for c in _CHANNEL.findall(text)))


def owner_addresses(cell: object) -> tuple[str, ...]:
    """Every address in an ``Owner`` cell, once each, in order."""
    return tuple(dict.fromkeys(_ADDRESS.findall(cell_text(cell)[:MAX_OWNER_CHARS])))


def _allowed(address: str, domains: tuple[str, ...]) -> bool:
    domain = address.rsplit("@", 1)[-1].lower()
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _count(addresses: list[str]) -> str:
    return f"{len(addresses)} address" + ("es" if len(addresses) > 1 else "")


def _first(addresses: list[str]) -> str:
    more = f" and {len(addresses) - 3} more" if len(addresses) > 3 else ""
    return ", ".join(addresses[:3]) + more
