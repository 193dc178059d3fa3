"""The ``metrics-sync`` command: where everything is wired, and faults become exit codes.

Exit codes (SPEC §7): 0 all done; 1 ran but some rows are ERROR or a mail was not
sent; 2 bad config or the workbook could not be opened; 3 skipped, another run of
the same workbook holds the lock. With several workbooks the worst wins, in the order
0 < 3 < 1 < 2 (a skip means another run is doing the work; a failure needs a person).
Expected faults log one line, never a traceback. Results (dry run, check, status)
go to stdout, logs to stderr; neither ever shows a secret.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sync import __version__, logs, starter
from sync.backends import opened
from sync.config import Config, Job, load
from sync.errors import ConfigError, LockedError, SyncError
from sync.lock import workbook_lock
from sync.monitor import Heartbeat
from sync.notify.email import make_sender
from sync.output import Output

if TYPE_CHECKING:
    from sync.job import RunReport

log = logging.getLogger(logs.LOGGER)
DEFAULT_CONFIG = "metrics-sync.toml"
SEVERITY = {0: 0, 3: 1, 1: 2, 2: 3}  # exit codes, least to most severe
Command = Callable[[argparse.Namespace, Output], int]


def worst(codes: Sequence[int]) -> int:
    return max(codes, key=lambda c: SEVERITY.get(c, 3), default=0)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    redactor = logs.Redactor()
    with logs.installed(args.log_format, verbose=args.verbose, redactor=redactor):
        try:
            command: Command = args.command
            return command(args, Output(redactor))
        except SyncError as err:
            log.error("%s", err, extra={"fields": {"event": "error", "exit_code": err.exit_code}})
            return err.exit_code
        except KeyboardInterrupt:
            return 130


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        "-c",
        type=Path,
        default=Path(DEFAULT_CONFIG),
        help=f"config file (default: {DEFAULT_CONFIG})",
    )
    common.add_argument("--verbose", "-v", action="store_true", help="log debug detail")
    common.add_argument(
        "--log-format",
        choices=("human", "json"),
        default="human",
        help="stderr log lines: human (default) or JSON, one object a line",
    )
    p = argparse.ArgumentParser(
        prog="metrics-sync",
        description=(
            "KPI thresholds and OKR progress from your spreadsheet: statuses written back, "
            "alerts mailed."
        ),
        epilog="exit codes: 0 done; 1 rows in ERROR or a mail not sent; "
        "2 bad config or workbook not opened; 3 skipped, another run holds the lock",
    )
    p.add_argument("--version", action="version", version=f"metrics-sync {__version__}")
    sub = p.add_subparsers(required=True, metavar="COMMAND")
    run = sub.add_parser(
        "run", parents=[common], help="sync now (--once) or forever on the [schedule]"
    )
    run.add_argument("--once", action="store_true", help="one run, then exit (for cron)")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="one run that prints the cells it "
        "would change and the mails it would send; writes and sends nothing",
    )
    run.add_argument(
        "--as-of",
        type=_as_of,
        metavar="TIME",
        help="evaluate as if the clock read TIME (ISO 8601, e.g. 2026-11-26T08:00);"
        " with --once or --dry-run",
    )
    run.set_defaults(command=_run)
    for name, command, text in (
        ("check", _check, "validate the config, credentials and workbook layout"),
        ("status", _status, "print the current statuses as a table (read-only)"),
        ("init", _init, "add KPIs and OKRs tabs with example rows to an empty workbook"),
    ):
        parser = sub.add_parser(name, parents=[common], help=text)
        parser.set_defaults(command=command)
        if name != "init":  # the same clock as a run --as-of, so both read the sheet alike
            parser.add_argument(
                "--as-of", type=_as_of, metavar="TIME", help="evaluate as if the clock read TIME"
            )
    return p


AS_OF_YEARS = range(1900, 9001)  # a run adds days, weeks and quarters to its clock


def _as_of(text: str) -> dt.datetime:
    expected = "expected an ISO 8601 time such as 2026-11-26T08:00"
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: {expected}") from None
    if when.year not in AS_OF_YEARS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: {expected}, in the years {AS_OF_YEARS[0]} to {AS_OF_YEARS[-1]}"
        )
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _load(args: argparse.Namespace, out: Output) -> Config:
    """The config, with the SMTP password it names added to the secrets to mask."""
    cfg = load(args.config)
    if cfg.email.password_env:
        out.redactor.add(os.environ.get(cfg.email.password_env))
    return cfg


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- run ----------------------------------------------------------------------------------


def _run(args: argparse.Namespace, out: Output) -> int:
    if args.as_of and not (args.once or args.dry_run):
        log.error("--as-of needs --once or --dry-run (the worker always runs on the clock)")
        return 2
    cfg = _load(args, out)
    runner = Runner(cfg, out, Heartbeat(cfg.monitor.ping_url))
    if args.once or args.dry_run:
        return runner.run_all(args.as_of or _now(), dry_run=args.dry_run)
    from sync.scheduler import run_forever

    return run_forever(cfg.schedule, lambda: runner.run_all(_now(), dry_run=False))


@dataclass(frozen=True)
class Outcome:
    """One workbook's part of a run: its exit code, and whether ops should be told."""

    code: int
    healthy: bool  # False: the run failed, a mail was not sent or a lock is stuck
    line: str
    ran: bool = True  # False: skipped, another run holds the lock


