"""One run of one workbook: the one place that orders I/O.

read -> evaluate -> decide -> notify -> write. ``--dry-run`` stops before the last
two and reports what they would have done. ``Last alert`` is written only for rows
whose every recipient's mail the server accepted, so a failed mail is retried.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from email.message import EmailMessage

import pandas as pd

from sync.backends.base import RowKey, Workbook
from sync.config import Job
from sync.evaluate import Evaluation, evaluate, tabs_to_read
from sync.frames import records
from sync.notify.compose import compose
from sync.notify.email import Sender
from sync.notify.model import AlertItem, DeliveryReport, Digest
from sync.rules import alerts
from sync.rules import status as st
from sync.rules.kpi import fmt
from sync.stamps import last_alert, parse_last_alerts, parse_stamps, stamp
from sync.status_tab import StatusPage, render
from sync.writeback import (
    KPI_OWNED,
    OKR_OWNED,
    Change,
    cell_updates,
    owned_positions,
    row_keys,
)

log = logging.getLogger("metrics_sync")


@dataclass(frozen=True)
class Mail:
    recipient: str
    subject: str
    items: int


@dataclass
class RunReport:
    workbook: str
    kpis: Counter[str] = field(default_factory=Counter)
    objectives: Counter[str] = field(default_factory=Counter)
    key_results: Counter[str] = field(default_factory=Counter)
    mails: list[Mail] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    errors: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.errors or self.failed else 0


def run_once(job: Job, workbook: Workbook, sender: Sender, sender_address: str,
             now: dt.datetime, *, dry_run: bool = False) -> RunReport:
    grids = workbook.read(tabs_to_read(job))
    ev = evaluate(grids, now, job)
    report = RunReport(workbook=job.workbook.name, errors=_count_errors(ev))
    report.kpis.update(ev.kpis["status"])
    report.objectives.update(ev.okrs.objectives["status"])
    report.key_results.update(ev.okrs.key_results["status"])
    kpi_decisions = _decide(ev.kpis, ev.kpi_sheet.rows, now, job, st.KPI_ALERTING, muted=True)
    kr_decisions = _decide(ev.okrs.key_results, ev.okr_sheet.rows, now, job, st.OKR_ALERTING)
    items = [*_kpi_items(ev, kpi_decisions, job), *_kr_items(ev, kr_decisions, job)]
    digests = _digests(items, workbook, now)
    messages = [(d.recipient, compose(d, sender_address)) for d in digests]
    report.mails = [Mail(r, str(m["Subject"]), len(d.items))
                    for (r, m), d in zip(messages, digests, strict=True)]
    delivered = _deliver(sender, messages, dry_run)
    report.failed = dict(delivered.failed)
    updates, keys = _updates(ev, kpi_decisions, kr_decisions, delivered.accepted, now, job)
    page = StatusPage(workbook.title, stamp(now, job.tz), ev.cycle,
                      now.astimezone(job.tz).date(), ev.kpis, ev.okrs, ev.problems)
    status_tab = render(page, job.tabs.status)
    report.changes = updates
    if not dry_run:
        workbook.write([c.update for c in updates], [status_tab], keys)
    return report


def _count_errors(ev: Evaluation) -> int:
    return int((ev.kpis["status"] == st.ERROR).sum()
               + (ev.okrs.key_results["status"] == st.ERROR).sum())


def _decide(results: pd.DataFrame, rows: pd.DataFrame, now: dt.datetime, job: Job,
            alerting: frozenset[str], *, muted: bool = False) -> pd.DataFrame:
    def raw(cid: str) -> pd.Series:
        return rows[cid].reindex(results.index) if cid in rows else pd.Series(
            None, index=results.index, dtype=object)

    last = parse_last_alerts(raw("last_alert"), job.tz)
    today = pd.Timestamp(now.astimezone(job.tz).date())
    is_muted = (results["mute_until"] >= today) if muted else pd.Series(False, index=results.index)
    state = pd.DataFrame({
        "status": results["status"],
        "previous": raw("status").map(lambda v: str(v).strip().upper() if v else ""),
        "since": parse_stamps(raw("since"), job.tz),
        "last_status": last["status"], "last_when": last["when"],
        "muted": is_muted.fillna(False),
    }, index=results.index)
    decided = alerts.decide(state, now, job.alerts, alerting)
    decided["recipients"] = alerts.recipients(results["owner"], job.alerts.recipients)
    decided["last_when"] = last["when"]
    return decided


def _kpi_items(ev: Evaluation, decisions: pd.DataFrame, job: Job) -> list[
        tuple[tuple[str, ...], AlertItem]]:
    k = ev.kpis.join(decisions[["reason", "since", "recipients", "last_when"]])
    return [(r["recipients"], _kpi_item(r, job)) for r in records(k[k["reason"] != ""])]


def _kpi_item(r: dict[str, Any], job: Job) -> AlertItem:
    unit = r["unit"]
    threshold = (f"critical {fmt(r['critical'], unit)}" if r["status"] == st.CRITICAL
                 else f"warning {fmt(r['warning'], unit)}" if r["status"] == st.WARNING else "")
    return AlertItem(
        kind="kpi", name=r["name"], status=r["status"], previous="", reason=r["reason"],
        row=r["row"], tab=job.tabs.kpis, value=fmt(r["value"], unit), threshold=threshold,
        change="" if pd.isna(r["change"]) else f"{r['change']:+.1%}", note=r["note"],
        owner=r["owner"], since=_py(r["since"]), last_alert=_py(r["last_when"]),
        warning=_float(r["warning"]), critical=_float(r["critical"]))


def _kr_items(ev: Evaluation, decisions: pd.DataFrame, job: Job) -> list[
        tuple[tuple[str, ...], AlertItem]]:
    k = ev.okrs.key_results.join(decisions[["reason", "since", "recipients", "last_when"]])
    return [(r["recipients"], AlertItem(
        kind="key_result", name=f"{r['objective']} › {r['key_result']}", status=r["status"],
        previous="", reason=r["reason"], row=r["row"], tab=job.tabs.okrs,
        value=f"{r['progress']:.0%}", threshold=f"expected {r['expected']:.0%}", note=r["note"],
        owner=r["owner"], since=_py(r["since"]), last_alert=_py(r["last_when"])))
        for r in records(k[k["reason"] != ""])]


def _float(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _py(value: Any) -> dt.datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _digests(items: Sequence[tuple[tuple[str, ...], AlertItem]], workbook: Workbook,
             now: dt.datetime) -> list[Digest]:
    """One digest per recipient per run, never one mail per row."""
    by_recipient: dict[str, list[AlertItem]] = {}
    for recipients, item in items:
        if not recipients:
            log.warning("no recipient for %s %r: set its Owner or [alerts] recipients",
                        item.kind, item.name)
        for r in recipients:
            by_recipient.setdefault(r, []).append(item)
    title = workbook.title if by_recipient else ""
    return [Digest(r, tuple(its), title, workbook.url, now)
            for r, its in sorted(by_recipient.items())]


def _deliver(sender: Sender, messages: list[tuple[str, EmailMessage]],
             dry_run: bool) -> DeliveryReport:
    if dry_run or not messages:
        return DeliveryReport(accepted=frozenset(), failed={})
    delivered = sender.send(messages)
    for recipient, why in delivered.failed.items():
        log.error("mail to %s not accepted: %s (it is retried next run)", recipient, why)
    return delivered


def _updates(ev: Evaluation, kpi_d: pd.DataFrame, kr_d: pd.DataFrame,
             accepted: frozenset[str], now: dt.datetime, job: Job) -> tuple[
        list[Change], list[RowKey]]:
    checked = stamp(now, job.tz)
    kpi_values = pd.DataFrame({
        "status": ev.kpis["status"], "note": ev.kpis["note"],
        "since": kpi_d["since"].map(lambda t: stamp(t, job.tz)),
        "last_alert": _last_alerts(ev.kpis, kpi_d, accepted, now, job),
        "checked": checked}, index=ev.kpis.index)
    krs = ev.okrs.key_results
    kr_values = pd.DataFrame({
        "progress": krs["progress"].round(4), "expected": krs["expected"].round(4),
        "status": krs["status"], "since": kr_d["since"].map(lambda t: stamp(t, job.tz)),
        "last_alert": _last_alerts(krs, kr_d, accepted, now, job),
        "checked": checked}, index=krs.index)
    out: list[Change] = []
    keys: list[RowKey] = []
    for sheet, owned, values, key_ids in (
            (ev.kpi_sheet, KPI_OWNED, kpi_values, ["kpi"]),
            (ev.okr_sheet, OKR_OWNED, kr_values, ["objective", "key_result"])):
        positions, headers = owned_positions(sheet, owned, job.columns)
        out.extend(headers)
        out.extend(cell_updates(sheet, positions, values))
        keys.extend(row_keys(sheet, values.index, key_ids))
    return out, keys


def _last_alerts(results: pd.DataFrame, decisions: pd.DataFrame, accepted: frozenset[str],
                 now: dt.datetime, job: Job) -> pd.Series:
    """The new ``Last alert`` where every recipient accepted the mail, else None (unchanged)."""
    mailed = (decisions["reason"] != "") & decisions["recipients"].map(
        lambda rs: bool(rs) and all(r in accepted for r in rs))
    text = results["status"].map(lambda s: last_alert(s, now, job.tz))
    return text.where(mailed, None)
