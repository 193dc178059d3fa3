"""The heartbeat: a dead-man's switch, so a cron job that stops running is noticed.

``[monitor] ping_url`` follows the healthchecks.io convention: ``<url>/start`` when a
run begins, ``<url>`` when it succeeded and ``<url>/fail`` when it failed, each with a
run id (``?rid=``) that pairs the start with its end, and a short text body (the run
summary) that the monitoring service shows. A ping never fails a run: it has a timeout,
and any problem is logged and forgotten. Log lines never show the URL, whose path is
the check's secret token.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sync.hosts import url_is_loopback

if TYPE_CHECKING:
    import requests

log = logging.getLogger("metrics_sync")

MAX_BODY = 10_000  # characters; healthchecks.io keeps the first 100 kB of a ping's body


def clear_text_url(url: str | None) -> str | None:
    """A warning when the ping URL, whose path is a secret, would cross a network in clear."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme != "http" or url_is_loopback(url):
        return None
    return (
        f"monitor.ping_url is plain http:// to {parts.hostname}: its secret path travels in "
        "clear text, and anyone on the way can ping for us"
    )


class Heartbeat:
    """Pings ``url`` (or does nothing when it is None). Never raises."""

    def __init__(
        self,
        url: str | None,
        *,
        timeout: tuple[float, float] = (5.0, 10.0),
        retries: int = 2,
        session: requests.Session | None = None,
    ) -> None:
        self.url = url.rstrip("/") if url else None
        warning = clear_text_url(url)
        if warning:
            log.warning("%s; use https://", warning)
        self.timeout = timeout
        self.retries = retries
        self.session = session  # made at the first ping: most setups have no ping URL
        self.rid = ""

    def start(self) -> None:
        """A run begins: a new run id, and ``/start``."""
        self.rid = str(uuid.uuid4())
        self._ping("/start", "")

    def success(self, body: str = "") -> None:
        self._ping("", body)

    def fail(self, body: str = "") -> None:
        self._ping("/fail", body)

    def _ping(self, suffix: str, body: str) -> None:
        if self.url is None:
            return
        import requests  # here: loading it costs a steady run 60 ms, and most never ping

        self.session = self.session or _session(self.retries)
        where = urlsplit(self.url).netloc
        params = {"rid": self.rid} if self.rid else {}
        try:
            response = self.session.post(
                self.url + suffix,
                params=params,
                timeout=self.timeout,
                data=body[:MAX_BODY].encode(),
            )
        except requests.RequestException as err:
            log.warning("heartbeat%s: %s %s; the run goes on", suffix, where, self._why(err))
        else:
            if response.ok:
                log.debug("heartbeat%s: %s answered %d", suffix, where, response.status_code)
            else:
                log.warning(
                    "heartbeat%s: %s answered HTTP %d; check [monitor] ping_url",
                    suffix,
                    where,
                    response.status_code,
                )

    def _why(self, err: requests.RequestException) -> str:
        """What went wrong, without the URL (requests puts it in every message)."""
        import requests
        import urllib3

        reason = getattr(err.args[0], "reason", None) if err.args else None
        if isinstance(reason, urllib3.exceptions.NewConnectionError):  # before: a subclass
            return "refused the connection or could not be reached"  # of TimeoutError
        if isinstance(err, requests.Timeout) or isinstance(reason, urllib3.exceptions.TimeoutError):
            return f"did not answer within {self.timeout[1]:g}s"
        return f"could not be reached ({type(reason or err).__name__})"


def _session(retries: int) -> requests.Session:
    """Bounded retries on connection errors and 5xx answers, POSTs included (a ping is safe
    to repeat); the environment's proxy settings are honoured."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=0.5,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=None,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
