"""Pacing: each credential's per-minute read and write budget, shared by a run's workbooks.

Google lets each user (a service account is one) make 60 read and 60 write requests a
minute, and answers 429 past that. A worker syncing many workbooks spends one budget: a
:class:`Bucket` per credential holds ``limit`` tokens of each kind; every HTTP attempt takes
one, and a token comes back a window after its answer came back: Google counted the
request on arrival, somewhere between the two, over a rolling minute. So a steady fleet
waits rather than meets a 429, however slow the network.
Sizing a fleet: docs/deployment.md. (A sliding window of our own, as ``limits`` and
``pyrate-limiter`` have none that blocks until a deadline with an injectable clock.)
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sync.config import Job, WorkbookConfig
from sync.errors import OutOfTimeError

Clock = Callable[[], float]
READS_PER_RUN = 3  # the read, the key check before the write, the title for a mail
WRITES_PER_RUN = 2  # the write, and a tab created or grown on a first run


@dataclass(frozen=True)
class Limits:
    """Requests of each kind a credential may make in ``window`` seconds."""

    reads: int = 60
    writes: int = 60
    window: float = 60.0
    margin: float = 0.5  # seconds a token stays spent beyond the window: clock drift


class Token:
    """One request's share of the budget: spent until ``at`` (the time its answer came
    back, ``inf`` while in flight) plus the window, since Google counted it on arrival."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = math.inf


class Bucket:
    """One credential's budget, shared by threads; every attempt takes a token first and
    settles it when its answer is in."""

    def __init__(
        self,
        limits: Limits,
        clock: Clock = time.monotonic,
        wait: Callable[[threading.Condition, float], object] | None = None,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self._spent: dict[str, list[Token]] = {"read": [], "write": []}
        self._changed = threading.Condition()
        self._wait = wait or (lambda cond, seconds: cond.wait(seconds))

    def take(self, kind: str, deadline: float = math.inf, what: str = "") -> tuple[Token, float]:
        """A token of ``kind`` ("read" or "write") and the seconds waited for it;
        ``OutOfTimeError`` if none would come back before ``deadline``."""
        started = self.clock()
        with self._changed:
            while True:
                now = self.clock()
                ready = self._ready(kind, now)
                if isinstance(ready, Token):
                    return ready, now - started
                if ready > deadline:
                    raise OutOfTimeError(
                        f"{what or 'a request'} would wait for the {kind} quota past the "
                        "run's deadline; skipped"
                    )
                self._wait(self._changed, min(ready, deadline) - now)

    def settle(self, token: Token) -> None:
        """The token's request was answered (or failed): its window starts now."""
        with self._changed:
            token.at = self.clock()
            self._changed.notify_all()

    def _ready(self, kind: str, now: float) -> Token | float:
        """A token spent now, or when the oldest answered one comes back (a while, if all
        are in flight: a settle wakes the waiters)."""
        span = self.limits.window + self.limits.margin
        spent = self._spent[kind] = [t for t in self._spent[kind] if t.at > now - span]
        if len(spent) < (self.limits.reads if kind == "read" else self.limits.writes):
            token = Token()
            spent.append(token)
            return token
        return (
            min(t.at for t in spent) + span if any(t.at < math.inf for t in spent) else now + span
        )


class Pacing:
    """A worker's buckets, by credential, kept from run to run; and this run's counts."""

    def __init__(self, limits: Limits | None = None, clock: Clock = time.monotonic) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self.deadline = math.inf
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds, this run
        self.paced = 0  # requests that waited, this run
        self.throttled: dict[str, int] = {}  # workbook -> 429s answered, this run

    def start(self, deadline: float = math.inf) -> None:
        with self._lock:
            self.deadline = deadline
            self.waited, self.paced, self.throttled = 0.0, 0, {}

    def pacer(self, wb: WorkbookConfig) -> Pacer:
        with self._lock:
            bucket = self._buckets.setdefault(credential(wb), Bucket(self.limits, self.clock))
        return Pacer(self, bucket, wb.name)

    def note(self, workbook: str, waited: float, throttled: int) -> None:
        with self._lock:
            self.waited += waited
            self.paced += waited > 0
            if throttled:
                self.throttled[workbook] = self.throttled.get(workbook, 0) + throttled


class Pacer:
    """What one workbook's transport sees: a token before each attempt (the one before it
    settled, as its answer is in by then), the last one settled at the end, 429s counted."""

    def __init__(self, pacing: Pacing, bucket: Bucket, workbook: str) -> None:
        self.pacing = pacing
        self.bucket = bucket
        self.workbook = workbook
        self._open = threading.local()  # this thread's token in flight, if any

    @property
    def deadline(self) -> float:
        return self.pacing.deadline

    def before(self, method: str) -> None:
        self.done()
        kind = "read" if method.upper() == "GET" else "write"
        token, waited = self.bucket.take(kind, self.deadline, f"workbook {self.workbook!r}")
        self._open.token = token
        self.pacing.note(self.workbook, waited, 0)

    def done(self) -> None:
        token = getattr(self._open, "token", None)
        if token is not None:
            self._open.token = None
            self.bucket.settle(token)

    def answered_429(self, count: int) -> None:
        self.done()
        if count:
            self.pacing.note(self.workbook, 0.0, count)


def credential(wb: WorkbookConfig) -> str:
    """Whose quota a workbook spends: its credentials file, or the default ones, at an
    endpoint (an emulator's anonymous caller is one user)."""
    who = str(wb.credentials.resolve()) if wb.credentials else "default credentials"
    return f"{who} at {wb.endpoint or 'https://sheets.googleapis.com'}"


def shortfalls(jobs: Sequence[Job], limits: Limits, interval: float) -> list[str]:
    """Each credential whose budget cannot hold its workbooks' runs within ``interval``
    seconds, as a sentence with the numbers; empty when every budget suffices."""
    fleets: dict[str, int] = {}
    for job in jobs:
        if job.workbook.backend == "google":
            who = credential(job.workbook)
            fleets[who] = fleets.get(who, 0) + 1
    minutes = interval / limits.window
    out = []
    for who, count in fleets.items():
        for kind, per_run, budget in (
            ("read", READS_PER_RUN, limits.reads),
            ("write", WRITES_PER_RUN, limits.writes),
        ):
            if count * per_run > budget * minutes:
                out.append(
                    f"{count} workbook(s) x up to {per_run} {kind} requests a run = "
                    f"{count * per_run} > {budget} {kind}s a minute x {minutes:g} minute(s) "
                    f"between runs = {budget * minutes:g} for {who}: runs will be paced past "
                    "the next tick; run less often, split the workbooks over several service "
                    "accounts, or ask Google for more quota ([google] reads_per_minute)"
                )
    return out
