"""A digest worded for a chat channel: a title and a screenful of Markdown, no I/O.

Digests are addressed to ``#ops`` for a channel and to an address for a mail; posting is
``sync.notify.post``'s job (apprise), imported only when a config has ``[channels]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from sync.display import TEXT_LIMIT
from sync.notices import AlertItem, DeliveryReport, Digest
from sync.notify.compose import duration, one_line, ordered, subject

MAX_LINES = 15  # a screenful in a chat window; the rest are counted ("and N more")
_ICONS = {"CRITICAL": "🔴", "ERROR": "🔴", "OFF TRACK": "🔴", "WARNING": "🟠", "STALE": "🟠"}


def is_channel(recipient: str) -> bool:
    """Digests are addressed to ``#ops`` for a channel, to an address for a mail."""
    return recipient.startswith("#")


Tone = Literal["failure", "warning", "success", "info"]


@dataclass(frozen=True)
class ChatPost:
    """What a channel gets in one run: a title line, a Markdown body, and its tone (the
    colour bar Slack and Teams draw beside it)."""

    title: str
    body: str
    tone: Tone = "info"


def chat_post(digest: Digest, *, max_lines: int = MAX_LINES) -> ChatPost:
    """The digest as a chat message: worst rows first, then resolved, then a link."""
    items = ordered(digest.summary if digest.weekly else digest.items)
    lines = [_line(item, digest) for item in items[:max_lines]]
    if len(items) > max_lines:
        lines.append(f"…and {len(items) - max_lines} more")
    if digest.url:
        lines.append(f"[Open {_text(digest.workbook) or 'the workbook'}]({digest.url})")
    return ChatPost(title=subject(digest), body="\n".join(lines), tone=_tone(digest))


def _tone(digest: Digest) -> Tone:
    if digest.weekly:
        return "info"
    firing = {i.status for i in digest.items if i.reason != "resolved"}
    if firing & {"CRITICAL", "ERROR", "OFF TRACK"}:
        return "failure"
    return "warning" if firing else "success"


def _line(item: AlertItem, digest: Digest) -> str:
    """``🔴 **CRITICAL** Leads: 412 (critical 450), -17.6 % since 2026-11-09, for 3 days``."""
    resolved = item.reason == "resolved" and not digest.weekly
    icon = "✅" if resolved else _ICONS.get(item.status, "⚪")
    word = f"RESOLVED (now {item.status})" if resolved else item.status
    facts = [_text(item.value)]
    if item.threshold and not resolved:
        facts[0] += f" ({_text(item.threshold)})"
    facts += [
        _text(item.change),
        duration(item.since, digest.now) if not resolved else "",
    ]
    detail = ", ".join(f for f in facts if f)
    where = f" — {_text(item.tab)} row {item.row}" if item.row > 0 else ""
    line = f"{icon} **{_text(word)}** {_escape(_text(item.name))}: {detail}{where}"
    return line.rstrip(": ")


def _text(text: str) -> str:
    """Sheet text as a mail shows it (one line, bounded, no control characters)."""
    return one_line(text, TEXT_LIMIT)


def _escape(text: str) -> str:
    """Sheet text shown as text: no Markdown links, emphasis or mentions from a cell."""
    for char in "\\`*_[]<>|~@#":
        text = text.replace(char, "\\" + char)
    return text


class Poster(Protocol):
    """Posts each channel's message; says which channels took theirs."""

    def send(self, posts: Sequence[tuple[str, ChatPost]]) -> DeliveryReport: ...
