"""The worker: a run at start, then on the schedule; failures logged; signals end it cleanly.

No test sleeps. ``FakeClock.wait`` moves the schedule's clock instead: the ``schedule``
library reads ``datetime.now()`` itself, and its one public seam is each job's
``next_run``, so waiting N seconds brings every ``next_run`` N seconds closer. For an
interval that is exact; for a daily time the library computes the next day from the real
clock, so those tests check the first slot (the time and zone) rather than several days.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from ping_server import ping_server
from workbooks import cli_env, metrics_sync, starter_workbook, tabs, write_config

from sync.config import ScheduleConfig
from sync.scheduler import Worker, describe


class FakeClock:
    """Stands in for sleeping: time passes for the scheduler, not for the test."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.waits: list[float] = []
        self.worker: Worker | None = None

    def wait(self, seconds: float) -> None:
        assert self.worker is not None
        self.elapsed += seconds
        self.waits.append(seconds)
        for job in self.worker.scheduler.get_jobs():
            job.next_run -= dt.timedelta(seconds=seconds)


def worker_with(
    cfg: ScheduleConfig, runs: int, action: object = None
) -> tuple[Worker, FakeClock, list[float]]:
    """A worker on a fake clock that stops itself after ``runs`` runs; records when each ran."""
    clock = FakeClock()
    started: list[float] = []

    def run() -> int:
        started.append(clock.elapsed)
        if callable(action):
            action(len(started))
        if len(started) >= runs:
            worker.stop()
        return 0

    worker = Worker(cfg, run, wait=clock.wait)
    clock.worker = worker
    return worker, clock, started


def test_the_worker_runs_at_start_then_every_interval() -> None:
    worker, clock, started = worker_with(ScheduleConfig(every=dt.timedelta(minutes=15)), runs=3)
    assert worker.serve() == 0
    assert started == [0, pytest.approx(900, abs=1), pytest.approx(1800, abs=1)]
    assert max(clock.waits) <= 60  # looks at the clock at least once a minute


def test_an_hourly_worker_runs_once_an_hour() -> None:
    worker, _, started = worker_with(ScheduleConfig(every=dt.timedelta(hours=1)), runs=2)
    assert worker.serve() == 0
    assert started == [0, pytest.approx(3600, abs=1)]


def test_a_failing_run_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    def fail_first(n: int) -> None:
        if n == 1:
            raise RuntimeError("the first run broke")

    worker, _, started = worker_with(
        ScheduleConfig(every=dt.timedelta(minutes=5)), runs=2, action=fail_first
    )
    assert worker.serve() == 0
    assert started == [0, pytest.approx(300, abs=1)]
    assert "the run failed unexpectedly" in caplog.text
    assert "RuntimeError: the first run broke" in caplog.text


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York", "Asia/Kolkata"])
def test_a_daily_worker_waits_for_the_time_of_day_in_its_time_zone(zone: str) -> None:
    cfg = ScheduleConfig(at=dt.time(8, 0), timezone=zone)
    worker, _, started = worker_with(cfg, runs=2)
    slot = worker.scheduler.get_jobs()[0].next_run.astimezone(cfg.tz)
    now = dt.datetime.now(cfg.tz)
    assert (slot.hour, slot.minute) == (8, 0)
    assert dt.timedelta(0) < slot - now <= dt.timedelta(hours=25)  # 25: a DST night
    assert worker.serve() == 0
    assert started == [0, pytest.approx((slot - now).total_seconds(), abs=2)]
    assert describe(cfg) == f"daily at 08:00 {zone}"


def test_sigterm_during_a_run_finishes_the_run_then_exits_0(
    caplog: pytest.LogCaptureFixture,
) -> None:
    finished: list[int] = []

    def terminated_midway(n: int) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs now, in the middle of the run
        finished.append(n)

    worker, _, started = worker_with(
        ScheduleConfig(every=dt.timedelta(minutes=15)), runs=99, action=terminated_midway
    )
    before = signal.getsignal(signal.SIGTERM)
    with caplog.at_level(logging.INFO), worker.signals():
        assert worker.serve() == 0
    assert finished == [1]
    assert started == [0]
    assert "SIGTERM: stopping after the current run" in caplog.text
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigint_while_waiting_stops_the_worker_at_once() -> None:
    def run_then_interrupt_from_another_thread() -> int:
        threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT)).start()
        return 0

    worker = Worker(
        ScheduleConfig(every=dt.timedelta(hours=1)), run_then_interrupt_from_another_thread
    )  # and the real wait
    started = time.monotonic()
    with worker.signals():
        assert worker.serve() == 0
    assert time.monotonic() - started < 10  # not the hour, nor the 60 s wait slice


def test_sigterm_to_a_worker_process_mid_run_lets_the_run_finish_and_exits_0(
    tmp_path: Path,
) -> None:
    """A real worker process, caught in its run by a heartbeat the test holds (no sleeps)."""
    workbook = starter_workbook(tmp_path / "team-metrics.xlsx")
    with ping_server() as server:
        server.hold = {server.path("/start")}
        config = write_config(tmp_path, extra=f'\n[monitor]\nping_url = "{server.url}"\n')
        with metrics_sync("run", "--config", str(config), env=cli_env(tmp_path)) as worker:
            assert server.arrived.wait(timeout=60), "the worker never started its run"
            worker.send_signal(signal.SIGTERM)  # the run is waiting on /start: mid-run
            server.release.set()
            _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 0, stderr
    assert server.paths() == ["/start", "/"], stderr  # the run finished and succeeded
    assert "Status" in tabs(workbook)
    assert "Status" in [c.value for c in openpyxl.load_workbook(workbook)["KPIs"][1]]
    assert "SIGTERM: stopping after the current run" in stderr
    assert stderr.index("SIGTERM") < stderr.index("run finished") < stderr.index("worker stopped")
