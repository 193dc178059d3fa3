"""The sections that may differ per workbook: the workbook, tabs, columns, people, OKR, KPI
and alert settings."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sync.config.columns import (
    ALL_COLUMNS,
    CHECKIN_COLUMNS,
    KPI_COLUMNS,
    KPI_OWNED,
    LAYOUT_TABS,
    LOG_COLUMNS,
    OKR_COLUMNS,
    OKR_OWNED,
)
from sync.config.fields import DOMAIN, EMAIL, Fields
from sync.config.model import AlertsConfig, Job, KpiConfig, OkrConfig, Tabs, WorkbookConfig


class JobSections(Fields):
    """Reads the sections a ``[[workbooks]]`` entry may override."""

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
                isinstance(a, str) and EMAIL.match(a.strip()) for a in listed
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
        self.unknown_keys(
            "alerts",
            data,
            {"recipients", "repeat_after", "pending_runs", "allowed_domains", "channels"},
        )
        recipients = self.addresses(data, "alerts.recipients")
        channels = self.channel_names(data, "alerts.channels")
        repeat = self.duration(data, "alerts.repeat_after") or dt.timedelta(hours=24)
        pending = self.opt(data, "alerts.pending_runs", int, "a whole number of runs, 1 or more")
        if pending is not None and pending < 1:
            self.fail("alerts.pending_runs", pending, "a whole number of runs, 1 or more")
        domains = data.get("allowed_domains")
        if domains is not None and not (
            isinstance(domains, list)
            and all(isinstance(d, str) and DOMAIN.match(d) for d in domains)
        ):
            self.fail(
                "alerts.allowed_domains", domains, 'a list of domains such as ["example.com"]'
            )
            domains = None
        allowed = None if domains is None else tuple(d.strip().lower() for d in domains)
        return AlertsConfig(
            recipients,
            channels,
            frozenset(self.defined_channels),
            repeat,
            max(1, pending or 1),
            allowed,
        )


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
