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
from dataclasses import dataclass, field, replace
from email.message import EmailMessage

import pandas as pd

from sync import alert_plan
from sync import digest as weekly
from sync.alert_plan import Decisions
from sync.backends.base import Workbook
from sync.cells import name_key
from sync.config import DigestConfig, Job
from sync.errors import ConcurrentEditError
from sync.evaluate import Evaluation, evaluate
from sync.grid import Grid, OwnedTab, Row, RowKey
from sync.notices import DeliveryReport, Digest
from sync.notify.chat import ChatPost, Poster, chat_post, is_channel
from sync.notify.compose import compose
from sync.notify.email import Sender
from sync.rules import status as st
from sync.sent_log import SentLog, record_all, unsent
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
    body: str = ""  # a chat post's text (a mail's is in the outbox or the mail server)


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
    chat: Poster | None = None,
    sent: SentLog | None = None,
) -> RunReport:
    """One run; ``digest`` is the config's ``[digest]`` (None: no weekly digest); ``chat``
    posts the digests of ``#channel`` recipients (None: no [channels]); ``sent``, the local
    record of what was told (sync/sent_log.py), stops repeats while ``Last alert`` cannot be
    written and keeps a recipient who took a mail from getting it again when another did not.

    The workbook's title is asked for only to compose a mail: on Google it costs a request.
    If rows moved between the read and the write (``ConcurrentEditError`` with fresh grids),
    the run re-maps once (:func:`_remap`); a second move ends the run with nothing written.
    """
    grids = workbook.read(job.tabs.to_read())
    ev = evaluate(grids, now, job)
    report = RunReport(workbook=job.workbook.name)
    _count(report, ev)
    kpi_d = alert_plan.decide_kpis(ev, now, job)
    kr_d = alert_plan.decide_key_results(ev, now, job)
    for note in (*kpi_d.notes, *kr_d.notes):
        log.warning("%s", note)
    ev = replace(ev, problems=(*ev.problems, *kpi_d.notes, *kr_d.notes))  # on the Status tab
    digests, routed, skipped = _digests(ev, kpi_d, kr_d, job, workbook=workbook, now=now, sent=sent)
    out = Outbound(sender, sender_address, chat)
    delivered = _deliver(out, digests, report, dry_run)
    if sent is not None and not dry_run:  # before the write, which may fail
        record_all(sent, routed, delivered.accepted, now)
        sent.save(now)
    told_before = skipped - {d.recipient for d in digests}  # told in an earlier run
    settled = delivered.accepted | delivered.refused | told_before  # not retried every run
    state = weekly.read_state(grids.get(job.tabs.status))
    due = weekly.due_recipients(state, now, digest) if digest else ()
    summary = alert_plan.summary(ev, kpi_d, job) if due else ()
    weekly_digests = [
        Digest(r, (), workbook.title, workbook.url, now, weekly=True, summary=summary) for r in due
    ]
    took = _deliver(out, weekly_digests, report, dry_run).accepted
    if digest and not dry_run:
        state = weekly.next_state(state, due, took, now, digest)
    extra = weekly.rows(state, job.tz) if digest else ()
    last = (
        alert_plan.last_alerts(kpi_d, settled, now, job),
        alert_plan.last_alerts(kr_d, settled, now, job),
    )
    updates, keys = _updates(ev, kpi_d, kr_d, last=last, now=now, job=job)
    report.changes = updates
    if dry_run:
        return report
    try:
        workbook.write([c.update for c in updates], [_status_tab(ev, now, job, extra)], keys)
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
    row with the same key before (KPI name; key result, with its objective only where its
    text is not unique in the tab), whatever its row number now; a row that was not there
    before keeps its cell, and the next run decides it.
    If rows move again, nothing is written and the error says so.
    """
    log.warning("%s; re-mapping the statuses onto the rows as they are now", moved)
    ev = evaluate(grids, now, job)
    _count(report, ev)
    carried = (
        _carry(last[0], _row_ids(before.kpis, ["name"]), _row_ids(ev.kpis, ["name"])),
        _carry(last[1], _kr_ids(before.okrs.key_results), _kr_ids(ev.okrs.key_results)),
    )
    updates, keys = _updates(
        ev,
        alert_plan.decide_kpis(ev, now, job),
        alert_plan.decide_key_results(ev, now, job),
        last=carried,
        now=now,
        job=job,
    )
    report.changes = updates
    try:
        workbook.write([c.update for c in updates], [_status_tab(ev, now, job, extra)], keys)
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


def _kr_ids(krs: pd.DataFrame) -> pd.Series:
    """A key result's identity: its own text where no other key result in the tab has it,
    else with its objective. A sort moves a key result from under a blank ("same as above")
    objective cell to under another objective; its text alone still finds it."""
    unique = ~krs["key_result"].map(name_key).duplicated(keep=False)
    alone = "kr" + _row_ids(krs, ["key_result"])
    return alone.where(unique, "okr" + _row_ids(krs, KR_KEY))


def _carry(values: pd.Series, before: pd.Series, now: pd.Series) -> pd.Series:
    """``values`` (by old row) moved to the rows (new index) holding the same identity."""
    by_id = dict(zip(before, values.reindex(before.index), strict=True))
    return pd.Series([by_id.get(i) for i in now], index=now.index, dtype=object)


def _count(report: RunReport, ev: Evaluation) -> None:
    report.kpis = Counter(ev.kpis["status"])
    report.objectives = Counter(ev.okrs.objectives["status"])
    report.key_results = Counter(ev.okrs.key_results["status"])
    report.errors = _count_errors(ev)


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
    sent: SentLog | None = None,
) -> tuple[list[Digest], list[tuple[tuple[str, ...], str, str]], frozenset[str]]:
    """The run's alert digests: one per recipient, never one mail per row; with what each
    tells whom (for ``sent``), and the recipients ``sent`` says were told already."""
    items = [*alert_plan.kpi_items(ev, kpi_d, job, now), *alert_plan.kr_items(ev, kr_d, job)]
    for item in alert_plan.unrouted(items):
        log.warning(
            "no recipient for %s %r: set its Owner or [alerts] recipients", item.kind, item.name
        )
    entries = [(rs, f"{item.tab}\x1f{item.name}", item.status) for rs, item in items]
    skipped: set[str] = set()
    if sent is not None:
        fresh = unsent(entries, sent, now)
        skipped = {
            r for (rs, _, _), f in zip(entries, fresh, strict=True) for r in rs if r not in f
        }
        items = [(f, item) for f, (_, item) in zip(fresh, items, strict=True) if f]
        entries = [(f, key, status) for f, (_, key, status) in zip(fresh, entries, strict=True)]
    title = workbook.title if items else ""  # on Google the title costs a request
    return alert_plan.digests(items, title, workbook.url, now), entries, frozenset(skipped)


@dataclass(frozen=True)
class Outbound:
    """Where a run's digests go: mail for addresses, chat for ``#channel`` recipients."""

    mail: Sender
    sender_address: str
    chat: Poster | None = None


