"""The long-running worker: a ``schedule.Scheduler`` of its own, never the global one.

A run at start, then every N minutes or hours, or daily at HH:MM in the configured time
zone. A run that fails is logged and the loop goes on. SIGTERM or SIGINT let the current
run finish, then the worker exits 0 (what systemd and Kubernetes expect on a stop).

The waiting is injected (``wait``): the real one sleeps on an event that a signal sets,
so a stop between runs is immediate; a test's one moves the scheduler's clock instead.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import schedule

from sync.config import ScheduleConfig

log = logging.getLogger("metrics_sync")

MAX_WAIT = 60.0  # seconds; look at the clock again at least this often (suspend, clock steps)


def build(cfg: ScheduleConfig, job: Callable[[], None]) -> schedule.Scheduler:
    """A scheduler with the one job: every N seconds, or daily at HH:MM in ``cfg.timezone``."""
    sched = schedule.Scheduler()
    if cfg.at is not None:
        sched.every().day.at(cfg.at.strftime("%H:%M"), cfg.timezone).do(job)
    else:
        assert cfg.every is not None, "the config always sets every or at"
        sched.every(int(cfg.every.total_seconds())).seconds.do(job)
    return sched


def describe(cfg: ScheduleConfig) -> str:
    if cfg.at is not None:
        return f"daily at {cfg.at:%H:%M} {cfg.timezone}"
    assert cfg.every is not None
    minutes = int(cfg.every.total_seconds() // 60)
    return f"every {minutes // 60}h" if minutes % 60 == 0 else f"every {minutes}m"


class Worker:
    """Runs ``run`` at start and on the schedule until ``stop()``; returns 0 when stopped."""

    def __init__(
        self,
        cfg: ScheduleConfig,
        run: Callable[[], int],
        *,
        wait: Callable[[float], object] | None = None,
    ) -> None:
        self.cfg = cfg
        self._run = run
        self._stopping = threading.Event()
        self._wait = wait or self._stopping.wait
        self.scheduler = build(cfg, self._job)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        """Finish the current run, if any, then leave ``serve``."""
        self._stopping.set()

    def serve(self) -> int:
        log.info("worker started: runs %s; SIGTERM or Ctrl-C stops it", describe(self.cfg))
        self._job()
        while not self._stopping.is_set():
            self.scheduler.run_pending()
            if self._stopping.is_set():
                break
            idle = self.scheduler.idle_seconds
            self._wait(min(max(idle if idle is not None else MAX_WAIT, 0.0), MAX_WAIT))
        log.info("worker stopped")
        return 0

    def _job(self) -> None:
        try:
            code = self._run()
        except Exception:
            log.exception(
                "the run failed unexpectedly (a bug: please report it); the worker goes on"
            )
        else:
            log.debug("run finished with exit code %d", code)
        if not self.stopping:
            log.info("next run at %s", self._next_run())

    def _next_run(self) -> str:
        jobs = self.scheduler.get_jobs()
        if not jobs or jobs[0].next_run is None:  # during the first run: not scheduled yet
            return f"the next slot ({describe(self.cfg)})"
        local = jobs[0].next_run.astimezone(self.cfg.tz)  # schedule keeps naive local times
        return local.isoformat(timespec="minutes") + f" ({self.cfg.timezone})"

    @contextmanager
    def signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT stop the worker after the current run; old handlers restored."""

        def handler(signum: int, frame: FrameType | None) -> None:
            del frame
            if not self.stopping:
                log.info("%s: stopping after the current run", signal.Signals(signum).name)
            self.stop()

        previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for s, old in previous.items():
                signal.signal(s, old)


def run_forever(cfg: ScheduleConfig, run: Callable[[], int]) -> int:
    """The worker with signal handling, as ``metrics-sync run`` without ``--once`` uses it."""
    worker = Worker(cfg, run)
    with worker.signals():
        return worker.serve()
