"""The HTTP under gspread: Google's URLs sent to the configured endpoint, bounded retries.

A ``urllib3`` ``Retry`` on the mounted adapter rather than gspread's ``BackOffHTTPClient``,
which retries forever, ignores ``Retry-After`` and calls itself not production ready (what the
bounded retry buys is shown by tests/test_faults.py and bench/reliability.py, not a speed).
What is retried and how long it waits: docs/reliability.md.
"""

from __future__ import annotations

import functools
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path
from typing import Any, Protocol, Self
from urllib.parse import urlsplit

import requests
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from sync.backends.google.credentials import load_credentials
from sync.errors import ConfigError
from sync.hosts import is_loopback

DEFAULT_ENDPOINT = "https://sheets.googleapis.com"
GOOGLE_PREFIXES = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def check_endpoint(endpoint: str | None, name: str = "") -> tuple[str, bool]:
    """The API base URL without ``/v4``, and whether it is a loopback address.

    Plain ``http`` is accepted only on loopback (an emulator or a local proxy): anything
    else would send the access token in clear.
    """
    url = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
    parts = urlsplit(url)
    loopback = is_loopback(parts.hostname or "")
    problem = None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        problem = "a base URL such as https://sheets.googleapis.com"
    elif parts.scheme == "http" and not loopback:
        problem = "an https:// URL, or http:// only on a loopback address (127.0.0.1, ::1)"
    elif parts.path.rstrip("/").endswith("/v4"):
        problem = "the base URL without the /v4 path"
    if problem:
        raise ConfigError(f"workbook {name!r}", [f"endpoint = {endpoint!r}: expected {problem}"])
    return url, loopback


def session(
    credentials: Path | None, loopback: bool
) -> tuple[requests.Session, Credentials | None]:
    """An authorised session, or, on loopback without credentials, an anonymous one.

    ``trust_env`` is off on loopback so that an ``HTTPS_PROXY`` in the environment never
    captures traffic meant for a local emulator.
    """
    http: requests.Session
    creds = None
    if loopback and credentials is None:
        http = requests.Session()
    else:
        creds = load_credentials(credentials)
        http = AuthorizedSession(creds)  # type: ignore[no-untyped-call]
    http.trust_env = not loopback
    return http, creds


class Pacer(Protocol):
    """The run's pacing as the transport sees it (sync/pacing.py): a token before every
    attempt, the 429s Google answered, and the run's deadline (``time.monotonic``)."""

    @property
    def deadline(self) -> float: ...

    def before(self, method: str) -> None: ...

    def answered_429(self, count: int) -> None: ...


@dataclass
class Tally:
    """What happened to one logical request across its attempts (for error messages)."""

    started: float = field(default_factory=time.monotonic)
    attempts: int = 1
    causes: list[str] = field(default_factory=list)
    out_of_time: bool = False

    def describe(self) -> str:
        took = time.monotonic() - self.started
        why = "; retry budget spent" if self.out_of_time else ""
        return f"after {self.attempts} attempt(s) in {took:.1f} s{why}"