class Runner:
    """A run of every workbook: locks, heartbeat, one summary line each and one overall."""

    def __init__(self, cfg: Config, out: Output, heartbeat: Heartbeat) -> None:
        self.cfg = cfg
        self.out = out
        self.heartbeat = heartbeat
        self._started = False  # /start sent in this run

    def run_all(self, now: dt.datetime, *, dry_run: bool) -> int:
        started = time.monotonic()
        log.info(
            "run started%s: %d workbook(s), as of %s",
            " (dry run)" if dry_run else "",
            len(self.cfg.jobs),
            now.isoformat(timespec="seconds"),
            extra={"fields": {"event": "run_started", "dry_run": dry_run}},
        )
        self._started = False
        outcomes = [self._one(job, now, dry_run) for job in self.cfg.jobs]
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
            return Outcome(err.exit_code, False, f"{name}: {err}")
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
        with opened(job.workbook, read_ahead=job.tabs.to_read(log=False)) as workbook:
            # Imported only now, while the server answers the read: pandas and the rules
            # take about 0.4 s to import (sync/backends/readahead.py).
            from sync.job import run_once
            from sync.terminal import print_dry_run

            sender = make_sender(self.cfg.email)
            report = run_once(
                job,
                workbook,
                sender,
                self.cfg.email.sender,
                now,
                dry_run=dry_run,
                digest=self.cfg.digest,
            )
            requests = workbook.request_count
        seconds = time.monotonic() - started
        if dry_run:
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


# -- check, status, init --------------------------------------------------------------------


def _check(args: argparse.Namespace, out: Output) -> int:
    from sync import checks  # reads the tabs with the rules' own readers: pandas

    out.say(f"metrics-sync check: {args.config}")
    try:
        cfg = _load(args, out)
    except ConfigError as err:
        findings = checks.config_problems(err)
    else:
        findings = checks.check_config(cfg)
        now = args.as_of or _now()
        for job in cfg.jobs:
            findings += checks.check_job(job, now)
    for f in findings:
        for line in f.lines():
            out.say(line)
    failed = sum(f.level == "FAIL" for f in findings)
    warned = sum(f.level == "warn" for f in findings)
    out.say(
        f"{failed} problem(s), {warned} warning(s): "
        + ("fix the problems above" if failed else "ready to run")
    )
    return checks.worst(findings)


def _status(args: argparse.Namespace, out: Output) -> int:
    cfg = _load(args, out)
    now = args.as_of or _now()
    codes = []
    for job in cfg.jobs:
        try:
            with opened(job.workbook, read_ahead=job.tabs.to_read()) as workbook:
                from sync.evaluate import evaluate
                from sync.terminal import print_status

                ev = evaluate(workbook.read(job.tabs.to_read()), now, job)
                title = workbook.title  # on Google, one small request of its own
        except SyncError as err:
            log.error("%s: %s", job.workbook.name, err)
            codes.append(err.exit_code)
            continue
        local = now.astimezone(job.tz)
        print_status(title, f"{local:%Y-%m-%d %H:%M} {job.timezone}", ev, local.date(), out)
        codes.append(
            1
            if (ev.kpis["status"] == "ERROR").any()
            or (ev.okrs.key_results["status"] == "ERROR").any()
            else 0
        )
    return worst(codes)


def _init(args: argparse.Namespace, out: Output) -> int:
    cfg = _load(args, out)
    codes = []
    for job in cfg.jobs:
        try:
            done = starter.init(job, _now().astimezone(job.tz).date())
        except SyncError as err:
            log.error("%s", err)
            codes.append(err.exit_code)
            continue
        out.say(
            f"{job.workbook.name}: {done} with example rows; replace them with yours, then "
            "`metrics-sync check`"
        )
        codes.append(0)
    return worst(codes)


if __name__ == "__main__":
    sys.exit(main())
