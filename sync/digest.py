"""When the weekly digest is due, kept on the Status tab so cron and the worker agree.

Due once the week's slot (``[digest] weekday`` and ``at`` in its ``timezone``) has passed
and the last digest went before it; recipients whose server did not accept it are retried
alone until the next slot. Pure: ``now`` is passed in (docs/alerts.md, "The weekly digest").
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from sync.config import WEEKDAYS, DigestConfig
from sync.grid import Grid, Row
from sync.stamps import parse_stamps, stamp

LABEL = "Last weekly digest"
_OWED = re.compile(r"not yet accepted for\s+(?P<who>[^;]+)", re.IGNORECASE)


@dataclass(frozen=True)
class WeeklyState:
    last: dt.datetime | None = None  # when the last weekly digest went out (UTC)
    owed: tuple[str, ...] = ()  # recipients whose server did not accept it yet


def read_state(grid: Grid | None) -> WeeklyState:
    """The state row of a Status tab as read (an absent or unreadable row: never sent)."""
    for row in grid or ():
        if row and isinstance(row[0], str) and row[0].strip().casefold() == LABEL.casefold():
            when = parse_stamps(
                pd.Series([row[1] if len(row) > 1 else None], dtype=object),
                zoneinfo.ZoneInfo("UTC"),
            ).iloc[0]
            owed = _OWED.search(str(row[2])) if len(row) > 2 and row[2] else None
            who = tuple(a.strip() for a in owed.group("who").split(",")) if owed else ()
            return WeeklyState(None if pd.isna(when) else when.to_pydatetime(), who)
    return WeeklyState()


def latest_slot(now: dt.datetime, cfg: DigestConfig) -> dt.datetime:
    """The most recent weekday-and-time of the digest at or before ``now`` (UTC)."""
    tz = zoneinfo.ZoneInfo(cfg.timezone)
    local = now.astimezone(tz)
    back = (local.weekday() - WEEKDAYS.index(cfg.weekday)) % 7
    slot = dt.datetime.combine(local.date() - dt.timedelta(days=back), cfg.at, tzinfo=tz)
    if slot > local:
        slot = dt.datetime.combine(slot.date() - dt.timedelta(days=7), cfg.at, tzinfo=tz)
    return slot.astimezone(dt.UTC)


def due_recipients(state: WeeklyState, now: dt.datetime, cfg: DigestConfig) -> tuple[str, ...]:
    """Who gets the weekly digest in this run (empty: not due)."""
    if state.last is None or state.last < latest_slot(now, cfg):
        return cfg.route
    return tuple(r for r in cfg.route if r in state.owed)


def next_state(
    state: WeeklyState,
    due: tuple[str, ...],
    accepted: Iterable[str],
    now: dt.datetime,
    cfg: DigestConfig,
) -> WeeklyState:
    """The state after a run that offered the digest to ``due`` and saw ``accepted`` take it."""
    if not due:
        return state
    took = frozenset(accepted)
    fresh = state.last is None or state.last < latest_slot(now, cfg)
    return WeeklyState(
        now.astimezone(dt.UTC) if fresh else state.last, tuple(r for r in due if r not in took)
    )


def rows(state: WeeklyState, tz: zoneinfo.ZoneInfo) -> list[Row]:
    """The Status tab row that carries the state to the next run ([] if never sent)."""
    if state.last is None:
        return []
    row: Row = [LABEL, stamp(state.last, tz)]
    if state.owed:
        row.append(f"not yet accepted for {', '.join(state.owed)}; retried next run")
    return [row]
