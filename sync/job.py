"""One run of one workbook: the one place that orders I/O.

read -> evaluate -> decide -> notify -> write. ``--dry-run`` stops before the last
two and reports what they would have done. ``Last alert`` is written only for rows
whose every recipient's mail the server accepted, so a failed mail is retried; the
weekly digest's state is kept on the Status tab the same way (sync/digest.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from sync import alert_plan, tab_memory
from sync import digest as weekly
from sync.alert_plan import Decisions
from sync.backends.base import Workbook
from sync.cells import name_key
from sync.config import KPI_OWNED, OKR_OWNED, DigestConfig, Job
from sync.errors import ConcurrentEditError
from sync.evaluate import Evaluation, evaluate
from sync.grid import Grid, OwnedTab, Row, RowKey
from sync.notices import Digest
from sync.notify.chat import Poster
from sync.notify.email import Sender
from sync.outbound import Outbound, charted, deliver, digests_for, title_of
from sync.report import RunReport
from sync.rules import kr_history
from sync.rules import status as st
from sync.rules.burnup_lines import burnups
from sync.sent_log import SentLog, record_all
from sync.stamps import stamp, stamp_series
from sync.status_tab import StatusPage, render
from sync.writeback import (
    Change,
    cell_updates,
    header_check,
    owned_positions,
    row_keys,
)

log = logging.getLogger("metrics_sync")


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

    The Status tab remembers the workbook's title and the tabs it lacks (sync/tab_memory.py),
    so that on Google a run asks for neither. If rows moved between the read and the write
    (``ConcurrentEditError`` with fresh grids), the run re-maps once (:func:`_remap`); a
    second move ends the run with nothing written.
    """
    grids, memory = read_tabs(workbook, job)
    ev = evaluate(grids, now, job)
    report = RunReport(workbook=job.workbook.name)
    _count(report, ev)
    kpi_d = alert_plan.decide_kpis(ev, now, job)
    kr_d = alert_plan.decide_key_results(ev, now, job)
    for note in (*kpi_d.notes, *kr_d.notes):
        log.warning("%s", note)
    ev = replace(ev, problems=(*ev.problems, *kpi_d.notes, *kr_d.notes))  # on the Status tab
    today = now.astimezone(job.tz).date()
    # Drawn only for a mail that shows one (a steady run mails nothing): 0.8 s at 1,000 KRs.
    burns = functools.cache(lambda: burnups(ev.okrs, ev.points, ev.cycle, today, job.okr))
    digests, routed, skipped = digests_for(
        ev, kpi_d, kr_d, job, workbook=workbook, now=now, sent=sent, memory=memory, burns=burns
    )
    out = Outbound(sender, sender_address, chat)
    delivered = deliver(out, digests, report, dry_run)
    if sent is not None and not dry_run:  # before the write, which may fail
        record_all(sent, routed, delivered.accepted, now)
        sent.save(now)
    told_before = skipped - {d.recipient for d in digests}  # told in an earlier run
    settled = delivered.accepted | delivered.refused | told_before  # not retried every run
    state = weekly.read_state(grids.get(job.tabs.status))
    due = weekly.due_recipients(state, now, digest) if digest else ()
    summary = alert_plan.summary(ev, kpi_d, job) if due else ()
    summary = tuple(charted(i, ev, burns()) for i in summary)
    weekly_digests = [
        Digest(r, (), title_of(workbook, memory), workbook.url, now, weekly=True, summary=summary)
        for r in due
    ]
    took = deliver(out, weekly_digests, report, dry_run).accepted
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
    footer = _footer(workbook, job, grids, memory)
    try:
        workbook.write(
            [c.update for c in updates],
            _owned_tabs(ev, now, job, extra, grids, footer=footer),
            keys,
        )
    except ConcurrentEditError as err:
        if err.grids is None:
            raise
        grids = {**grids, **err.grids}
        ev = _remap(
            job, workbook, grids, now, before=ev, last=last, extra=extra, report=report, moved=err
        )
    _remember(workbook, job, grids, ev=ev, now=now, extra=extra, written=footer)
    return report


def read_tabs(workbook: Workbook, job: Job) -> tuple[dict[str, Grid | None], tab_memory.Memory]:
    """Every tab of the job: all but the KPI log in one read, then the log in its own read
    unless the Status tab just read says the workbook has none (sync/tab_memory.py)."""
    grids = workbook.read(job.tabs.to_read(log=False))
    memory = tab_memory.read_memory(grids.get(job.tabs.status))
    log_tab = job.tabs.log
    if log_tab and memory.skips(log_tab):
        grids[log_tab] = None
    elif log_tab:
        grids.update(workbook.read([log_tab]))
    return grids, memory


def _footer(
    workbook: Workbook, job: Job, grids: dict[str, Grid | None], memory: tab_memory.Memory
) -> list[Row]:
    """The Status tab's memory rows, as this run knows the workbook now."""
    owned = (job.tabs.status, job.tabs.kr_history)  # the run itself creates these
    names = [t for t in job.tabs.to_read() if t not in owned]
    now = tab_memory.known(names, workbook.outline, grids)
    return tab_memory.rows(now, memory.title if memory.title is not None else "")


def _remember(
    workbook: Workbook,
    job: Job,
    grids: dict[str, Grid | None],
    *,
    ev: Evaluation,
    now: dt.datetime,
    extra: Sequence[Row],
    written: list[Row],
) -> None:
    """Write the memory rows again if the write's answer showed the workbook has changed
    (a tab added or removed, the spreadsheet renamed): once, so that the next run reads
    the new tab. A steady run sends nothing here."""
    fresh = _footer(workbook, job, grids, tab_memory.read_memory(written))
    if fresh != written:
        workbook.write([], [_status_tab(ev, now, job, extra, fresh)])


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
) -> Evaluation:
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
    footer = _footer(workbook, job, grids, tab_memory.read_memory(grids.get(job.tabs.status)))
    try:
        workbook.write(
            [c.update for c in updates],
            _owned_tabs(ev, now, job, extra, grids, footer=footer),
            keys,
        )
    except ConcurrentEditError as again:
        sent = len(report.mails) - len(report.failed)
        resend = f", and may send its {sent} mail(s) again" if sent > 0 else ""
        raise ConcurrentEditError(
            "rows moved twice while the sync ran, so it gave up and wrote nothing; the next "
            f"run starts afresh{resend} (the second time: {again})"
        ) from again
    return ev


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


def _owned_tabs(
    ev: Evaluation,
    now: dt.datetime,
    job: Job,
    extra: Sequence[Row],
    grids: dict[str, Grid | None],
    *,
    footer: Sequence[Row] = (),
) -> list[OwnedTab]:
    """The Status tab, and the KR history tab where one is kept: both go in the run's one
    write, so the history costs no request of its own. The history tab is created only once
    there is something to record in it."""
    tabs = [_status_tab(ev, now, job, extra, footer)]
    history, name = ev.kr_history, job.tabs.kr_history
    if history is not None and (grids.get(name) is not None or not history.empty):
        tabs.append(OwnedTab(name, kr_history.to_grid(history)))
    return tabs


def _status_tab(
    ev: Evaluation, now: dt.datetime, job: Job, extra: Sequence[Row], footer: Sequence[Row] = ()
) -> OwnedTab:
    """The Status tab; its heading names no workbook (the footer does, as remembered)."""
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
        footer=footer,
    )
    return render(page, job.tabs.status)


def _count_errors(ev: Evaluation) -> int:
    return int(
        (ev.kpis["status"] == st.ERROR).sum() + (ev.okrs.key_results["status"] == st.ERROR).sum()
    )


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