def _deliver(
    out: Outbound, digests: Sequence[Digest], report: RunReport, dry_run: bool
) -> DeliveryReport:
    """Compose and send; record each mail, post and refusal in the report.

    Alert digests and weekly digests go in separate calls: the senders report per
    recipient, and one recipient's weekly mail must not stand for their alert mail.
    """
    to_mail = [d for d in digests if not is_channel(d.recipient)]
    to_post = [d for d in digests if is_channel(d.recipient)]
    messages: list[tuple[str, EmailMessage]] = [
        (d.recipient, compose(d, out.sender_address)) for d in to_mail
    ]
    posts = [(d.recipient, chat_post(d)) for d in to_post]
    report.mails += [
        Mail(r, str(m["Subject"]), _size(d), d.weekly, str(m["Message-ID"]))
        for (r, m), d in zip(messages, to_mail, strict=True)
    ]
    report.mails += [
        Mail(r, p.title, _size(d), d.weekly, body=p.body)
        for (r, p), d in zip(posts, to_post, strict=True)
    ]
    if dry_run or not digests:
        return DeliveryReport(accepted=frozenset(), failed={})
    delivered = [out.mail.send(messages)] if messages else []
    if posts:
        delivered.append(_post(out.chat, posts))
    weekly = digests[0].weekly
    what = "weekly digest" if weekly else "alert"
    for result in delivered:
        for recipient, why in result.failed.items():
            retry = "not retried before the next reminder" if recipient in result.refused else ""
            log.error(
                "%s to %s not accepted: %s (%s)", what, recipient, why, retry or "retried next run"
            )
            report.failed[f"{recipient} ({what})" if weekly else recipient] = why
    return DeliveryReport(
        accepted=frozenset().union(*(r.accepted for r in delivered)),
        failed={k: v for r in delivered for k, v in r.failed.items()},
        refused=frozenset().union(*(r.refused for r in delivered)),
    )


def _size(d: Digest) -> int:
    return len(d.summary if d.weekly else d.items)


def _post(chat: Poster | None, posts: Sequence[tuple[str, ChatPost]]) -> DeliveryReport:
    if chat is None:  # a #channel in the sheet with no [channels] at all
        return DeliveryReport(frozenset(), {r: "no [channels] in the config" for r, _ in posts})
    return chat.send(posts)


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
