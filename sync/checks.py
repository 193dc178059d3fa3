"""``metrics-sync check``: is this config ready to run unattended? Each problem with its fix.

Checks, in order: the config, the mail settings, each workbook's credentials, that the
workbook opens, that its tabs and required columns are there; then the rows it cannot
read, as warnings. Read-only: it writes nothing and sends nothing. Never prints a secret:
of a credentials file it shows only the service account's address.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sync.a1 import column_letter
from sync.backends import opened
from sync.backends.base import Workbook
from sync.backends.google import GoogleWorkbook
from sync.backends.google.credentials import account_of, credentials_kind, credentials_path
from sync.backends.google.protection import OPEN, Box, Protected, covering
from sync.backends.google.transport import endpoint_is_loopback
from sync.config import KEY_COLUMN, Config, EmailConfig, Job, WorkbookConfig
from sync.errors import ConfigError, SyncError, WorkbookError
from sync.evaluate import evaluate, foreign, read_layout
from sync.frames import Sheet, header_key
from sync.grid import Grid
from sync.header import SEARCH_ROWS, Header, find_header
from sync.monitor import clear_text_url
from sync.notify.email import clear_text_login, password_from_env
from sync.pacing import Limits, shortfalls
from sync.rules.alerts import channels_named
from sync.scheduler import describe
from sync.tick import interval
from sync.writeback import KPI_OWNED, OKR_OWNED, owned_positions

Level = Literal["ok", "warn", "FAIL"]

# The columns without which a tab cannot be read at all (as sync.evaluate requires them).
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "kpis": ("kpi",),
    "okrs": ("objective", "key_result"),
    "kpi_log": ("date", "kpi", "value"),
    "checkins": ("date", "key_result", "current"),
}
INIT_HINT = "`metrics-sync init` adds both tabs, with their headers, to an empty workbook"


@dataclass(frozen=True)
class Finding:
    level: Level
    what: str
    fix: str = ""

    def lines(self) -> list[str]:
        head = f"{self.level:<4} {self.what}"
        return [head, f"     fix: {self.fix}"] if self.fix else [head]


def config_problems(err: ConfigError) -> list[Finding]:
    """A refused config: one finding per problem (each says what is expected)."""
    return [
        Finding(
            "FAIL",
            f"config {err.source}: {p}",
            "edit the config; config.example.toml documents every key",
        )
        for p in err.problems
    ]


def check_config(cfg: Config) -> list[Finding]:
    names = ", ".join(j.workbook.name for j in cfg.jobs)
    return [
        Finding(
            "ok",
            f"config {cfg.source}: {len(cfg.jobs)} workbook(s) ({names}); "
            f"the worker runs {describe(cfg.schedule)}",
        ),
        *check_email(cfg.email),
        *[
            Finding("warn", w, "use the https:// URL the monitoring service gives")
            for w in [clear_text_url(cfg.monitor.ping_url)]
            if w
        ],
        *check_channels(cfg),
        *[
            Finding("warn", f"quota too small for the schedule: {problem}")
            for problem in shortfalls(
                cfg.jobs,
                Limits(cfg.google.reads_per_minute, cfg.google.writes_per_minute),
                interval(cfg.schedule),
            )
        ],
    ]


def check_channels(cfg: Config, environ: Mapping[str, str] | None = None) -> list[Finding]:
    """Each ``[channels]`` entry by name and service; its URL is a secret and never shown."""
    env = os.environ if environ is None else environ
    found = []
    for name, channel in cfg.channels.items():
        url = channel.resolve(env)
        if url is None:
            found.append(
                Finding(
                    "FAIL",
                    f"channel #{name}: ${channel.url_env} is not set",
                    f"export {channel.url_env}=<the channel's notification URL> where it runs",
                )
            )
            continue
        service = url.split("://", 1)[0]
        found.append(Finding("ok", f"channel #{name}: {service}:// (URL not shown)"))
    return found


def check_email(email: EmailConfig, environ: Mapping[str, str] | None = None) -> list[Finding]:
    if email.host is None:
        return [_outbox(email.outbox)]
    try:
        password_from_env(email, environ)
    except ConfigError as err:
        return [
            Finding(
                "FAIL",
                err.problems[0],
                f"export {email.password_env}=... in the "
                "environment that runs metrics-sync (a systemd EnvironmentFile, a "
                "Kubernetes Secret)",
            )
        ]
    if email.username and not email.password_env:
        return [
            Finding(
                "FAIL",
                f"email.username = {email.username!r} but no email.password_env",
                "set email.password_env to the NAME of the variable holding the password",
            )
        ]
    ok = Finding("ok", f"mail: SMTP {email.host} as {email.sender} (not contacted by check)")
    clear = clear_text_login(email)
    if clear:
        return [ok, Finding("warn", clear, "set [email] starttls = true, or ssl = true")]
    return [ok]


def _outbox(folder: Path) -> Finding:
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is None or not os.access(existing, os.W_OK):
        return Finding(
            "FAIL",
            f"mail: the outbox folder {folder} cannot be created",
            "set [email] outbox to a writable folder, or [email] host to send mail",
        )
    return Finding("ok", f"mail: no [email] host, mails are written to {folder}")


def check_job(job: Job, now: dt.datetime) -> list[Finding]:
    """Credentials, reachability, layout, then unreadable rows as warnings."""
    name = job.workbook.name
    found = check_credentials(job.workbook)
    if any(f.level == "FAIL" for f in found):
        return found
    try:
        with opened(job.workbook) as workbook:
            grids = workbook.read(job.tabs.to_read())
            title = workbook.title  # on Google, the tab list: protected ranges come with it
            shields, account = _shields(workbook)
    except WorkbookError as err:
        return [*found, Finding("FAIL", f"{name}: {err}", _reach_fix(job.workbook))]
    found.append(Finding("ok", f"{name}: workbook {title!r} opened"))
    layout = check_layout(job, grids)
    found.extend(layout)
    if not any(f.level == "FAIL" for f in layout):
        found.extend(_rows(job, grids, now))
        found.extend(_protected(job, grids, now, shields, account))
    return found


def _shields(workbook: Workbook) -> tuple[list[Protected], str]:
    """The protected ranges a Google workbook's tab list showed that block our writes, and
    the account to make an editor of them."""
    if not isinstance(workbook, GoogleWorkbook):
        return [], ""
    who = account_of(workbook.api.credentials) or "the account the sync runs as"
    return workbook.tabs.protected, who


def _protected(
    job: Job,
    grids: dict[str, Grid | None],
    now: dt.datetime,
    shields: Sequence[Protected],
    who: str,
) -> list[Finding]:
    """Protected ranges over the owned columns, the header cells the sync creates or the
    Status tab: every run's write would be refused."""
    if not shields:
        return []
    try:
        kpi_sheet, okr_sheet = read_layout(grids, job, now)[:2]
    except SyncError:
        return []
    writes = [(f"the {job.tabs.status} tab", Box(job.tabs.status))]
    for kind, sheet, owned in (("kpis", kpi_sheet, KPI_OWNED), ("okrs", okr_sheet, OKR_OWNED)):
        if sheet.tab:
            positions, _ = owned_positions(sheet, owned, job.columns_for(kind))
            top = sheet.header_row - 1
            writes += [
                (
                    f"{sheet.tab!r} column {column_letter(col)} ({job.columns_for(kind)[cid]!r})",
                    Box(sheet.tab, top, col - 1, OPEN, col),
                )
                for cid, col in positions.items()
            ]
    return [
        Finding(
            "FAIL",
            f"{job.workbook.name}: {line}: every run's write would be refused",
            f"add {who} as an editor of that range (Data > Protect sheets and ranges), or "
            "set it to show a warning only",
        )
        for line in covering(shields, writes)
    ]


