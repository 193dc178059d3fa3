"""A workbook's layout as ``check`` explains it: the header row taken, the columns mapped,
the history recognised, what the sync will create, and the rows it cannot read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from sync.a1 import column_letter
from sync.cells import name_key
from sync.checks.finding import Finding
from sync.config import KEY_COLUMN, KPI_OWNED, OKR_OWNED, Job
from sync.errors import SyncError
from sync.evaluate import evaluate, foreign, read_layout
from sync.frames import Sheet
from sync.grid import Grid
from sync.header import SEARCH_ROWS, Header, find_header
from sync.rules.alerts import channels_named, owners
from sync.writeback import owned_positions

# The columns without which a tab cannot be read at all (as sync.evaluate requires them).
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "kpis": ("kpi",),
    "okrs": ("objective", "key_result"),
    "kpi_log": ("date", "kpi", "value"),
    "checkins": ("date", "key_result", "current"),
}
INIT_HINT = "`metrics-sync init` adds both tabs, with their headers, to an empty workbook"


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
    header = {name_key(c) for c in head.cells}
    missing = [(cid, columns[cid]) for cid in REQUIRED[key] if name_key(columns[cid]) not in header]
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


def rows_found(job: Job, grids: dict[str, Grid | None], now: dt.datetime) -> list[Finding]:
    name = job.workbook.name
    try:
        sheets = read_layout(grids, job, now)  # read once: the checks and the rules share it
    except SyncError as err:
        return [Finding("FAIL", f"{name}: {err}", "fix the tab it names")]
    theirs = [
        Finding("FAIL", f"{name}: {f.what()}", f.fix(kind)) for kind, f in foreign(job, *sheets)
    ]
    if theirs:
        return theirs
    try:
        guide = _guide(job, *sheets)
        ev = evaluate(grids, now, job, sheets=sheets)
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
    found += _outside(job, rows, tab)
    for channel in sorted(job.alerts.known_channels):
        rows_to = [str(r) for r, cs in named.items() if channel in cs]
        if rows_to:
            shown = ", ".join(rows_to[:10]) + (" ..." if len(rows_to) > 10 else "")
            found.append(Finding("ok", f"{name}: {tab} rows {shown} post to #{channel}"))
    return found


def _outside(job: Job, rows: pd.DataFrame, tab: str) -> list[Finding]:
    """Owners a run will not mail: outside ``[alerts] allowed_domains``, or past the cap."""
    cells = rows["owner"].dropna()
    allowed, known = job.alerts.allowed_domains, job.alerts.known_channels
    notes = {c: owners(c, allowed, known)[1] for c in dict.fromkeys(cells.tolist())}
    return [
        Finding(
            "warn",
            f"{job.workbook.name}: {tab} row {r}: Owner {why}",
            "add the domain to [alerts] allowed_domains if these people should get mail",
        )
        for r, cell in cells.items()
        if (why := notes[cell]) and "allowed_domains" in why
    ]
