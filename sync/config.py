"""Config: TOML read with ``tomllib`` and validated into frozen dataclasses.

Validation collects every problem before failing, so that a user fixes a config in
one edit rather than one run per typo. Nothing here touches a workbook or the network.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from sync.errors import ConfigError

T = TypeVar("T")

# Canonical column ids and their default header text (SPEC §2 and §4).
KPI_COLUMNS: dict[str, str] = {
    "kpi": "KPI",
    "owner": "Owner",
    "unit": "Unit",
    "direction": "Direction",
    "warning": "Warning",
    "critical": "Critical",
    "target": "Target",
    "max_change": "Max change %",
    "cadence": "Cadence",
    "mute_until": "Mute until",
    "current": "Current",
}
OKR_COLUMNS: dict[str, str] = {
    "objective": "Objective",
    "key_result": "Key result",
    "owner": "Owner",
    "start": "Start",
    "target": "Target",
    "current": "Current",
    "weight": "Weight",
    "due": "Due",
    "kpi": "KPI",
    "confidence": "Confidence",
    "kind": "Kind",
}
LOG_COLUMNS: dict[str, str] = {"date": "Date", "kpi": "KPI", "value": "Value"}
CHECKIN_COLUMNS: dict[str, str] = {
    "date": "Date",
    "objective": "Objective",
    "key_result": "Key result",
    "current": "Current",
    "confidence": "Confidence",
    "note": "Note",
}
OWNED_COLUMNS: dict[str, str] = {
    "status": "Status",
    "note": "Note",
    "since": "Since",
    "last_alert": "Last alert",
    "checked": "Checked",
    "progress": "Progress",
    "expected": "Expected",
    "forecast": "Forecast",
}
ALL_COLUMNS = {**KPI_COLUMNS, **OKR_COLUMNS, **LOG_COLUMNS, **CHECKIN_COLUMNS, **OWNED_COLUMNS}
# The tabs a ``[columns.<tab>]`` table or ``[tabs] header_rows`` may name.
LAYOUT_TABS = ("kpis", "okrs", "kpi_log", "checkins")
# The column that finds each tab's header row (the first row holding it).
KEY_COLUMN = {"kpis": "kpi", "okrs": "key_result", "kpi_log": "date", "checkins": "date"}
HEADER_SEARCH_ROWS = 20  # the header is looked for among a tab's first rows
KPI_OWNED = ("status", "note", "since", "last_alert", "checked")  # as sync.writeback writes
OKR_OWNED = ("progress", "expected", "forecast", "status", "since", "last_alert", "checked")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_DURATION_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_SMTP_TIMEOUT = 3600.0  # seconds: one SMTP step
MAX_MAIL_DEADLINE = 86400.0  # seconds: all of a run's mail
# The name of an environment variable as POSIX and every deployment tool spell them. Lower
# case is refused too: a mixed-case value is far likelier a password typed in by mistake.
_VARIABLE = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
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

    def to_read(self) -> list[str]:
        """Every tab a run reads; with no KPIs tab there is no KPI log to read either, and
        with no OKRs tab no key-result history."""
        log = self.kpi_log if self.kpis else ""
        history = self.kr_history if self.okrs else ""
        return [n for n in (self.kpis, self.okrs, log, self.checkins, history, self.status) if n]


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
    recipients: tuple[str, ...] = ()
    repeat_after: dt.timedelta = dt.timedelta(hours=24)
    pending_runs: int = 1


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

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DigestConfig:
    weekday: str = "monday"
    at: dt.time = dt.time(8, 0)
    timezone: str = "UTC"
    recipients: tuple[str, ...] = ()


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


def load(path: Path | str) -> Config:
    """Read and validate a config file; raise ``ConfigError`` listing every problem."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")  # as Notepad saves it, with a BOM
    except FileNotFoundError:
        raise ConfigError(str(source), ["the file does not exist"]) from None
    except OSError as err:
        raise ConfigError(str(source), [f"cannot be read: {err.strerror}"]) from err
    except UnicodeDecodeError:
        raise ConfigError(str(source), ["is not UTF-8 text"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(str(source), [f"is not valid TOML: {err}"]) from err
    return parse(data, source)


def parse(data: Mapping[str, Any], source: Path) -> Config:
    """Validate an already-decoded TOML document (the seam the tests use)."""
    v = _Validator(source.resolve().parent)
    cfg = v.config(data, source)
    if v.problems:
        raise ConfigError(str(source), v.problems)
    assert cfg is not None
    return cfg


class _Validator:
    """Walks the document, records problems as ``key: value — expected`` lines."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.problems: list[str] = []

    def fail(self, key: str, value: Any, expected: str) -> None:
        self.problems.append(f"{key} = {value!r}: expected {expected}")

    # -- sections -----------------------------------------------------------------
    def config(self, data: Mapping[str, Any], source: Path) -> Config | None:
        known = {
            "workbook",
            "workbooks",
            "tabs",
            "columns",
            "okr",
            "kpi",
            "alerts",
            "email",
            "schedule",
            "digest",
            "monitor",
            "people",
        }
        self.unknown_keys("", data, known)
        schedule = self.schedule(self.section(data, "schedule"))
        defaults = {k: self.section(data, k) for k in _NESTED}
        jobs = self.jobs(data, defaults, schedule.timezone)
        email = self.email(self.section(data, "email"))
        digest = self.digest(self.section(data, "digest")) if "digest" in data else None
        monitor = self.monitor(self.section(data, "monitor"))
        if self.problems:
            return None
        return Config(
            source=source,
            jobs=tuple(jobs),
            email=email,
            schedule=schedule,
            digest=digest,
            monitor=monitor,
        )

    def jobs(
        self, data: Mapping[str, Any], defaults: Mapping[str, Mapping[str, Any]], timezone: str
    ) -> list[Job]:
        many = data.get("workbooks")
        if "workbook" in data and many is not None:
            self.fail("workbooks", "[[workbooks]]", "either [workbook] or [[workbooks]], not both")
            return []
        if many is None:
            if "workbook" not in data:
                self.problems.append("[workbook]: missing; expected a section naming the workbook")
                return []
            return [self.job("workbook", self.section(data, "workbook"), defaults, timezone)]
        if not isinstance(many, list) or not many:
            self.fail("workbooks", many, "a non-empty array of tables ([[workbooks]])")
            return []
        jobs = [
            self.job(f"workbooks[{i}]", w if isinstance(w, dict) else {}, defaults, timezone)
            for i, w in enumerate(many)
        ]
        names = [j.workbook.name for j in jobs]
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.fail("workbooks.name", name, "a unique name for each workbook")
        return jobs

    def job(
        self,
        key: str,
        wb: Mapping[str, Any],
        defaults: Mapping[str, Mapping[str, Any]],
        timezone: str,
    ) -> Job:
        """One workbook; in [[workbooks]] it may override tabs/columns/okr/kpi/alerts/people."""
        merged = {k: {**defaults[k], **self.section(wb, k, prefix=key)} for k in _NESTED}
        own = {k: val for k, val in wb.items() if k not in _NESTED}
        tabs_data = dict(merged["tabs"])
        header_rows = self.header_rows(tabs_data.pop("header_rows", {}))
        columns, tab_columns = self.columns(merged["columns"])
        return Job(
            workbook=self.workbook(key, own),
            tabs=self.tabs(tabs_data),
            columns=columns,
            okr=self.okr(merged["okr"]),
            kpi=self.kpi(merged["kpi"]),
            alerts=self.alerts(merged["alerts"]),
            timezone=timezone,
            tab_columns=tab_columns,
            header_rows=header_rows,
            people=self.people(merged["people"]),
        )

    def workbook(self, key: str, wb: Mapping[str, Any]) -> WorkbookConfig:
        self.unknown_keys(
            key, wb, {"backend", "path", "spreadsheet", "credentials", "endpoint", "name"}
        )
        backend = self.opt(wb, f"{key}.backend", str, '"xlsx" or "google"') or "xlsx"
        if backend not in ("xlsx", "google"):
            self.fail(f"{key}.backend", backend, '"xlsx" or "google"')
        path = self.path(wb, f"{key}.path")
        sheet = self.opt(wb, f"{key}.spreadsheet", str, "a spreadsheet key or URL")
        creds = self.path(wb, f"{key}.credentials")
        endpoint = self.opt(wb, f"{key}.endpoint", str, "a base URL")
        if endpoint is not None and not re.match(r"^https?://[^/\s]+", endpoint):
            self.fail(
                f"{key}.endpoint", endpoint, "a base URL such as https://sheets.googleapis.com"
            )
        if backend == "xlsx" and path is None:
            self.problems.append(f'{key}.path: missing; expected the .xlsx file for backend "xlsx"')
        if backend == "google" and not sheet:
            self.problems.append(
                f"{key}.spreadsheet: missing; expected a spreadsheet key or URL "
                'for backend "google"'
            )
        default_name = (path.stem if path else sheet) or "workbook"
        name = self.opt(wb, f"{key}.name", str, "a short name") or default_name
        return WorkbookConfig(
            backend=backend if backend in ("xlsx", "google") else "xlsx",  # type: ignore[arg-type]
            path=path,
            spreadsheet=sheet,
            credentials=creds,
            endpoint=endpoint.rstrip("/") if endpoint else None,
            name=name,
        )

    def tabs(self, data: Mapping[str, Any]) -> Tabs:
        self.unknown_keys("tabs", data, {*Tabs.__dataclass_fields__, "header_rows"})
        values = {
            k: self.opt(data, f"tabs.{k}", str, "a tab name") for k in Tabs.__dataclass_fields__
        }
        for k, name in values.items():
            if name is not None and not name.strip() and not (k in _OPTIONAL_TABS and name == ""):
                no_tab = f' (or "" for no {_OPTIONAL_TABS[k]} tab)' if k in _OPTIONAL_TABS else ""
                self.fail(f"tabs.{k}", name, "a non-empty tab name" + no_tab)
        # "" : the workbook has no such tab, so no run asks Google for one
        tabs = Tabs(**{k: val.strip() for k, val in values.items() if val is not None})
        if not tabs.kpis and not tabs.okrs:
            self.problems.append(
                'tabs.kpis and tabs.okrs are both "": expected at least one of them to name a tab'
            )
        self.distinct(
            "tabs",
            {k: getattr(tabs, k) for k in Tabs.__dataclass_fields__},
            "a tab of its own (the sync rewrites the Status tab whole)",
        )
        return tabs

    def header_rows(self, data: Any) -> dict[str, int]:
        """``[tabs] header_rows = { kpis = 4 }``: the header row, where the search is not enough."""
        if not isinstance(data, dict):
            self.fail("tabs.header_rows", data, "a table such as { kpis = 4 }")
            return {}
        self.unknown_keys("tabs.header_rows", data, set(LAYOUT_TABS))
        rows: dict[str, int] = {}
        for k in LAYOUT_TABS:
            row = self.opt(data, f"tabs.header_rows.{k}", int, "a row number from 1")
            if row is not None and row < 1:
                self.fail(f"tabs.header_rows.{k}", row, "a row number from 1")
            elif row is not None:
                rows[k] = row
        return rows

    def people(self, data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
        """``[people] Tom = "tom@example.com"`` (or a list): owner names to addresses, keyed
        the way a name cell is matched (case and spaces aside)."""
        found: dict[str, tuple[str, ...]] = {}
        for name, value in data.items():
            listed = [value] if isinstance(value, str) else value
            good = isinstance(listed, list) and all(
                isinstance(a, str) and _EMAIL.match(a.strip()) for a in listed
            )
            if not good or not listed:
                self.fail(
                    f"people.{name}", value, 'an address or a list, such as "tom@example.com"'
                )
                continue
            found[" ".join(str(name).split()).casefold()] = tuple(a.strip() for a in listed)
        return found

    def columns(self, data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        """``[columns]`` for every tab, and each tab's ``[columns.<tab>]`` renames over it."""
        self.unknown_keys("columns", data, {*ALL_COLUMNS, *LAYOUT_TABS})
        columns = dict(ALL_COLUMNS)
        columns.update(self.renames("columns", {k: data[k] for k in ALL_COLUMNS if k in data}))
        own: dict[str, dict[str, str]] = {}
        for kind in LAYOUT_TABS:
            table = self.section(data, kind, prefix="columns")
            self.unknown_keys(f"columns.{kind}", table, set(_TAB_IDS[kind]))
            renames = self.renames(f"columns.{kind}", table)
            if renames:
                own[kind] = renames
            section = f"columns.{kind}" if renames else "columns"
            self.distinct(
                section,
                {i: {**columns, **renames}[i] for i in _TAB_IDS[kind]},
                f"a header of its own on the {_TAB_WORDS[kind]} tab "
                "(the sync writes its columns by header)",
            )
        return columns, own

    def renames(self, where: str, data: Mapping[str, Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, val in data.items():
            if k not in ALL_COLUMNS:
                continue
            if not isinstance(val, str) or not val.strip():
                self.fail(f"{where}.{k}", val, "a non-empty header text")
            else:
                out[k] = val.strip()
        return out

    def distinct(self, section: str, names: Mapping[str, str], expected: str) -> None:
        """Two keys naming the same tab or header (ignoring case and spaces) is a problem:
        the sync would write its own cells over the other's."""
        seen: dict[str, str] = {}
        for key, name in names.items():
            folded = " ".join(name.split()).casefold()
            if folded and folded in seen:
                self.fail(
                    f"{section}.{key}",
                    name,
                    f"{expected}; {section}.{seen[folded]} is {names[seen[folded]]!r}",
                )
            seen.setdefault(folded, key)

    def okr(self, data: Mapping[str, Any]) -> OkrConfig:
        self.unknown_keys(
            "okr", data, {"start", "end", "on_track_margin", "at_risk_margin", "aspirational_pace"}
        )
        start = self.date(data, "okr.start")
        end = self.date(data, "okr.end")
        if (start is None) != (end is None):
            self.problems.append("okr: give both start and end, or neither (the current quarter)")
        if start and end and end < start:
            self.fail("okr.end", end.isoformat(), f"a date on or after okr.start ({start})")
        on_track = self.fraction(data, "okr.on_track_margin", 0.10)
        at_risk = self.fraction(data, "okr.at_risk_margin", 0.25)
        if at_risk < on_track:
            self.fail("okr.at_risk_margin", at_risk, f"at least okr.on_track_margin ({on_track})")
        pace = self.fraction(data, "okr.aspirational_pace", 0.7)
        if pace == 0:
            self.fail("okr.aspirational_pace", pace, "a fraction above 0, such as 0.7")
        return OkrConfig(start, end, on_track, at_risk, pace)

    def kpi(self, data: Mapping[str, Any]) -> KpiConfig:
        self.unknown_keys("kpi", data, {"decimal_comma", "stale_factor"})
        comma = self.opt(data, "kpi.decimal_comma", bool, "true or false")
        factor = self.number(data, "kpi.stale_factor", "a number such as 1.5")
        if factor is not None and factor <= 0:
            self.fail("kpi.stale_factor", factor, "a number above 0")
        return KpiConfig(decimal_comma=bool(comma), stale_factor=float(factor or 1.5))

    def alerts(self, data: Mapping[str, Any]) -> AlertsConfig:
        self.unknown_keys("alerts", data, {"recipients", "repeat_after", "pending_runs"})
        recipients = self.addresses(data, "alerts.recipients")
        repeat = self.duration(data, "alerts.repeat_after") or dt.timedelta(hours=24)
        pending = self.opt(data, "alerts.pending_runs", int, "a whole number of runs, 1 or more")
        if pending is not None and pending < 1:
            self.fail("alerts.pending_runs", pending, "a whole number of runs, 1 or more")
        return AlertsConfig(recipients, repeat, max(1, pending or 1))

    def email(self, data: Mapping[str, Any]) -> EmailConfig:
        self.unknown_keys(
            "email",
            data,
            {
                "host",
                "port",
                "starttls",
                "ssl",
                "username",
                "password_env",
                "from",
                "outbox",
                "timeout",
                "deadline",
            },
        )
        host = self.opt(data, "email.host", str, "an SMTP host name")
        port = self.opt(data, "email.port", int, "a TCP port number")
        if port is not None and not 0 < port < 65536:
            self.fail("email.port", port, "a TCP port number from 1 to 65535")
        ssl = bool(self.opt(data, "email.ssl", bool, "true or false"))
        starttls = self.opt(data, "email.starttls", bool, "true or false")
        if ssl and starttls:
            self.fail("email.starttls", starttls, "false or absent when email.ssl = true")
        password_env = self.opt(
            data,
            "email.password_env",
            str,
            "the NAME of an environment variable holding the password",
        )
        if password_env is not None and not _VARIABLE.match(password_env):
            self.fail(  # never the value: it may well be the password itself
                "email.password_env",
                "<hidden>",
                "the NAME of an environment variable, in capitals, such as SMTP_PASSWORD "
                "(capitals, digits, _), not the password",
            )
            password_env = None
        sender = self.opt(data, "email.from", str, "an e-mail address") or "metrics-sync@localhost"
        if "from" in data and not _EMAIL.match(sender):
            self.fail("email.from", sender, "an e-mail address")
        timeout = self.seconds(data, "email.timeout", 30.0, most=MAX_SMTP_TIMEOUT)
        deadline = self.seconds(data, "email.deadline", 300.0, most=MAX_MAIL_DEADLINE)
        outbox = self.path(data, "email.outbox") or self.base / "outbox"
        tls = not ssl if starttls is None else starttls
        return EmailConfig(
            host=host or None,
            port=port,
            starttls=tls,
            ssl=ssl,
            username=self.opt(data, "email.username", str, "a user name"),
            password_env=password_env,
            sender=sender,
            outbox=outbox,
            timeout=timeout,
            deadline=deadline,
        )

    def monitor(self, data: Mapping[str, Any]) -> MonitorConfig:
        self.unknown_keys("monitor", data, {"ping_url", "stuck_after"})
        ping = self.opt(data, "monitor.ping_url", str, "a URL")
        if ping is not None and not re.match(r"^https?://", ping):
            self.fail("monitor.ping_url", ping, "an http:// or https:// URL")
        stuck = self.duration(data, "monitor.stuck_after") or dt.timedelta(hours=1)
        return MonitorConfig(ping_url=ping, stuck_after=stuck)

    def schedule(self, data: Mapping[str, Any]) -> ScheduleConfig:
        self.unknown_keys("schedule", data, {"every", "at", "timezone"})
        every = self.duration(data, "schedule.every")
        at = self.time(data, "schedule.at")
        if every is not None and at is not None:
            self.fail("schedule.at", data["at"], "either schedule.every or schedule.at, not both")
        if every is not None and every < dt.timedelta(minutes=1):
            self.fail("schedule.every", data["every"], "at least 1 minute")
        tz = self.timezone(data, "schedule.timezone")
        if every is None and at is None:
            every = dt.timedelta(minutes=15)
        return ScheduleConfig(every=every, at=at, timezone=tz)

    def digest(self, data: Mapping[str, Any]) -> DigestConfig:
        self.unknown_keys("digest", data, {"weekday", "at", "time", "timezone", "recipients"})
        weekday = (self.opt(data, "digest.weekday", str, "a weekday name") or "monday").lower()
        if weekday not in WEEKDAYS:
            self.fail("digest.weekday", weekday, "a weekday name such as monday")
        at = self.time(data, "digest.at") or self.time(data, "digest.time") or dt.time(8, 0)
        recipients = self.addresses(data, "digest.recipients")
        if not recipients:
            self.problems.append("digest.recipients: missing; expected the managers' addresses")
        return DigestConfig(weekday, at, self.timezone(data, "digest.timezone"), recipients)

    # -- values -------------------------------------------------------------------
    def section(self, data: Mapping[str, Any], key: str, prefix: str = "") -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.fail(f"{prefix}.{key}" if prefix else key, value, "a table ([section])")
            return {}
        return value

    def unknown_keys(self, where: str, data: Mapping[str, Any], known: set[str]) -> None:
        for k in sorted(set(data) - known):
            name = f"{where}.{k}" if where else k
            self.problems.append(f"{name}: unknown key; expected one of {', '.join(sorted(known))}")

    def number(self, data: Mapping[str, Any], key: str, expected: str) -> float | None:
        name = key.rsplit(".", 1)[-1]
        if name not in data:
            return None
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, value, expected)
            return None
        return float(value)

    def seconds(self, data: Mapping[str, Any], key: str, default: float, *, most: float) -> float:
        """A number of seconds above 0 and at most ``most``: -1, 0, nan, inf and 1e308
        would each break or silently disable a socket timeout."""
        expected = f"a number of seconds above 0 and at most {most:g}, such as {default:g}"
        value = self.number(data, key, expected)
        if value is None:
            return default
        if not 0 < value <= most:  # also false for nan
            self.fail(key, data[key.rsplit(".", 1)[-1]], expected)
            return default
        return value

    def opt(self, data: Mapping[str, Any], key: str, kind: type[T], expected: str) -> T | None:
        name = key.rsplit(".", 1)[-1]
        if name not in data:
            return None
        value = data[name]
        bad_bool = isinstance(value, bool) and kind is not bool
        if bad_bool or not isinstance(value, kind):
            self.fail(key, value, expected)
            return None
        return value

    def path(self, data: Mapping[str, Any], key: str) -> Path | None:
        raw = self.opt(data, key, str, "a file path")
        if raw is None or not raw.strip():
            return None
        p = Path(raw).expanduser()
        return p if p.is_absolute() else self.base / p

    def date(self, data: Mapping[str, Any], key: str) -> dt.date | None:
        name = key.rsplit(".", 1)[-1]
        value = data.get(name)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(key, value, "a date such as 2026-10-01")
        return None

    def time(self, data: Mapping[str, Any], key: str) -> dt.time | None:
        name = key.rsplit(".", 1)[-1]
        value = data.get(name)
        if value is None:
            return None
        if isinstance(value, dt.time):
            return value
        if isinstance(value, str) and (m := _HHMM.match(value.strip())):
            return dt.time(int(m.group(1)), int(m.group(2)))
        self.fail(key, value, 'a time of day "HH:MM", such as "08:00"')
        return None

    def duration(self, data: Mapping[str, Any], key: str) -> dt.timedelta | None:
        value = self.opt(data, key, str, 'a duration such as "15m", "1h" or "24h"')
        if value is None:
            return None
        parsed = parse_duration(value)
        if parsed is None or parsed <= dt.timedelta(0):
            self.fail(key, value, 'a duration such as "15m", "1h", "24h" or "7d"')
        return parsed

    def fraction(self, data: Mapping[str, Any], key: str, default: float) -> float:
        value = self.number(data, key, "a fraction from 0 to 1")
        if value is None:
            return default
        if not 0 <= value <= 1:
            self.fail(key, value, "a fraction from 0 to 1, such as 0.1")
            return default
        return float(value)

    def addresses(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key.rsplit(".", 1)[-1])
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(key, value, "a list of e-mail addresses")
            return ()
        good = tuple(a.strip() for a in value if isinstance(a, str) and _EMAIL.match(a.strip()))
        for a in value:
            if not isinstance(a, str) or not _EMAIL.match(a.strip()):
                self.fail(key, a, "an e-mail address such as leads@example.com")
        return good

    def timezone(self, data: Mapping[str, Any], key: str) -> str:
        value = self.opt(data, key, str, "an IANA time zone name such as Europe/Paris") or "UTC"
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.fail(key, value, "an IANA time zone name such as Europe/Paris")
            return "UTC"
        return value


_NESTED = ("tabs", "columns", "okr", "kpi", "alerts", "people")
_OPTIONAL_TABS = {
    "kpis": "KPIs",
    "okrs": "OKRs",
    "kpi_log": "KPI log",
    "checkins": "check-ins",
    "kr_history": "KR history",
}
_TAB_IDS: dict[str, tuple[str, ...]] = {
    "kpis": (*KPI_COLUMNS, *KPI_OWNED),
    "okrs": (*OKR_COLUMNS, *OKR_OWNED),
    "kpi_log": tuple(LOG_COLUMNS),
    "checkins": tuple(CHECKIN_COLUMNS),
}
_TAB_WORDS = {"kpis": "KPIs", "okrs": "OKRs", "kpi_log": "KPI log", "checkins": "check-ins"}


def parse_duration(text: str) -> dt.timedelta | None:
    """``"15m"``, ``"1h"``, ``"24h"``, ``"7d"``, ``"2w"`` -> timedelta; None if unreadable."""
    m = _DURATION.match(text)
    if not m:
        return None
    return dt.timedelta(seconds=float(m.group(1)) * _DURATION_UNITS[m.group(2).lower()])