def check_credentials(
    wb: WorkbookConfig, environ: Mapping[str, str] | None = None
) -> list[Finding]:
    """The credentials file the Google backend will use, looked at without printing a secret."""
    if wb.backend == "xlsx":
        return []
    if wb.endpoint and endpoint_is_loopback(wb.endpoint):
        return [
            Finding(
                "ok",
                f"{wb.name}: endpoint {wb.endpoint} is a loopback address; no credentials needed",
            )
        ]
    path = credentials_path(wb.credentials, environ)
    if path is None:
        return [
            Finding(
                "warn",
                f"{wb.name}: no [workbook] credentials; Google's application-"
                "default credentials will be used (GKE, Cloud Run, gcloud)",
                'for cron, set credentials = "service-account.json", the JSON key of a '
                "service account the spreadsheet is shared with",
            )
        ]
    return [_credentials_file(wb.name, path)]


def _credentials_file(name: str, path: Path) -> Finding:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Finding(
            "FAIL",
            f"{name}: credentials file {path} does not exist",
            "download a JSON key (Google Cloud console > IAM > Service accounts > "
            "Keys) and point [workbook] credentials at it",
        )
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return Finding(
            "FAIL",
            f"{name}: credentials file {path} is not readable JSON ({type(err).__name__})",
            "download the JSON key again",
        )
    if not isinstance(data, dict):
        return Finding(
            "FAIL",
            f"{name}: credentials file {path} is not a JSON object",
            "download the JSON key again",
        )
    if path.stat().st_mode & 0o004:
        return Finding(
            "warn",
            f"{name}: credentials file {path} is readable by every user",
            f"chmod 600 {path} (or 640 with a group of its own)",
        )
    return _credentials_kind(name, path, data)


