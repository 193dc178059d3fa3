"""The validated config: frozen dataclasses, built only by ``sync.config.load``."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sync.config.columns import ALL_COLUMNS

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Tabs:
    """Tab names; ``""`` means the workbook has no such tab (KPI-only, OKR-only, no log)."""

    kpis: str = "KPIs"
    okrs: str = "OKRs"
    kpi_log: str = "KPI log"
    status: str = "Status"
    checkins: str = ""
    kr_history: str = "KR history"  # the sync's own record of each key result over time

    def to_read(self, *, log: bool = True) -> list[str]:
        """Every tab a run reads (``log=False``: all but the KPI log, which a run reads apart,
        sync/tab_memory.py); with no KPIs tab there is no KPI log to read either, and with no
        OKRs tab no key-result history."""
        history = self.kr_history if self.okrs else ""
        log_tab = self.log if log else ""
        tabs = (self.kpis, self.okrs, log_tab, self.checkins, history, self.status)
        return [n for n in tabs if n]

    @property
    def log(self) -> str:
        """The KPI log tab, "" if there is none to read."""
        return self.kpi_log if self.kpis else ""


@dataclass(frozen=True)
class WorkbookConfig:
    """Where the workbook lives and how to reach it."""

    backend: Literal["xlsx", "google"]
    path: Path | None = None
    spreadsheet: str | None = None
    credentials: Path | None = None
    endpoint: str | None = None
    name: str = ""


@dataclass(frozen=True)
class OkrConfig:
    start: dt.date | None = None
    end: dt.date | None = None
    on_track_margin: float = 0.10
    at_risk_margin: float = 0.25
    aspirational_pace: float = 0.7


@dataclass(frozen=True)
class KpiConfig:
    decimal_comma: bool = False
    stale_factor: float = 1.5


@dataclass(frozen=True)
class AlertsConfig:
    """Who is told: ``recipients`` and ``channels`` for rows whose ``Owner`` names no one."""

    recipients: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()  # [channels] names, for rows with no owner
    known_channels: frozenset[str] = frozenset()  # every [channels] name an Owner may use
    repeat_after: dt.timedelta = dt.timedelta(hours=24)
    pending_runs: int = 1
    # Where an Owner cell may send mail. Loading a config always sets it (by default the
    # domains of ``recipients`` and ``[email] from``); None, as built in code, allows any.
    allowed_domains: tuple[str, ...] | None = None

    @property
    def default_route(self) -> tuple[str, ...]:
        return self.recipients + tuple(f"#{c}" for c in self.channels)


@dataclass(frozen=True)
class EmailConfig:
    host: str | None = None
    port: int | None = None
    starttls: bool = True
    ssl: bool = False
    username: str | None = None
    password_env: str | None = None
    sender: str = "metrics-sync@localhost"
    outbox: Path = Path("outbox")
    timeout: float = 30.0  # seconds, for each SMTP step
    deadline: float = 300.0  # seconds, for all of a workbook run's mail (docs/reliability.md)


@dataclass(frozen=True)
class ScheduleConfig:
    every: dt.timedelta | None = None
    at: dt.time | None = None
    timezone: str = "UTC"
    deadline: dt.timedelta | None = None  # for a whole run; default: docs/reliability.md

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True)
class GoogleConfig:
    """What Google allows each credential, and how the worker spends it (sync/pacing.py)."""

    reads_per_minute: int = 60  # Google's default per user (a service account is one)
    writes_per_minute: int = 60
    workers: int = 4  # workbooks synced at once, within the budget
    retry_base: float = 0.5  # seconds before the first retry; doubling after


@dataclass(frozen=True)
class DigestConfig:
    weekday: str = "monday"
    at: dt.time = dt.time(8, 0)
    timezone: str = "UTC"
    recipients: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    @property
    def route(self) -> tuple[str, ...]:
        return self.recipients + tuple(f"#{c}" for c in self.channels)


@dataclass(frozen=True)
class Channel:
    """A chat destination: its notification URL, or the variable that holds it (a secret)."""

    name: str
    url: str | None = None
    url_env: str | None = None

    def resolve(self, environ: Mapping[str, str]) -> str | None:
        return self.url if self.url_env is None else environ.get(self.url_env) or None


@dataclass(frozen=True)
class MonitorConfig:
    ping_url: str | None = None
    # A run skipped because the lock has been held longer than this pings /fail.
    stuck_after: dt.timedelta = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Job:
    """Everything one workbook's run needs: the workbook and the settings that apply to it."""

    workbook: WorkbookConfig
    tabs: Tabs = field(default_factory=Tabs)
    columns: Mapping[str, str] = field(default_factory=lambda: dict(ALL_COLUMNS))
    okr: OkrConfig = field(default_factory=OkrConfig)
    kpi: KpiConfig = field(default_factory=KpiConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    timezone: str = "UTC"
    tab_columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    header_rows: Mapping[str, int] = field(default_factory=dict)  # tab kind -> 1-based row
    people: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # name key -> addresses

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def columns_for(self, kind: str) -> Mapping[str, str]:
        """The headers of one tab (``kpis``, ``okrs``, ``kpi_log``, ``checkins``): ``[columns]``
        with that tab's own ``[columns.<tab>]`` over it."""
        own = self.tab_columns.get(kind)
        return {**self.columns, **own} if own else self.columns


@dataclass(frozen=True)
class Config:
    source: Path
    jobs: tuple[Job, ...]
    email: EmailConfig = field(default_factory=EmailConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    digest: DigestConfig | None = None
    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    channels: Mapping[str, Channel] = field(default_factory=dict)
    google: GoogleConfig = field(default_factory=GoogleConfig)
