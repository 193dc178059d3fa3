"""A workbook's checks: credentials, that it opens, protected ranges over what the sync writes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sync.a1 import column_letter
from sync.backends import opened
from sync.backends.base import Workbook
from sync.backends.google import GoogleWorkbook
from sync.backends.google.credentials import account_of, credentials_kind, credentials_path
from sync.backends.google.protection import OPEN, Box, Protected, covering
from sync.checks.finding import Finding
from sync.checks.layout import check_layout, rows_found
from sync.config import KPI_OWNED, OKR_OWNED, Job, WorkbookConfig
from sync.errors import SyncError, WorkbookError
from sync.evaluate import read_layout
from sync.grid import Grid
from sync.hosts import url_is_loopback
from sync.writeback import owned_positions


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
        found.extend(rows_found(job, grids, now))
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
    if wb.endpoint and url_is_loopback(wb.endpoint):
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