def _credentials_kind(name: str, path: Path, data: Mapping[str, Any]) -> Finding:
    try:
        found = credentials_kind(path, data)
    except WorkbookError as err:
        return Finding("FAIL", f"{name}: {err}", "download the file again; the file is incomplete")
    if found.kind == "oauth_client":
        return Finding(
            "warn",
            f"{name}: credentials file {path} is an OAuth client: the first "
            "run opens a browser to sign in",
            "run `metrics-sync check` once by hand, in a terminal, before scheduling, "
            "or use a service-account key for cron",
        )
    if found.account is None:
        return Finding("ok", f"{name}: {found.kind} credentials from {path}")
    return Finding(
        "ok",
        f"{name}: credentials of {found.account}; the spreadsheet must be shared with it (Editor)",
    )


def _reach_fix(wb: WorkbookConfig) -> str:
    if wb.backend == "xlsx":
        return "check [workbook] path (relative paths are relative to the config file)"
    return (
        "check [workbook] spreadsheet (the key or URL), that the spreadsheet is shared with "
        "the service account, and that the network reaches the Sheets API"
    )


def check_layout(job: Job, grids: Mapping[str, Grid | None]) -> list[Finding]:
    """Every required tab and column, all listed at once rather than the first one only."""
    t = job.tabs
    tabs = [(k, getattr(t, k)) for k in ("kpis", "okrs") if getattr(t, k)]
    if t.kpis and t.kpi_log and grids.get(t.kpi_log):
        tabs.append(("kpi_log", t.kpi_log))
    if t.checkins:
        tabs.append(("checkins", t.checkins))
    return [_tab(job, key, tab, grids.get(tab)) for key, tab in tabs]


def _tab(job: Job, key: str, tab: str, grid: Grid | None) -> Finding:
    name = job.workbook.name
    columns = job.columns_for(key)
    wanted = [columns[c] for c in REQUIRED[key]]
    listed = " and ".join(repr(w) for w in wanted)
    if grid is None:
        return Finding(
            "FAIL",
            f"{name}: no tab {tab!r}",
            f"add a tab named {tab!r} with {listed} in its header row, or set [tabs] {key} "
            f'to the name of yours (or "" if the workbook has none); {INIT_HINT}',
        )
    head = find_header(grid, columns[KEY_COLUMN[key]], job.header_rows.get(key))
    header = {header_key(c) for c in head.cells}
    missing = [
        (cid, columns[cid]) for cid in REQUIRED[key] if header_key(columns[cid]) not in header
    ]
    if missing:
        return _missing(job, key, tab, head, missing)
    below = sum(1 for r in grid[head.index + 1 :] if any(c not in (None, "") for c in r))
    return Finding(
        "ok",
        f"{name}: tab {tab!r}: header on row {head.row}, {below} row(s) below it",
    )


def _missing(
    job: Job, key: str, tab: str, head: Header, missing: Sequence[tuple[str, str]]
) -> Finding:
    """Required columns not found: the fix depends on whether a header row was found at all."""
    cols = ", ".join(repr(h) for _, h in missing)
    renames = ", ".join(f'{cid} = "<your header>"' for cid, _ in missing)
    where = f"[columns.{key}]" if job.tab_columns.get(key) else "[columns]"
    if head.found:
        return Finding(
            "FAIL",
            f"{job.workbook.name}: tab {tab!r} has no column {cols} in its header (row {head.row})",
            f"name your own with {where} {renames}",
        )
    return Finding(
        "FAIL",
        f"{job.workbook.name}: tab {tab!r} has no column {cols} in its first {SEARCH_ROWS} rows",
        f"map your own headers with {where} {renames} (the header is the first row holding "
        f"{job.columns_for(key)[KEY_COLUMN[key]]!r}), or set [tabs] header_rows = "
        f"{{ {key} = <row> }}",
    )


