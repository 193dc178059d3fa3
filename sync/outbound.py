"""What a run tells whom: its digests, routed to mail or chat, sent, and what each took.

A recipient ``#ops`` is a chat channel (``sync.notify.post``), any other an address; alert
digests and weekly digests go in separate calls, since the senders report per recipient.
The local record of what was sent (sync/sent_log.py) holds back rows told already.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from email.message import EmailMessage

from sync import alert_plan, tab_memory
from sync.alert_plan import Decisions
from sync.backends.base import Workbook
from sync.burnup import Burnup
from sync.config import Job
from sync.evaluate import Evaluation
from sync.notices import AlertItem, DeliveryReport, Digest
from sync.notify.chat import ChatPost, Poster, chat_post, is_channel
from sync.notify.compose import compose
from sync.notify.email import Sender
from sync.report import Mail, RunReport
from sync.sent_log import SentLog, unsent

log = logging.getLogger("metrics_sync")


def title_of(workbook: Workbook, memory: tab_memory.Memory) -> str:
    """The workbook's title: known, remembered, or (on Google, one request) asked for."""
    if workbook.outline is not None:
        return workbook.outline.title
    return memory.title if memory.title is not None else workbook.title


def digests_for(
    ev: Evaluation,
    kpi_d: Decisions,
    kr_d: Decisions,
    job: Job,
    *,
    workbook: Workbook,
    now: dt.datetime,
    sent: SentLog | None = None,
    memory: tab_memory.Memory,
    burns: Callable[[], Mapping[str, Burnup]] = dict,
) -> tuple[list[Digest], list[tuple[tuple[str, ...], str, str]], frozenset[str]]:
    """The run's alert digests: one per recipient, never one mail per row; with what each
    tells whom (for ``sent``), and the recipients ``sent`` says were told already. A key
    result's item carries its objective's burn-up, for the chart."""
    krs = [(r, charted(i, ev, burns())) for r, i in alert_plan.kr_items(ev, kr_d, job)]
    items = [*alert_plan.kpi_items(ev, kpi_d, job, now), *krs]
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
    title = title_of(workbook, memory) if items else ""  # asked for only if not remembered
    return alert_plan.digests(items, title, workbook.url, now), entries, frozenset(skipped)


def charted(item: AlertItem, ev: Evaluation, burns: Mapping[str, Burnup]) -> AlertItem:
    """The item with its objective's burn-up, for the chart in the mail."""
    krs = ev.okrs.key_results
    if item.kind == "objective":
        return replace(item, burnup=burns.get(item.name))
    if item.kind == "key_result" and item.row in krs.index:
        return replace(item, burnup=burns.get(str(krs.at[item.row, "objective"])))
    return item


@dataclass(frozen=True)
class Outbound:
    """Where a run's digests go: mail for addresses, chat for ``#channel`` recipients."""

    mail: Sender
    sender_address: str
    chat: Poster | None = None


def deliver(
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
