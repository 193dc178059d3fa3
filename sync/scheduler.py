"""The long-running worker: a ``schedule.Scheduler`` of its own, never the global one."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from collections.abc import Callable
from types import FrameType

import schedule

from sync.config import Config

log = logging.getLogger("metrics_sync")


def build(cfg: Config, job: Callable[[], object]) -> schedule.Scheduler:
    sched = schedule.Scheduler()
    s = cfg.schedule
    if s.at is not None:
        sched.every().day.at(s.at.strftime("%H:%M"), s.timezone).do(job)
    else:
        assert s.every is not None
        sched.every(int(s.every.total_seconds())).seconds.do(job)
    return sched


def run_forever(cfg: Config, run: Callable[[dt.datetime], int],
                sleep: Callable[[float], None] = time.sleep) -> int:
    """A run at start, then on the schedule; SIGTERM/SIGINT finish the current run and exit 0."""
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        del frame
        nonlocal stopping
        stopping = True
        log.info("signal %d: stopping after the current run", signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def job() -> None:
        try:
            code = run(dt.datetime.now(dt.UTC))
            log.info("run finished with exit code %d", code)
        except Exception:
            log.exception("run failed; the worker goes on")

    sched = build(cfg, job)
    job()
    while not stopping:
        sched.run_pending()
        idle = sched.idle_seconds
        sleep(min(max(idle if idle is not None else 1.0, 0.0), 1.0))
    return 0
