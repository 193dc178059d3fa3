"""Chat posts through apprise, which speaks Slack, Teams, Google Chat, Discord and webhooks.

Each channel is reported as taken or not, the way the mail sender reports recipients: a
channel that did not take its message is posted to again next run, and the others are not.
Channel URLs are secrets: they never reach a log line or a report.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import apprise

from sync.config import Channel
from sync.notices import DeliveryReport
from sync.notify.chat import ChatPost
from sync.notify.compose import one_line

_ASSET = apprise.AppriseAsset(app_id="metrics-sync", app_desc="KPI and OKR alerts")


class ChatSender:
    """Posts each channel's message with apprise; reports channels by their ``#name``."""

    def __init__(self, urls: Mapping[str, str], timeout: float = 10.0) -> None:
        self._urls = dict(urls)
        self._timeout = timeout

    def send(self, posts: Sequence[tuple[str, ChatPost]]) -> DeliveryReport:
        accepted: set[str] = set()
        failed: dict[str, str] = {}
        for channel, post in posts:
            why = self._post(channel, post)
            if why is None:
                accepted.add(channel)
            else:
                failed[channel] = why
        return DeliveryReport(accepted=frozenset(accepted), failed=failed)

    def _post(self, channel: str, post: ChatPost) -> str | None:
        """``None`` once the service took the message, else why not (no URL in it)."""
        url = self._urls.get(channel.lstrip("#"))
        if url is None:
            return "no URL for this channel (not in [channels], or its url_env is unset)"
        service = apprise.Apprise(asset=_ASSET)
        if not service.add(_with_timeout(url, self._timeout)):
            return "the channel's URL is not one apprise knows (see [channels])"
        with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
            sent = bool(
                service.notify(
                    title=post.title,
                    body=post.body,
                    body_format=apprise.NotifyFormat.MARKDOWN,
                    notify_type=apprise.NotifyType(post.tone),
                )
            )
        if sent:
            return None
        return _reason(captured.getvalue(), url)


def _with_timeout(url: str, seconds: float) -> str:
    """apprise's own ``cto``/``rto`` URL options bound each post's connect and read."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}cto={seconds:g}&rto={seconds:g}"


def _reason(logged: str, url: str) -> str:
    """apprise's last complaint, one line, without the URL (a secret) or its pieces."""
    lines = [line.split(" - ", 2)[-1] for line in logged.splitlines() if line.strip()]
    text = lines[-1] if lines else "the service did not take the message"
    for secret in [url, *url.split("/")[2:]]:
        if len(secret) >= 6:
            text = text.replace(secret, "…")
    return one_line(text)[:300]


def make_poster(channels: Mapping[str, Channel], environ: Mapping[str, str]) -> ChatSender:
    """The config's channels, with URLs from the environment where it names a variable; a
    channel whose variable is unset fails its posts (and ``check`` says which)."""
    urls = {name: c.resolve(environ) for name, c in channels.items()}
    return ChatSender({name: url for name, url in urls.items() if url})
