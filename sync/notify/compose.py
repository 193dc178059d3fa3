"""Digest -> e-mail message: what a recipient reads, built without any I/O or clock.

``compose`` is pure: the same digest gives the same headers and text, so a retry after a
lost SMTP reply carries the same Message-ID and mail systems drop the duplicate (delivery is
at least once; see docs/alerts.md). Sheet text reaches the mail in three places, each guarded:
the subject (only the workbook title), the HTML part (Jinja2 autoescaping) and the text
part; in all three it is bounded and stripped of control and bidi characters first
(sync/display.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING

from sync.display import NOTE_LIMIT, TEXT_LIMIT, shown
from sync.notices import AlertItem, Digest
from sync.notify import chart
from sync.rules.status import KPI_ORDER, OKR_ORDER, SEVERITY

if TYPE_CHECKING:
    import jinja2

MAX_DETAILED = 50  # items shown in full; the rest are counted ("+N more")
MAX_CHARTS = 10  # inline PNGs per mail, to keep a bad day's mail small
SUBJECT_TAG = "[metrics-sync]"
_TITLE_LIMIT = 120
_BREACHED = frozenset({"WARNING", "CRITICAL"})
_COLOURS = {
    "ERROR": "#c62828",
    "CRITICAL": "#c62828",
    "OFF TRACK": "#c62828",
    "WARNING": "#d08700",
    "STALE": "#d08700",
    "AT RISK": "#d08700",
    "OK": "#2e7d32",
    "DONE": "#2e7d32",
    "ON TRACK": "#2e7d32",
}
_GREY = "#757575"
# Headers are written unfolded (up to RFC 5322's hard limit of 998): Python's folder leaves a
# space at the end of a line before an encoded word, so a folded subject read back shows
# "resolved  — Title" with two spaces. Bodies are already encoded when this applies.
HEADER_POLICY = policy.default.clone(max_line_length=998)
_STATUS_ORDER = KPI_ORDER + tuple(s for s in OKR_ORDER if s not in KPI_ORDER)


@dataclass(frozen=True)
class Entry:
    """One item as the templates show it: every field already a display string."""

    name: str
    status: str
    previous: str
    resolved: bool
    value: str
    threshold: str
    change: str
    owner: str
    duration: str  # "for 3 days", or "" when unknown
    note: str
    where: str  # "KPIs row 5"
    colour: str
    chart_cid: str | None = None
    chart_alt: str = ""  # what the chart shows, for mail readers without images


def compose(digest: Digest, sender: str, *, charts: bool = True) -> EmailMessage:
    """The mail for one digest: text part first, then HTML (with inline charts if any).

    ``charts=False`` leaves the charts out even when matplotlib is installed.
    """
    domain = _domain(sender)
    digest_id = _digest_hash(digest)
    items = ordered(digest.summary or digest.items) if digest.weekly else ordered(digest.items)
    shown = items[:MAX_DETAILED]
    pngs = _charts(shown, digest_id, domain, weekly=digest.weekly) if charts else {}
    context = _context(digest, items, shown, {i: cid for i, (cid, _) in pngs.items()})
    message = _headers(digest, sender, f"<{digest_id}@{domain}>")
    message.set_content(_render("digest.txt", context), cte="quoted-printable")
    message.add_alternative(_render("digest.html", context), subtype="html", cte="quoted-printable")
    _attach_charts(message, [pngs[i] for i in sorted(pngs)])
    message.policy = HEADER_POLICY
    return message


def _context(
    digest: Digest, items: Sequence[AlertItem], shown: Sequence[AlertItem], cids: Mapping[int, str]
) -> dict[str, object]:
    """What both templates see: display strings only, sheet text already on one line."""
    return {
        "subject": subject(digest),
        "headline": _headline(digest, items),
        "workbook": one_line(digest.workbook, TEXT_LIMIT),
        "url": _safe_url(digest.url),
        "entries": [_entry(item, digest, cids.get(i)) for i, item in enumerate(shown)],
        "more": len(items) - len(shown),
        "weekly": digest.weekly,
    }


def subject(digest: Digest) -> str:
    """``[metrics-sync] 2 critical, 1 warning, 1 resolved — Title``: counts people filter on."""
    title = one_line(digest.workbook, _TITLE_LIMIT) or "workbook"
    if digest.weekly:
        return f"{SUBJECT_TAG} Weekly summary — {title}"
    return f"{SUBJECT_TAG} {_counts(digest.items) or 'nothing to report'} — {title}"


# -- ordering and counting ------------------------------------------------------------


def _rank(item: AlertItem) -> tuple[bool, int, int, str, str]:
    """Firing before resolved, worst status first, then by name for a stable order."""
    order = _STATUS_ORDER.index(item.status) if item.status in _STATUS_ORDER else 99
    resolved = item.reason == "resolved"
    return (resolved, -SEVERITY.get(item.status, 0), order, item.kind, item.name.casefold())


def ordered(items: Iterable[AlertItem]) -> list[AlertItem]:
    return sorted(items, key=_rank)


def _counts(items: Sequence[AlertItem]) -> str:
    """``2 critical, 1 still critical, 1 resolved``: status words in severity order, resolved
    last. A reminder (``repeat``) says "still", so a mail of reminders alone does not read as
    a new breach in the inbox."""
    tally: Counter[str] = Counter()
    for item in sorted(items, key=lambda i: (*_rank(i)[:3], i.reason == "repeat")):
        word = one_line(item.status).lower()
        if item.reason == "resolved":
            word = "resolved"
        elif item.reason == "repeat":
            word = f"still {word}"
        tally[word] += 1
    return ", ".join(f"{n} {word}" for word, n in tally.items())


def _headline(digest: Digest, items: Sequence[AlertItem]) -> str:
    if not digest.weekly:
        return _counts(items) or "nothing to report"
    tally = Counter(one_line(item.status).upper() for item in items)
    return ", ".join(f"{n} {word}" for word, n in tally.items()) or "no rows"


# -- entries ------------------------------------------------------------------------------


def _entry(item: AlertItem, digest: Digest, chart_cid: str | None) -> Entry:
    tab = one_line(item.tab, TEXT_LIMIT)
    return Entry(
        name=one_line(item.name, TEXT_LIMIT),
        status=one_line(item.status, TEXT_LIMIT),
        previous=one_line(item.previous, TEXT_LIMIT),
        resolved=item.reason == "resolved" and not digest.weekly,  # a summary shows states
        value=one_line(item.value, TEXT_LIMIT),
        threshold=one_line(item.threshold, TEXT_LIMIT),
        change=one_line(item.change, TEXT_LIMIT),
        owner=one_line(item.owner, TEXT_LIMIT),
        duration=duration(item.since, digest.now),
        note=one_line(item.note, NOTE_LIMIT),
        where=f"{tab} row {item.row}" if item.row > 0 else tab,
        colour=_COLOURS.get(item.status, _GREY),
        chart_cid=chart_cid,
        chart_alt=_chart_alt(item),
    )


def _chart_alt(item: AlertItem) -> str:
    if item.burnup is not None:
        return f"progress of {one_line(item.burnup.objective, TEXT_LIMIT)} over the cycle"
    return f"recent values of {one_line(item.name, TEXT_LIMIT)}"


def duration(since: dt.datetime | None, now: dt.datetime) -> str:
    """How long a status has held, in the largest whole unit: ``for 3 days``."""
    if since is None:
        return ""
    seconds = (_aware(now) - _aware(since)).total_seconds()
    if seconds < 0:
        return ""
    if seconds < 60:
        return "for less than a minute"
    for unit, size, above in (("day", 86400, 2 * 86400), ("hour", 3600, 3600)):
        if seconds >= above:
            return _plural(int(seconds // size), unit)
    return _plural(int(seconds // 60), "minute")


def _plural(n: int, unit: str) -> str:
    return f"for {n} {unit}{'' if n == 1 else 's'}"


def _aware(moment: dt.datetime) -> dt.datetime:
    """Naive datetimes are read as UTC, so a naive ``since`` never breaks a mail."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# -- sanitising ---------------------------------------------------------------------------


