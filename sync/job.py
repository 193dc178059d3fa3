"""One run of one workbook: the one place that orders I/O.

read -> evaluate -> decide -> notify -> write. ``--dry-run`` stops before the last
two and reports what they would have done. ``Last alert`` is written only for rows
whose every recipient's mail the server accepted, so a failed mail is retried; the
weekly digest's state is kept on the Status tab the same way (sync/digest.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage

import pandas as pd

from sync import alerting
from sync import digest as weekly
from sync.alerting import Decisions
from sync.backends.base import RowKey, Workbook
from sync.config import DigestConfig, Job
from sync.evaluate import Evaluation, evaluate, tabs_to_read
from sync.notify.compose import compose
from sync.notify.email import Sender
from sync.notify.model import DeliveryReport, Digest
from sync.rules import status as st
from sync.stamps import stamp
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
    weekly: bool = False  # the weekly summary rather than an alert digest
    message_id: str = ""  # the same for a retry of the same mail


@dataclass
class RunReport:
    workbook: str
    kpis: Counter[str] = field(default_factory=Counter)
    objectives: Counter[str] = field(default_factory=Counter)
    key_results: Counter[str] = field(default_factory=Counter)
    mails: list[Mail] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # recipient -> why not accepted
    changes: list[Change] = field(default_factory=list)
    errors: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.errors or self.failed else 0


def run_once(job: Job, workbook: Workbook, sender: Sender, sender_address: str,
             now: dt.datetime, *, dry_run: bool = False,
             digest: DigestConfig | None = None) -> RunReport:
    """One run; ``digest`` is the config's ``[digest]`` (None: no weekly digest)."""
    grids = workbook.read(tabs_to_read(job))
    ev = evaluate(grids, now, job)
    report = RunReport(workbook=job.workbook.name, errors=_count_errors(ev))
    report.kpis.update(ev.kpis["status"])
    report.objectives.update(ev.okrs.objectives["status"])
    report.key_results.update(ev.okrs.key_results["status"])
    kpi_d = alerting.decide_kpis(ev, now, job)
    kr_d = alerting.decide_key_results(ev, now, job)
    digests = _digests(ev, kpi_d, kr_d, job, workbook=workbook, now=now)
    accepted = _deliver(sender, digests, sender_address, report, dry_run).accepted
    state = weekly.read_state(grids.get(job.tabs.status))
    due = weekly.due_recipients(state, now, digest) if digest else ()
    summary = alerting.summary(ev, kpi_d, job) if due else ()
    weekly_digests = [Digest(r, (), workbook.title, workbook.url, now, weekly=True,
                             summary=summary) for r in due]
    took = _deliver(sender, weekly_digests, sender_address, report, dry_run).accepted
    if digest and not dry_run:
        state = weekly.next_state(state, due, took, now, digest)
    updates, keys = _updates(ev, kpi_d, kr_d, accepted=accepted, now=now, job=job)
    page = StatusPage(workbook.title, stamp(now, job.tz), ev.cycle,
                      now.astimezone(job.tz).date(), ev.kpis, ev.okrs, ev.problems,
                      kpi_tab=job.tabs.kpis, okr_tab=job.tabs.okrs,
                      extra=weekly.rows(state, job.tz) if digest else ())
    status_tab = render(page, job.tabs.status)
    report.changes = updates
    if not dry_run:
        workbook.write([c.update for c in updates], [status_tab], keys)
    return report


def _count_errors(ev: Evaluation) -> int:
    return int((ev.kpis["status"] == st.ERROR).sum()
               + (ev.okrs.key_results["status"] == st.ERROR).sum())


def _digests(ev: Evaluation, kpi_d: Decisions, kr_d: Decisions, job: Job, *,
             workbook: Workbook, now: dt.datetime) -> list[Digest]:
    """The run's alert digests: one per recipient, never one mail per row."""
    items = [*alerting.kpi_items(ev, kpi_d, job, now), *alerting.kr_items(ev, kr_d, job)]
    for item in alerting.unrouted(items):
        log.warning("no recipient for %s %r: set its Owner or [alerts] recipients",
                    item.kind, item.name)
    return alerting.digests(items, workbook.title, workbook.url, now)


def _deliver(sender: Sender, digests: Sequence[Digest], sender_address: str,
             report: RunReport, dry_run: bool) -> DeliveryReport:
    """Compose and send; record each mail and each refusal in the report.

    Alert digests and weekly digests go in separate calls: the sender reports per
    recipient, and one recipient's weekly mail must not stand for their alert mail.
    """
    messages: list[tuple[str, EmailMessage]] = [
        (d.recipient, compose(d, sender_address)) for d in digests]
    report.mails += [Mail(r, str(m["Subject"]), len(d.summary if d.weekly else d.items),
                          d.weekly, str(m["Message-ID"]))
                     for (r, m), d in zip(messages, digests, strict=True)]
    if dry_run or not messages:
        return DeliveryReport(accepted=frozenset(), failed={})
    delivered = sender.send(messages)
    what = "weekly digest" if digests[0].weekly else "alert mail"
    for recipient, why in delivered.failed.items():
        log.error("%s to %s not accepted: %s (it is retried next run)", what, recipient, why)
        report.failed[f"{recipient} ({what})" if digests[0].weekly else recipient] = why
    return delivered


def _updates(ev: Evaluation, kpi_d: Decisions, kr_d: Decisions, *,
             accepted: frozenset[str], now: dt.datetime, job: Job) -> tuple[
        list[Change], list[RowKey]]:
    checked = stamp(now, job.tz)
    kpi_values = pd.DataFrame({
        "status": ev.kpis["status"], "note": ev.kpis["note"],
        "since": kpi_d.decided["since"].map(lambda t: stamp(t, job.tz)),
        "last_alert": alerting.last_alerts(kpi_d, accepted, now, job),
        "checked": checked}, index=ev.kpis.index)
    krs = ev.okrs.key_results
    kr_values = pd.DataFrame({
        "progress": krs["progress"].round(4), "expected": krs["expected"].round(4),
        "status": krs["status"], "since": kr_d.decided["since"].map(lambda t: stamp(t, job.tz)),
        "last_alert": alerting.last_alerts(kr_d, accepted, now, job),
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
