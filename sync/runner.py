"""A run of every workbook of the config: locks, pacing, the tick's deadline, the heartbeat.

Each workbook is synced under its own lock with its own log line and report; the worst exit
code wins, in the order 0 < 3 < 1 < 2 (a skip means another run is doing the work; a
failure needs a person).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sync import logs
from sync.backends import opened
from sync.config import Config, Job
from sync.errors import LockedError, SyncError, UnavailableError
from sync.lock import workbook_lock
from sync.monitor import Heartbeat
from sync.notify.email import make_sender
from sync.output import Output
from sync.pacing import Limits, Pacing, shortfalls
from sync.sent_log import SentLog, sent_log_path
from sync.tick import Tick, interval

if TYPE_CHECKING:
    from sync.report import RunReport

log = logging.getLogger(logs.LOGGER)
SEVERITY = {0: 0, 3: 1, 1: 2, 2: 3}  # exit codes, least to most severe


def worst(codes: Sequence[int]) -> int:
    return max(codes, key=lambda c: SEVERITY.get(c, 3), default=0)


@dataclass(frozen=True)
class Outcome:
    """One workbook's part of a run: its exit code, and whether ops should be told."""

    code: int
    healthy: bool  # False: the run failed, a mail was not sent or a lock is stuck
    line: str
    ran: bool = True  # False: skipped, another run holds the lock
    outage: bool = False  # Google unavailable (5xx, timeouts): counted by the breaker


