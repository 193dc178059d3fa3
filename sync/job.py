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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage

import pandas as pd

from sync import alerting
from sync import digest as weekly
from sync.alerting import Decisions
from sync.backends.base import Workbook
from sync.burnup import Burnup
from sync.cells import name_key
from sync.config import DigestConfig, Job
from sync.errors import ConcurrentEditError
from sync.evaluate import Evaluation, evaluate
from sync.grid import Grid, OwnedTab, Row, RowKey
from sync.notify.compose import compose
from sync.notify.email import Sender
from sync.notify.model import AlertItem, DeliveryReport, Digest
from sync.rules import kr_history
from sync.rules import status as st
from sync.rules.burnup_lines import burnups
from sync.stamps import stamp, stamp_series
from sync.status_tab import StatusPage, render
from sync.writeback import (
    KPI_OWNED,
    OKR_OWNED,
    Change,
    cell_updates,
    header_check,
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


def run_once(
    job: Job,
    workbook: Workbook,
    sender: Sender,
    sender_address: str,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    digest: DigestConfig | None = None,
) -> RunReport:
    """One run; ``digest`` is the config's ``[digest]`` (None: no weekly digest).

    The workbook's title is asked for only to compose a mail: on Google it costs a request.
    If rows moved between the read and the write (``ConcurrentEditError`` with fresh grids),
    the run re-maps once (:func:`_remap`); a second move ends the run with nothing written.
    """
    grids = workbook.read(job.tabs.to_read())
    ev = evaluate(grids, now, job)
    report = RunReport(workbook=job.workbook.name)
    _count(report, ev)
    kpi_d = alerting.decide_kpis(ev, now, job)
    kr_d = alerting.decide_key_results(ev, now, job)
    burns = burnups(ev.okrs, ev.points, ev.cycle, now.astimezone(job.tz).date(), job.okr)
    digests = _digests(ev, kpi_d, kr_d, job, workbook=workbook, now=now, burns=burns)
    accepted = _deliver(sender, digests, sender_address, report, dry_run).accepted
    state = weekly.read_state(grids.get(job.tabs.status))
    due = weekly.due_recipients(state, now, digest) if digest else ()
    summary = tuple(_charted(i, ev, burns) for i in alerting.summary(ev, kpi_d, job)) if due else ()
    weekly_digests = [
        Digest(r, (), workbook.title, workbook.url, now, weekly=True, summary=summary) for r in due
    ]
    took = _deliver(sender, weekly_digests, sender_address, report, dry_run).accepted
    if digest and not dry_run:
        state = weekly.next_state(state, due, took, now, digest)
    extra = weekly.rows(state, job.tz) if digest else ()
    last = (
        alerting.last_alerts(kpi_d, accepted, now, job),
        alerting.last_alerts(kr_d, accepted, now, job),
    )
    updates, keys = _updates(ev, kpi_d, kr_d, last=last, now=now, job=job)
    report.changes = updates
    if dry_run:
        return report
    try:
        workbook.write([c.update for c in updates], _owned_tabs(ev, now, job, extra, grids), keys)
    except ConcurrentEditError as err:
        if err.grids is None:
            raise
        _remap(
            job,
            workbook,
            {**grids, **err.grids},
            now,
            before=ev,
            last=last,
            extra=extra,
            report=report,
            moved=err,
        )
    return report


def _remap(
    job: Job,
    workbook: Workbook,
    grids: dict[str, Grid | None],
    now: dt.datetime,
    *,
    before: Evaluation,
    last: tuple[pd.Series, pd.Series],
    extra: Sequence[Row],
    report: RunReport,
    moved: ConcurrentEditError,
) -> None:
    """Rows moved under the run: evaluate the tabs as they are now and write once more.

    Statuses, notes and ``Since`` come from the fresh rows. Mails are not decided again (they
    went out, or were refused, already): each row's ``Last alert`` is the one decided for the
    row with the same key (KPI name; objective and key result) before, whatever its row
    number now; a row that was not there before keeps its cell, and the next run decides it.
    If rows move again, nothing is written and the error says so.
    """
    log.warning("%s; re-mapping the statuses onto the rows as they are now", moved)
    ev = evaluate(grids, now, job)
    _count(report, ev)
    carried = (
        _carry(last[0], _row_ids(before.kpis, ["name"]), _row_ids(ev.kpis, ["name"])),
        _carry(
            last[1],
            _row_ids(before.okrs.key_results, KR_KEY),
            _row_ids(ev.okrs.key_results, KR_KEY),
        ),
    )
    updates, keys = _updates(
        ev,
        alerting.decide_kpis(ev, now, job),
        alerting.decide_key_results(ev, now, job),
        last=carried,
        now=now,
        job=job,
    )
    report.changes = updates
    try:
        workbook.write([c.update for c in updates], _owned_tabs(ev, now, job, extra, grids), keys)
    except ConcurrentEditError as again:
        sent = len(report.mails) - len(report.failed)
        resend = f", and may send its {sent} mail(s) again" if sent > 0 else ""
        raise ConcurrentEditError(
            "rows moved twice while the sync ran, so it gave up and wrote nothing; the next "
            f"run starts afresh{resend} (the second time: {again})"
        ) from again


KR_KEY = ("objective", "key_result")


def _row_ids(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Each row's identity by its key cells, read as a person reads them (case and spaces
    aside); the n-th row sharing a key (an ERROR row) is told apart by its order."""
    keys = pd.Series("", index=frame.index, dtype=object)
    for col in columns:
        keys = keys + "\x1f" + frame[col].map(name_key)
    nth = keys.groupby(keys).cumcount().astype(str) if len(keys) else keys
    return keys + "\x1f" + nth


def _carry(values: pd.Series, before: pd.Series, now: pd.Series) -> pd.Series:
    """``values`` (by old row) moved to the rows (new index) holding the same identity."""
    by_id = dict(zip(before, values.reindex(before.index), strict=True))
    return pd.Series([by_id.get(i) for i in now], index=now.index, dtype=object)


def _count(report: RunReport, ev: Evaluation) -> None:
    report.kpis = Counter(ev.kpis["status"])
    report.objectives = Counter(ev.okrs.objectives["status"])
    report.key_results = Counter(ev.okrs.key_results["status"])
    report.errors = _count_errors(ev)


def _owned_tabs(
    ev: Evaluation,
    now: dt.datetime,
    job: Job,
    extra: Sequence[Row],
    grids: dict[str, Grid | None],
) -> list[OwnedTab]:
    """The Status tab, and the KR history tab where one is kept: both go in the run's one
    write, so the history costs no request of its own. The history tab is created only once
    there is something to record in it."""
    tabs = [_status_tab(ev, now, job, extra)]
    history, name = ev.kr_history, job.tabs.kr_history
    if history is not None and (grids.get(name) is not None or not history.empty):
        tabs.append(OwnedTab(name, kr_history.to_grid(history)))
    return tabs


def _status_tab(ev: Evaluation, now: dt.datetime, job: Job, extra: Sequence[Row]) -> OwnedTab:
    """The Status tab; its heading names no workbook, which on Google would cost a request."""
    page = StatusPage(
        "",
        stamp(now, job.tz),
        ev.cycle,
        now.astimezone(job.tz).date(),
        ev.kpis,
        ev.okrs,
        ev.problems,
        kpi_tab=job.tabs.kpis,
        okr_tab=job.tabs.okrs,
        extra=extra,
    )
    return render(page, job.tabs.status)


def _count_errors(ev: Evaluation) -> int:
    return int(
        (ev.kpis["status"] == st.ERROR).sum() + (ev.okrs.key_results["status"] == st.ERROR).sum()
    )


def _digests(
    ev: Evaluation,
    kpi_d: Decisions,
    kr_d: Decisions,
    job: Job,
    *,
    workbook: Workbook,
    now: dt.datetime,
    burns: Mapping[str, Burnup],
) -> list[Digest]:
    """The run's alert digests: one per recipient, never one mail per row; a key result's
    item carries its objective's burn-up for the chart."""
    krs = [(r, _charted(i, ev, burns)) for r, i in alerting.kr_items(ev, kr_d, job)]
    items = [*alerting.kpi_items(ev, kpi_d, job, now), *krs]
    for item in alerting.unrouted(items):
        log.warning(
            "no recipient for %s %r: set its Owner or [alerts] recipients", item.kind, item.name
        )
    title = workbook.title if items else ""  # on Google the title costs a request
    return alerting.digests(items, title, workbook.url, now)


def _charted(item: AlertItem, ev: Evaluation, burns: Mapping[str, Burnup]) -> AlertItem:
    """The item with its objective's burn-up, for the chart in the mail."""
    krs = ev.okrs.key_results
    if item.kind == "objective":
        return replace(item, burnup=burns.get(item.name))
    if item.kind == "key_result" and item.row in krs.index:
        return replace(item, burnup=burns.get(str(krs.at[item.row, "objective"])))
    return item


def _deliver(
    sender: Sender, digests: Sequence[Digest], sender_address: str, report: RunReport, dry_run: bool
) -> DeliveryReport:
    """Compose and send; record each mail and each refusal in the report.

    Alert digests and weekly digests go in separate calls: the sender reports per
    recipient, and one recipient's weekly mail must not stand for their alert mail.
    """
    messages: list[tuple[str, EmailMessage]] = [
        (d.recipient, compose(d, sender_address)) for d in digests
    ]
    report.mails += [
        Mail(
            r,
            str(m["Subject"]),
            len(d.summary if d.weekly else d.items),
            d.weekly,
            str(m["Message-ID"]),
        )
        for (r, m), d in zip(messages, digests, strict=True)
    ]
    if dry_run or not messages:
        return DeliveryReport(accepted=frozenset(), failed={})
    delivered = sender.send(messages)
    what = "weekly digest" if digests[0].weekly else "alert mail"
    for recipient, why in delivered.failed.items():
        log.error("%s to %s not accepted: %s (it is retried next run)", what, recipient, why)
        report.failed[f"{recipient} ({what})" if digests[0].weekly else recipient] = why
    return delivered


def _updates(
    ev: Evaluation,
    kpi_d: Decisions,
    kr_d: Decisions,
    *,
    last: tuple[pd.Series, pd.Series],
    now: dt.datetime,
    job: Job,
) -> tuple[list[Change], list[RowKey]]:
    """The owned cells to write; ``last`` holds the ``Last alert`` cells (KPIs, key results)."""
    checked = stamp(now, job.tz)
    kpi_values = pd.DataFrame(
        {
            "status": ev.kpis["status"],
            "note": ev.kpis["note"],
            "since": stamp_series(kpi_d.decided["since"], job.tz),
            "last_alert": last[0],
            "checked": checked,
        },
        index=ev.kpis.index,
    )
    krs = ev.okrs.key_results
    kr_values = pd.DataFrame(
        {
            "progress": krs["progress"].round(4),
            "expected": krs["expected"].round(4),
            # "" rather than NaN: NaN leaves a cell as it is, and a forecast can go away
            "forecast": krs["forecast"].round(4).astype(object).where(krs["forecast"].notna(), ""),
            "status": krs["status"],
            "since": stamp_series(kr_d.decided["since"], job.tz),
            "last_alert": last[1],
            "checked": checked,
        },
        index=krs.index,
    )
    out: list[Change] = []
    keys: list[RowKey] = []
    for kind, sheet, owned, values, key_ids in (
        ("kpis", ev.kpi_sheet, KPI_OWNED, kpi_values, ["kpi"]),
        ("okrs", ev.okr_sheet, OKR_OWNED, kr_values, ["objective", "key_result"]),
    ):
        if not sheet.tab:  # a KPI-only or OKR-only workbook: no such tab to write
            continue
        positions, headers = owned_positions(sheet, owned, job.columns_for(kind))
        out.extend(headers)
        out.extend(cell_updates(sheet, positions, values))
        keys.append(header_check(sheet, positions, key_ids))
        keys.extend(row_keys(sheet, values.index, key_ids))
    return out, keys
