"""The ``metrics-sync`` command: where everything is wired, and faults become exit codes.

Exit codes (README, Commands): 0 all done; 1 ran but some rows are ERROR or a mail was not
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
from collections.abc import Callable, Sequence
from pathlib import Path

from sync import __version__, logs, starter
from sync.backends import opened
from sync.config import Config, load
from sync.errors import ConfigError, SyncError
from sync.monitor import Heartbeat
from sync.output import Output
from sync.runner import Runner, worst
from sync.tick import run_deadline

log = logging.getLogger(logs.LOGGER)
DEFAULT_CONFIG = "metrics-sync.toml"
Command = Callable[[argparse.Namespace, Output], int]


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
    """The config, with the SMTP password and the channel URLs added to the secrets to mask."""
    cfg = load(args.config)
    if cfg.email.password_env:
        out.redactor.add(os.environ.get(cfg.email.password_env))
    for channel in cfg.channels.values():
        out.redactor.add(channel.resolve(os.environ))
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
        seconds = run_deadline(cfg.schedule, once=True)
        return runner.run_all(args.as_of or _now(), dry_run=args.dry_run, deadline=seconds)
    from sync.scheduler import run_forever

    seconds = run_deadline(cfg.schedule, once=False)
    return run_forever(
        cfg.schedule, lambda: runner.run_all(_now(), dry_run=False, deadline=seconds)
    )


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
                # Imported while the read runs, as in _sync (sync/backends/readahead.py).
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