class Runner:
    """A run of every workbook: locks, heartbeat, one summary line each and one overall.

    Workbooks are synced a few at a time (``[google] workers``), each under its own lock
    with its own log lines and report, all spending their credential's quota through one
    :class:`Pacing` that lives as long as the worker (sync/pacing.py); a :class:`Tick`
    ends the run at its deadline or after an outage (sync/tick.py).
    """

    def __init__(
        self, cfg: Config, out: Output, heartbeat: Heartbeat, pacing: Pacing | None = None
    ) -> None:
        self.cfg = cfg
        self.out = out
        self.heartbeat = heartbeat
        google = cfg.google
        self.pacing = pacing or Pacing(Limits(google.reads_per_minute, google.writes_per_minute))
        self._started = False  # /start sent in this run
        self._lock = threading.Lock()

    def run_all(
        self,
        now: dt.datetime,
        *,
        dry_run: bool,
        deadline: float = math.inf,
        tick: Tick | None = None,
    ) -> int:
        """Every workbook; ``deadline``: seconds the run may take (sync/tick.py)."""
        started = time.monotonic()
        log.info(
            "run started%s: %d workbook(s), as of %s",
            " (dry run)" if dry_run else "",
            len(self.cfg.jobs),
            now.isoformat(timespec="seconds"),
            extra={"fields": {"event": "run_started", "dry_run": dry_run}},
        )
        self._started = False
        tick = tick or Tick(deadline)
        self.pacing.start(tick.deadline)
        for problem in shortfalls(self.cfg.jobs, self.pacing.limits, interval(self.cfg.schedule)):
            log.warning("quota too small for the schedule: %s", problem)
        outcomes = self._each(now, dry_run, tick)
        self._after(tick)
        code = worst([o.code for o in outcomes])
        seconds = time.monotonic() - started
        log.info(
            "run finished: %d workbook(s), exit %d, %.2fs",
            len(outcomes),
            code,
            seconds,
            extra={
                "fields": {
                    "event": "run_finished",
                    "exit_code": code,
                    "workbooks": len(outcomes),
                    "duration_s": round(seconds, 3),
                    "dry_run": dry_run,
                }
            },
        )
        if not dry_run:
            self._beat(outcomes)
        return code

    def _each(self, now: dt.datetime, dry_run: bool, tick: Tick) -> list[Outcome]:
        """Every workbook, a few at a time; the outcomes in the config's order."""
        workers = min(self.cfg.google.workers, len(self.cfg.jobs)) or 1
        if workers == 1:
            return [self._paced(job, now, dry_run, tick) for job in self.cfg.jobs]
        with ThreadPoolExecutor(workers, thread_name_prefix="workbook") as pool:
            futures = [pool.submit(self._paced, j, now, dry_run, tick) for j in self.cfg.jobs]
            return [f.result() for f in futures]

    def _paced(self, job: Job, now: dt.datetime, dry_run: bool, tick: Tick) -> Outcome:
        """One workbook, unless the run's deadline passed or its breaker tripped."""
        why = tick.stop_reason()
        if why is not None:
            tick.skip(job.workbook.name)
            return Outcome(2, False, f"{job.workbook.name}: skipped, {why}", ran=False)
        outcome = self._one(job, now, dry_run)
        tick.record(outage=outcome.outage)
        return outcome

    def _after(self, tick: Tick) -> None:
        """One line for what the breaker or deadline skipped, one for throttling."""
        if tick.skipped:
            log.error(
                "run stopped early: %s; %d workbook(s) skipped (%s), to be run next time",
                tick.stop_reason(),
                len(tick.skipped),
                ", ".join(tick.skipped[:5]) + (", ..." if len(tick.skipped) > 5 else ""),
                extra={"fields": {"event": "run_stopped", "skipped": len(tick.skipped)}},
            )
        pacing = self.pacing
        if pacing.throttled:
            log.warning(
                "Google answered 429 (quota exceeded) to %d request(s) in %d workbook(s) "
                "this run, though the worker paces itself to %d reads and %d writes a minute: "
                "another process may share the account's quota",
                sum(pacing.throttled.values()),
                len(pacing.throttled),
                pacing.limits.reads,
                pacing.limits.writes,
                extra={"fields": {"event": "throttled", "answered_429": pacing.throttled}},
            )
        if pacing.paced:
            log.info(
                "paced: %d request(s) waited %.1f s in all for the quota",
                pacing.paced,
                pacing.waited,
            )

    def _beat(self, outcomes: Sequence[Outcome]) -> None:
        """The run's last ping. A run that skipped every workbook sends none (and sent no
        ``/start``): the run holding the lock pings for itself, and if none does for a
        whole period the monitor says so. A lock held past ``stuck_after`` pings ``/fail``.
        """
        body = "\n".join(self.out.redactor.redact(o.line) for o in outcomes)
        if not all(o.healthy for o in outcomes):
            self.heartbeat.fail(body)
        elif any(o.ran for o in outcomes):
            self.heartbeat.success(body)

    def _start(self) -> None:
        """``/start`` once per run, when a first workbook's lock is taken."""
        with self._lock:
            if not self._started:
                self._started = True
                self.heartbeat.start()

    def _one(self, job: Job, now: dt.datetime, dry_run: bool) -> Outcome:
        """One workbook; whatever happens, the others still run."""
        name = job.workbook.name
        try:
            if dry_run:  # reads only, so it does not wait for (or block) a real run
                return self._sync(job, now, dry_run=True)
            with workbook_lock(job.workbook):
                self._start()
                return self._sync(job, now, dry_run=False)
        except LockedError as err:
            return self._skipped(job, err)
        except SyncError as err:
            log.error("%s: %s", name, err, extra={"fields": _fields(job, "failed", err.exit_code)})
            outage = isinstance(err, UnavailableError)
            return Outcome(err.exit_code, False, f"{name}: {err}", outage=outage)
        except Exception:
            log.exception(
                "%s: unexpected error (a bug: please report it with this trace)",
                name,
                extra={"fields": _fields(job, "crashed", 2)},
            )
            return Outcome(2, False, f"{name}: unexpected error, see the log")

    def _skipped(self, job: Job, err: LockedError) -> Outcome:
        """A skip is normal once (a run longer than the interval); a lock held longer than
        ``[monitor] stuck_after`` is a stuck run, logged as an error and pinged as ``/fail``."""
        limit = self.cfg.monitor.stuck_after
        held = dt.timedelta(seconds=round(err.held_for or 0))
        if err.held_for is None or held <= limit:
            log.warning("%s", err, extra={"fields": _fields(job, "skipped", err.exit_code)})
            return Outcome(
                err.exit_code,
                True,
                f"{job.workbook.name}: skipped, another run holds the lock",
                ran=False,
            )
        line = (
            f"{job.workbook.name}: skipped, the lock has been held for {held}, longer than "
            f"[monitor] stuck_after ({limit}): is the run holding it stuck?"
        )
        fields = {**_fields(job, "lock_stuck", err.exit_code), "held_s": round(err.held_for)}
        log.error("%s (%s)", line, err, extra={"fields": fields})
        return Outcome(err.exit_code, False, line, ran=False)

    def _sync(self, job: Job, now: dt.datetime, *, dry_run: bool) -> Outcome:
        started = time.monotonic()
        with opened(
            job.workbook,
            read_ahead=job.tabs.to_read(log=False),
            pacer=self.pacing.pacer(job.workbook),
            google=self.cfg.google,
        ) as workbook:
            # Imported only now, while the read runs (why: the docstring of
            # sync/backends/readahead.py).
            from sync.job import run_once
            from sync.terminal import print_dry_run

            sender = make_sender(self.cfg.email)
            chat = None
            if self.cfg.channels:  # apprise (70 ms to import) only where chat is configured
                from sync.notify.post import make_poster

                chat = make_poster(self.cfg.channels, os.environ)
            sent = SentLog.load(sent_log_path(job.workbook), job.alerts.repeat_after)
            report = run_once(
                job,
                workbook,
                sender,
                self.cfg.email.sender,
                now,
                dry_run=dry_run,
                digest=self.cfg.digest,
                chat=chat,
                sent=sent,
            )
            requests = workbook.request_count
        seconds = time.monotonic() - started
        if dry_run:
            with self._lock:  # one workbook's cells at a time, though synced at once
                print_dry_run(report, job.tabs.status, self.out)
        line = summary(report, requests, seconds, dry_run=dry_run)
        log.info(
            "%s",
            line,
            extra={
                "fields": {
                    **_fields(job, "done", report.exit_code),
                    "dry_run": dry_run,
                    "kpis": dict(report.kpis),
                    "objectives": dict(report.objectives),
                    "key_results": dict(report.key_results),
                    "cells": len(report.changes),
                    "mails": len(report.mails),
                    "mails_sent": 0 if dry_run else len(report.mails) - len(report.failed),
                    "mails_failed": len(report.failed),
                    "rows_in_error": report.errors,
                    "requests": requests,
                    "duration_s": round(seconds, 3),
                }
            },
        )
        return Outcome(report.exit_code, not report.failed, line)


def _fields(job: Job, outcome: str, code: int) -> dict[str, object]:
    return {
        "event": "workbook_run",
        "workbook": job.workbook.name,
        "outcome": outcome,
        "exit_code": code,
    }


def summary(report: RunReport, requests: int | None, seconds: float, *, dry_run: bool) -> str:
    """The one line a run leaves per workbook: counts, cells, mails, requests, duration."""
    mails, failed = len(report.mails), len(report.failed)
    cells = f"{len(report.changes)} cell(s) " + ("would change" if dry_run else "written")
    sent = (
        f"{mails} mail(s) would be sent"
        if dry_run
        else f"{mails - failed} mail(s) sent, {failed} failed"
    )
    calls = "requests n/a" if requests is None else f"{requests} request(s)"
    return (
        f"{report.workbook}: KPIs {_counts(report.kpis)}; objectives "
        f"{_counts(report.objectives)}; key results {_counts(report.key_results)}; "
        f"{cells}; {sent}; {calls}; {report.errors} row(s) in ERROR; {seconds:.2f}s; "
        f"exit {report.exit_code}"
    )


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {s}" for s, n in counts.most_common()) or "none"
