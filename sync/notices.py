"""The vocabulary of notices: an alert item, a recipient's digest, a delivery report.

The core plans them (``sync.alert_plan``) and the notifiers (``sync.notify``) write and
deliver them, so they live at the core: notify imports from here, never the reverse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from sync.burnup import Burnup

Reason = Literal["new", "worse", "repeat", "resolved"]
Kind = Literal["kpi", "key_result", "objective"]


@dataclass(frozen=True)
class AlertItem:
    """One row's change of state, as it appears in a digest."""

    kind: Kind
    name: str  # the KPI's name, or "Objective › Key result"
    status: str  # the status now (for a resolved item, the non-alerting status it returned to)
    previous: str  # the status last mailed ("" if none)
    reason: Reason
    row: int  # 1-based row on its tab, for the link
    tab: str
    value: str = ""  # the current value as shown ("412", "52 %")
    threshold: str = ""  # "critical 450", "expected 60 %"
    change: str = ""  # "-17.6 % since 2026-11-09"
    note: str = ""
    owner: str = ""
    since: dt.datetime | None = None  # when this status began
    # When this row was last mailed ("Last alert"; None if never). With ``since`` it tells a
    # retry (same values: same Message-ID) from a new episode or a repeat (new Message-ID).
    last_alert: dt.datetime | None = None
    # For the chart of a KPI's recent history; empty for key results.
    history: tuple[tuple[dt.date, float], ...] = ()
    warning: float | None = None
    critical: float | None = None
    # For an objective's burn-up chart (an objective, or a key result of it); None for KPIs.
    burnup: Burnup | None = None

    @property
    def key(self) -> str:
        """What identifies the item across runs (for a stable Message-ID)."""
        return f"{self.kind}:{self.name}:{self.status}:{self.reason}"


@dataclass(frozen=True)
class Digest:
    """Everything one recipient is told in one run: one mail, never one per row."""

    recipient: str
    items: tuple[AlertItem, ...]
    workbook: str  # the workbook's title
    url: str | None  # a link to the workbook, when it has one
    now: dt.datetime
    weekly: bool = False  # the weekly summary rather than an alert digest
    summary: tuple[AlertItem, ...] = field(default=())  # weekly digest: every row's state


@dataclass(frozen=True)
class DeliveryReport:
    """Which digests reached the server: only those are recorded as notified."""

    accepted: frozenset[str]  # recipients whose mail the server accepted
    failed: dict[str, str]  # recipient -> why it was not accepted
    # Those of ``failed`` refused for good (a 5xx to the address, or an address no server can
    # take): retrying next run would fail again, so they count as told, not as pending.
    refused: frozenset[str] = frozenset()
