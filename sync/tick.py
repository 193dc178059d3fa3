"""A run's deadline and breaker, so that a bad day at Google ends a run early and clearly.

A run longer than the schedule's interval piles up behind the next one, and an outage
makes each workbook retry for a minute in turn. The deadline stops workbooks from
starting once it has passed (and bounds every wait, through sync/pacing.py); the breaker
stops the run after ``trip_after`` workbooks in a row failed with an outage (5xx,
timeouts). What is skipped, and why: docs/reliability.md.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from sync.config import ScheduleConfig

TRIP_AFTER = 3  # workbooks in a row failing with an outage
ONCE_DEADLINE = 540.0  # seconds: under systemd's TimeoutStartSec=10min (docs/deployment.md)


def interval(cfg: ScheduleConfig) -> float:
    """Seconds between two runs of the worker."""
    return (cfg.every or dt.timedelta(days=1)).total_seconds()


def run_deadline(cfg: ScheduleConfig, *, once: bool) -> float:
    """Seconds a run may take: ``[schedule] deadline``; else the interval, so runs never
    pile up; for ``--once`` (cron, a systemd timer) at most 9 minutes."""
    if cfg.deadline is not None:
        return cfg.deadline.total_seconds()
    return min(interval(cfg), ONCE_DEADLINE) if once else interval(cfg)


class Tick:
    """One run's deadline and breaker; shared by the threads syncing its workbooks."""

    def __init__(
        self,
        seconds: float,
        trip_after: int = TRIP_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.deadline = clock() + seconds
        self.trip_after = trip_after
        self.clock = clock
        self.in_a_row = 0
        self.tripped = False
        self.skipped: list[str] = []
        self._lock = threading.Lock()

    def stop_reason(self) -> str | None:
        """Why a workbook not yet started must not start, or None."""
        if self.tripped:
            return (
                f"{self.trip_after} workbooks in a row failed with Google unavailable "
                "(HTTP 5xx or timeouts)"
            )
        if self.clock() >= self.deadline:
            return f"the run's deadline ({self.seconds:g} s) has passed"
        return None

    def skip(self, name: str) -> None:
        with self._lock:
            self.skipped.append(name)

    def record(self, *, outage: bool) -> None:
        """A workbook's end: an outage counts towards the breaker, anything else resets it."""
        with self._lock:
            self.in_a_row = self.in_a_row + 1 if outage else 0
            self.tripped = self.tripped or self.in_a_row >= self.trip_after