def _rows(job: Job, grids: dict[str, Grid | None], now: dt.datetime) -> list[Finding]:
    name = job.workbook.name
    try:
        theirs = [
            Finding("FAIL", f"{name}: {f.what()}", f.fix(kind))
            for kind, f in foreign(job, *read_layout(grids, job, now))
        ]
    except SyncError:
        theirs = []  # evaluate below names what cannot be read
    if theirs:
        return theirs
    try:
        guide = _guide(job, *read_layout(grids, job, now))
        ev = evaluate(grids, now, job)
    except SyncError as err:
        return [Finding("FAIL", f"{name}: {err}", "fix the tab it names")]
    kpis, krs = ev.kpis, ev.okrs.key_results
    found = [
        Finding(
            "warn",
            f"{name}: {job.tabs.kpis} row {r.Index}: {r.note}",
            "fix the cell it names; the row shows ERROR until then",
        )
        for r in kpis[kpis["status"] == "ERROR"].itertuples()
    ]
    found += [
        Finding(
            "warn",
            f"{name}: {job.tabs.okrs} row {r.Index}: {r.note}",
            "fix the cell it names; the row shows ERROR until then",
        )
        for r in krs[krs["status"] == "ERROR"].itertuples()
    ]
    found += [Finding("warn", f"{name}: {p}", "") for p in ev.problems]
    found += guide
    found += _routes(job, ev.kpis, job.tabs.kpis) + _routes(job, krs, job.tabs.okrs)
    found.append(
        Finding(
            "ok",
            f"{name}: {len(kpis)} KPI(s), {len(ev.okrs.objectives)} "
            f"objective(s), {len(krs)} key result(s) read",
        )
    )
    return found


def _guide(job: Job, kpi_sheet: Sheet, okr_sheet: Sheet) -> list[Finding]:
    """For each tab the sync writes: the columns it mapped, the history it recognised, and
    the columns it will create, so a newcomer sees how the sheet was understood."""
    found = []
    for kind, sheet, owned in (("kpis", kpi_sheet, KPI_OWNED), ("okrs", okr_sheet, OKR_OWNED)):
        if not sheet.tab:
            continue
        columns = job.columns_for(kind)
        mapped = ", ".join(
            f"{cid} = {column_letter(pos)} {str(sheet.header[pos - 1])!r}"
            for cid, pos in sheet.positions.items()
            if cid not in owned
        )
        where = f"{job.workbook.name}: tab {sheet.tab!r} (header row {sheet.header_row})"
        found.append(Finding("ok", f"{where} reads {mapped}"))
        if kind == "kpis":
            found.append(Finding("ok", f"{where}: {_history(sheet)}"))
        positions, created = owned_positions(sheet, owned, columns)
        made = [f"{column_letter(c.update.col)} {c.update.value!r}" for c in created]
        kept = [f"{column_letter(positions[cid])} {columns[cid]!r}" for cid in owned]
        text = f"creates {', '.join(made)} on row {sheet.header_row}; " if made else ""
        found.append(Finding("ok", f"{where} {text}writes only {', '.join(kept)}"))
    return found


def _history(sheet: Sheet) -> str:
    if not sheet.dates:
        return "no history column (the current value comes from Current or the KPI log)"
    (c0, d0), (c1, d1) = min(sheet.dates, key=lambda d: d[1]), max(sheet.dates, key=lambda d: d[1])
    return (
        f"{len(sheet.dates)} history column(s), from {column_letter(c0)} "
        f"{str(sheet.header[c0 - 1])!r} ({d0}) to {column_letter(c1)} "
        f"{str(sheet.header[c1 - 1])!r} ({d1}); a period counts for its last day"
    )


def _routes(job: Job, rows: pd.DataFrame, tab: str) -> list[Finding]:
    """Which rows post to each channel, and the ``#names`` in Owner cells that no
    ``[channels]`` entry defines (those rows would reach no channel)."""
    name = job.workbook.name
    named = {r: channels_named(str(o)) for r, o in rows["owner"].dropna().items()}
    found = [
        Finding(
            "FAIL",
            f"{name}: {tab} row {r}: Owner names #{c}, which [channels] does not define",
            f'add {c} = "<notification URL>" to [channels], or correct the Owner cell',
        )
        for r, cs in named.items()
        for c in cs
        if c not in job.alerts.known_channels
    ]
    for channel in sorted(job.alerts.known_channels):
        rows_to = [str(r) for r, cs in named.items() if channel in cs]
        if rows_to:
            shown = ", ".join(rows_to[:10]) + (" ..." if len(rows_to) > 10 else "")
            found.append(Finding("ok", f"{name}: {tab} rows {shown} post to #{channel}"))
    return found


def worst(findings: Sequence[Finding]) -> int:
    """``check`` exits 2 on any failure; warnings (unreadable cells) leave it at 0."""
    return 2 if any(f.level == "FAIL" for f in findings) else 0
