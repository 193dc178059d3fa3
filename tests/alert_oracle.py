"""The alert decision as it was before the per-row rules: twelve boolean arrays over a frame.

Kept only as an oracle: tests/test_alert_rules.py checks that ``sync.rules.alerts.decide_row``
decides every generated row exactly as this did. Not used by the product.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import numpy.typing as npt
import pandas as pd

from sync.config import AlertsConfig
from sync.rules import status as st

RECOVERED = frozenset({st.OK, st.NO_THRESHOLD, st.ON_TRACK, st.DONE, st.AT_RISK})
NO_INFORMATION = frozenset({st.STALE, st.NO_DATA, st.ERROR})


def decide(
    state: pd.DataFrame, now: dt.datetime, cfg: AlertsConfig, alerting: Collection[str]
) -> pd.DataFrame:
    """``state``: status, previous, since, mailed, when, eased, pending, muted per row."""
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


def _severity(statuses: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    return np.fromiter(
        (st.SEVERITY.get(s, 0) for s in statuses), dtype=np.int64, count=len(statuses)
    )


def _member(values: npt.NDArray[np.object_], group: frozenset[str]) -> npt.NDArray[np.bool_]:
    return np.fromiter((v in group for v in values), dtype=bool, count=len(values))