class BudgetRetry(Retry):
    """``Retry`` that also stops once the next wait would overrun a deadline."""

    def __init__(
        self,
        *args: Any,
        deadline: float = math.inf,
        tally: Tally | None = None,
        pace: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.tally = tally or Tally()
        self.pace = pace

    def new(self, **kw: Any) -> Self:
        kw.setdefault("deadline", self.deadline)
        kw.setdefault("tally", self.tally)
        kw.setdefault("pace", self.pace)
        return super().new(**kw)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """The wait before a retry, then a token from the run's pacing: a retry spends
        quota as the first attempt did."""
        super().sleep(response)
        if self.pace is not None:
            self.pace()

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Self:
        cause = f"HTTP {response.status}" if response is not None else type(error).__name__
        self.tally.causes.append(cause)
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if time.monotonic() + retry.next_wait(response) > self.deadline:
            self.tally.out_of_time = True
            raise MaxRetryError(_pool, url or "", error or ResponseError(cause))
        self.tally.attempts += 1
        return retry

    def get_backoff_time(self) -> float:
        """``backoff_factor`` x 1, 2, 4, ... for the 1st, 2nd, 3rd retry in a row, plus up to
        ``backoff_jitter`` at random, at most ``backoff_max``. (urllib3's own waits nothing
        before the first retry: a 429 would be answered by another at once.)"""
        errors = len(list(takewhile(lambda h: h.redirect_location is None, reversed(self.history))))
        return self.backoff(errors) if errors else 0.0

    def backoff(self, n: int) -> float:
        """The wait before the ``n``-th retry in a row (1, 2, ...): the one formula, for the
        transport's retries and for the cell writes ``GoogleWorkbook`` retries itself."""
        wait = self.backoff_factor * 2 ** (n - 1) + random.random() * self.backoff_jitter
        return float(min(self.backoff_max, wait))

    def next_wait(self, response: BaseHTTPResponse | None) -> float:
        if self.respect_retry_after_header and response is not None:
            after = self.get_retry_after(response)
            if after:
                return after
        return self.get_backoff_time()


def retry_policy(backoff_factor: float, max_attempts: int) -> BudgetRetry:
    return BudgetRetry(
        total=max(0, max_attempts - 1),
        connect=None,
        read=None,
        status=None,
        other=0,
        redirect=0,
        allowed_methods=None,  # every request we send is safe to repeat: docs/google.md
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_jitter=backoff_factor,
        backoff_max=30.0,
        raise_on_status=False,
        respect_retry_after_header=True,
    )


class SheetsAdapter(HTTPAdapter):
    """Sends Google API URLs to the configured endpoint, retrying within a time budget."""

    def __init__(
        self, endpoint: str, policy: BudgetRetry, budget: float, pacer: Pacer | None = None
    ) -> None:
        super().__init__(max_retries=policy)
        self.endpoint = endpoint
        self.policy = policy
        self.budget = budget
        self.pacer = pacer
        self.carry: Tally | None = None  # set by a caller retrying a cell write itself
        self.last = Tally()
        self.sent = 0  # HTTP attempts, retries included: what Google's quota counts

    def deadline(self) -> float:
        """When a request sent now, with its retries, must be done by."""
        end = time.monotonic() + self.budget
        return min(end, self.pacer.deadline) if self.pacer is not None else end

    def next_wait(self, attempt: int, retry_after: str | None) -> float | None:
        """The wait before retry ``attempt`` (1st, 2nd, ...) of a request the caller retries
        itself, as this adapter would wait; None once the attempts are spent."""
        if attempt >= (self.policy.total or 0) + 1:
            return None
        if retry_after and self.policy.respect_retry_after_header:
            try:
                return self.policy.parse_retry_after(retry_after)
            except InvalidHeader:
                pass
        return self.policy.backoff(attempt)

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        for prefix in GOOGLE_PREFIXES:
            if url.startswith(prefix):
                request.url = f"{self.endpoint}/{url[len(prefix) :]}"
                break
        once = request.method == "POST" and self.carry is not None  # GoogleWorkbook._send
        self.last = self._tally(once)
        first, known = self.last.attempts, len(self.last.causes)
        pace = None
        if self.pacer is not None:
            pace = functools.partial(self.pacer.before, request.method or "GET")
            pace()
        self.max_retries = self.policy.new(deadline=self.deadline(), tally=self.last, pace=pace)
        if once:  # as it is: rows may move during a wait (GoogleWorkbook retries it)
            self.max_retries = self.max_retries.new(total=0, status_forcelist=frozenset())
        try:
            response = super().send(request, *args, **kwargs)
            if once and response.status_code in RETRY_STATUSES:
                self.last.causes.append(f"HTTP {response.status_code}")
            return response
        finally:
            self.sent += self.last.attempts - first + 1
            if self.pacer is not None:
                self.pacer.answered_429(self.last.causes[known:].count("HTTP 429"))

    def _tally(self, once: bool) -> Tally:
        """A new tally, or for a cell write the caller retries, the one of its attempts."""
        if not once or self.carry is None:
            return Tally()
        self.carry.attempts += bool(self.carry.causes)
        return self.carry