def one_line(text: str, limit: int | None = None) -> str:
    """Sheet text as the mail shows it (sync/display.py): no CR/LF ever leaves a cell, no
    bidi override turns a line around, and ``limit`` bounds what one cell adds to a mail."""
    return shown(" ".join(text.split()), limit)


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links: a ``javascript:`` URL would survive autoescaping."""
    if url and re.match(r"^https?://[^\s]+$", url.strip()) and url.strip().isprintable():
        return url.strip()
    return None


def _domain(sender: str) -> str:
    """The Message-ID's right side: the sender's domain, reduced to a dot-atom."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    return re.sub(r"[^A-Za-z0-9.-]", "", domain).strip(".") or "metrics-sync.invalid"


# -- headers and identity -----------------------------------------------------------------


def _digest_hash(digest: Digest) -> str:
    """What makes two mails "the same": recipient, workbook and the alert set — never the clock.

    Each item contributes its key (kind, name, status, reason) plus ``since`` and
    ``last_alert``: a retry of an unrecorded mail repeats them exactly, while a repeat
    reminder (new ``last_alert``) or a new episode (new ``since``) must not be swallowed as a
    duplicate by the receiving system. A weekly summary adds its ISO week, the coarsest
    element that still tells one week's summary from the next.
    """
    parts = [one_line(digest.recipient).lower(), one_line(digest.workbook)]
    parts += sorted(f"{i.key}|{_iso(i.since)}|{_iso(i.last_alert)}" for i in digest.items)
    if digest.weekly:
        year, week, _ = digest.now.isocalendar()
        parts.append(f"weekly:{year}-W{week:02d}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _iso(moment: dt.datetime | None) -> str:
    return _aware(moment).isoformat() if moment else ""


def _headers(digest: Digest, sender: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject(digest)
    message["From"] = one_line(sender)
    message["To"] = one_line(digest.recipient)
    message["Date"] = format_datetime(_aware(digest.now))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders stay quiet
    message["X-Auto-Response-Suppress"] = "All"  # the same, for Exchange
    message["Precedence"] = "bulk"
    return message


# -- rendering ----------------------------------------------------------------------------


@functools.cache
def _environment() -> jinja2.Environment:
    """Autoescape on for .html (sheet text is untrusted), off for the .txt part. jinja2 is
    imported here: a run that mails nothing, most of them, need not load it."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("sync.notify", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(name: str, context: Mapping[str, object]) -> str:
    return _environment().get_template(name).render(context)


# -- charts -------------------------------------------------------------------------------


def _charts(
    items: Sequence[AlertItem], digest_id: str, domain: str, *, weekly: bool = False
) -> dict[int, tuple[str, bytes]]:
    """Index of an item -> (Content-ID, PNG); empty without matplotlib. A breached KPI's
    recent values (alert mails), and each objective's burn-up once per mail, beside its
    first item (the objective in the weekly summary, a key result in an alert mail)."""
    found: dict[int, tuple[str, bytes]] = {}
    objectives: set[str] = set()
    for index, item in enumerate(items):
        if len(found) >= MAX_CHARTS:
            break
        png = None
        if item.burnup is not None and item.burnup.objective not in objectives:
            objectives.add(item.burnup.objective)
            png = chart.render_burnup(item.burnup)
        elif _kpi_charted(item) and not weekly:
            png = chart.render_png(item)
        if png is not None:
            found[index] = (f"chart{index}.{digest_id[:12]}@{domain}", png)
    return found


def _kpi_charted(item: AlertItem) -> bool:
    return item.kind == "kpi" and item.reason != "resolved" and item.status in _BREACHED


def _attach_charts(message: EmailMessage, pngs: Sequence[tuple[str, bytes]]) -> None:
    """HTML and its images go in one multipart/related, referenced as ``cid:``."""
    if not pngs:
        return
    html = message.get_body(("html",))
    assert html is not None  # compose always adds it
    for number, (cid, png) in enumerate(pngs, start=1):
        html.add_related(
            png,
            "image",
            "png",
            cid=f"<{cid}>",
            disposition="inline",
            filename=f"chart-{number}.png",
        )
