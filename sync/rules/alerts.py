"""The alert decision: compare what a row is now with what was last mailed (SPEC §5).

Two records live in the workbook, as in Alertmanager: the current state (``Status``,
``Since``) and what was last notified (``Last alert``). A mail is due when a row gets
worse, when it recovers after a mailed breach, or when ``repeat_after`` has passed
while it stays breached. Deciding is pure; sending and recording happen at the edge,
and ``Last alert`` is only written for mails the server accepted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import pandas as pd

from sync.config import AlertsConfig
from sync.rules import status as st

# Statuses that are a real value back within bounds: only these resolve a firing alert.
RECOVERED = frozenset({st.OK, st.NO_THRESHOLD, st.ON_TRACK, st.DONE, st.AT_RISK})


def decide(state: pd.DataFrame, now: dt.datetime, cfg: AlertsConfig,
           alerting: Collection[str]) -> pd.DataFrame:
    """Which rows to mail and why.

    ``state`` has, per row: ``status`` (now), ``previous`` (the ``Status`` cell read),
    ``since`` (UTC timestamp or NaT), ``last_status`` / ``last_when`` (parsed ``Last alert``)
    and ``muted`` (bool). Returns ``reason`` ("" for no mail, else new / worse / repeat /
    resolved) and ``since`` (when the current status began).
    """
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    new, prev, last = state["status"], state["previous"].fillna(""), state["last_status"]
    sev = new.map(st.SEVERITY).fillna(0)
    last_sev = last.map(st.SEVERITY).fillna(0)
    prev_sev = prev.map(st.SEVERITY).fillna(0)
    firing = new.isin(list(alerting))
    was_mailed = last.isin(list(alerting))
    repeat_due = (now_ts - state["last_when"]) >= pd.Timedelta(cfg.repeat_after)
    reason = np.select(
        [firing & ~was_mailed,
         firing & ((sev > last_sev) | (sev > prev_sev) & (new != prev)),
         firing & repeat_due.fillna(True),
         ~firing & was_mailed & new.isin(list(RECOVERED))],
        ["new", "worse", "repeat", "resolved"], default="")
    reason = np.where(firing & state["muted"].fillna(False).astype(bool), "", reason)
    since = state["since"].where((new == prev) & state["since"].notna(), now_ts)
    return pd.DataFrame({"reason": reason, "since": since}, index=state.index)


def recipients(owners: pd.Series, default: tuple[str, ...]) -> pd.Series:
    """A row's ``Owner`` addresses (comma or semicolon separated), else the default list."""
    split = owners.fillna("").astype(str).str.replace(";", ",").str.split(",")
    cleaned = split.map(lambda parts: tuple(p.strip() for p in parts if "@" in p))
    return cleaned.map(lambda found: found or default)
