"""The ``metrics-sync`` command: where everything is wired, and faults become exit codes.

Exit codes (SPEC §7): 0 all done; 1 ran but some rows are ERROR or a mail was not
sent; 2 bad config or the workbook could not be opened; 3 skipped, another run of
the same workbook holds the lock. Expected faults print one line, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sync import __version__
from sync.backends import open_workbook
from sync.config import Config, Job, load
from sync.errors import SyncError
from sync.evaluate import evaluate, tabs_to_read
from sync.job import RunReport, run_once
from sync.lock import workbook_lock
from sync.notify.email import make_sender

log = logging.getLogger("metrics_sync")
DEFAULT_CONFIG = "metrics-sync.toml"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging(args.verbose)
    try:
        cfg = load(args.config)
        command: Callable[[argparse.Namespace, Config], int] = args.command
        return command(args, cfg)
    except SyncError as err:
        print(f"metrics-sync: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="metrics-sync", description=(
        "KPI thresholds and OKR progress from your spreadsheet: statuses written back, "
        "alerts mailed."))
    p.add_argument("--version", action="version", version=f"metrics-sync {__version__}")
    sub = p.add_subparsers(required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="sync now (--once) or forever on the schedule")
    run.add_argument("--once", action="store_true", help="one run, then exit (for cron)")
    run.add_argument("--dry-run", action="store_true",
                     help="print the cells it would change and the mails it would send")
    run.add_argument("--as-of", type=_as_of, metavar="TIME",
                     help="evaluate as if the clock read TIME (ISO 8601, e.g. 2026-11-26T08:00)")
    run.set_defaults(command=_run)
    check = sub.add_parser("check", help="validate the config, open the workbook, report layout")
    check.set_defaults(command=_check)
    for sp in (run, check):
        sp.add_argument("--config", "-c", type=Path, default=Path(DEFAULT_CONFIG),
                        help=f"config file (default: {DEFAULT_CONFIG})")
        sp.add_argument("--verbose", "-v", action="store_true", help="log debug detail")
    return p


def _as_of(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected an ISO 8601 time such as 2026-11-26T08:00") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")


def _run(args: argparse.Namespace, cfg: Config) -> int:
    if not args.once and not args.dry_run:
        from sync.scheduler import run_forever

        return run_forever(cfg, lambda now: _run_all(cfg, now, dry_run=False))
    now = args.as_of or dt.datetime.now(dt.UTC)
    return _run_all(cfg, now, dry_run=args.dry_run)


def _run_all(cfg: Config, now: dt.datetime, *, dry_run: bool) -> int:
    """Every workbook in turn; one failing does not stop the others; the worst code wins."""
    worst = 0
    for job in cfg.jobs:
        try:
            with workbook_lock(job.workbook):
                report = _run_job(cfg, job, now, dry_run)
            code = report.exit_code
        except SyncError as err:
            print(f"metrics-sync: {job.workbook.name}: {err}", file=sys.stderr)
            code = err.exit_code
        worst = max(worst, code)
    return worst


def _run_job(cfg: Config, job: Job, now: dt.datetime, dry_run: bool) -> RunReport:
    workbook = open_workbook(job.workbook)
    sender = make_sender(cfg.email)
    report = run_once(job, workbook, sender, cfg.email.sender, now, dry_run=dry_run)
    if dry_run:
        _print_dry_run(report)
    log.info("%s: KPIs %s; objectives %s; %d mail(s) sent, %d failed; %d cell(s) %s",
             report.workbook, _fmt(report.kpis), _fmt(report.objectives),
             len(report.mails) - len(report.failed), len(report.failed), len(report.changes),
             "would change" if dry_run else "written")
    return report


def _fmt(counts: object) -> str:
    items = getattr(counts, "most_common", lambda: [])()
    return ", ".join(f"{n} {s}" for s, n in items) or "none"


def _print_dry_run(report: RunReport) -> None:
    print(f"# {report.workbook}: {len(report.changes)} cell(s) would change")
    for c in report.changes:
        print(f"{c.update.tab}!{_a1(c.update.row, c.update.col)}: {c.old!r} -> {c.update.value!r}")
    print(f"# {len(report.mails)} mail(s) would be sent")
    for m in report.mails:
        print(f"to {m.recipient}: {m.subject} ({m.items} item(s))")


def _a1(row: int, col: int) -> str:
    from sync.cells import a1

    return a1(row, col)


def _check(args: argparse.Namespace, cfg: Config) -> int:
    """Config sound, workbook reachable, tabs and columns present; unreadable cells warned."""
    del args
    worst = 0
    for job in cfg.jobs:
        try:
            workbook = open_workbook(job.workbook)
            ev = evaluate(workbook.read(tabs_to_read(job)), dt.datetime.now(dt.UTC), job)
        except SyncError as err:
            print(f"FAIL {job.workbook.name}: {err}")
            worst = max(worst, err.exit_code)
            continue
        errors = ev.kpis[ev.kpis["status"] == "ERROR"]
        kr_errors = ev.okrs.key_results[ev.okrs.key_results["status"] == "ERROR"]
        for row in errors.itertuples():
            print(f"warning {job.tabs.kpis} row {row.Index}: {row.note}")
        for row in kr_errors.itertuples():
            print(f"warning {job.tabs.okrs} row {row.Index}: {row.note}")
        for problem in ev.problems:
            print(f"warning {problem}")
        print(f"OK {job.workbook.name}: {len(ev.kpis)} KPIs, {len(ev.okrs.objectives)} "
              f"objectives, {len(ev.okrs.key_results)} key results")
    return worst
