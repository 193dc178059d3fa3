"""From the tabs read to every status: the pure middle of a run.

``evaluate`` turns the grids a backend returned into KPI and OKR results; it does no
I/O and reads no clock, so a replay with ``--as-of`` or a test gets the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
import pandas as pd

from sync.cells import name_key, parse_dates
from sync.checkins import checkin_history, fill_current
from sync.config import (
    CHECKIN_COLUMNS,
    KEY_COLUMN,
    KPI_COLUMNS,
    KPI_OWNED,
    LOG_COLUMNS,
    OKR_COLUMNS,
    OKR_OWNED,
    Job,
)
from sync.errors import LayoutError
from sync.forecasting import Sources, key_result_points, kpi_points, with_forecasts
from sync.frames import Sheet, blank_mask, read_sheet, sheet_dayfirst, wide_history
from sync.grid import Grid
from sync.ownership import Foreign, foreign_columns
from sync.people import resolve_owners
from sync.plausibility import plausibility_notes
from sync.rules import kr_history
from sync.rules.cell_notes import Where
from sync.rules.forecast import Point
from sync.rules.kpi import duplicate_names, evaluate_kpis
from sync.rules.okr import Cycle, OkrResult, cycle_for, evaluate_okrs

# Dated cells per block of KPI rows: the long history and the parsing of its cells exist for
# one block at a time (tens of MB near Google's 10M-cell limit, not hundreds), and a block is
# still big enough that the per-block overhead of the array passes is lost in the noise.
HISTORY_BLOCK_CELLS: Final = 250_000


@dataclass(frozen=True)
class Evaluation:
    kpi_sheet: Sheet
    okr_sheet: Sheet
    kpis: pd.DataFrame  # one row per KPI row, indexed by sheet row
    okrs: OkrResult
    cycle: Cycle
    problems: tuple[str, ...]
    # The KR history tab as this run leaves it (None: no such tab configured), and each
    # key-result row's dated values, for the forecast and the burn-up charts.
    kr_history: pd.DataFrame | None = None
    points: Mapping[int, list[Point]] = field(default_factory=dict)


def evaluate(
    grids: dict[str, Grid | None],
    now: dt.datetime,
    job: Job,
    *,
    block_cells: int = HISTORY_BLOCK_CELLS,
    sheets: tuple[Sheet, Sheet] | None = None,
) -> Evaluation:
    """Every KPI and OKR result of one workbook at ``now``.

    The KPI history goes to the rules a block of about ``block_cells`` dated cells at a
    time; each KPI row's points depend on its own entries alone, so the block size changes
    the memory a run needs, never its results. ``sheets``: the KPIs and OKRs tabs as
    :func:`read_layout` already read them from these grids (``check`` reads them first).
    """
    t = job.tabs
    kpi_sheet, okr_sheet = sheets or read_layout(grids, job, now)
    _refuse_foreign(job, kpi_sheet, okr_sheet)
    problems = [*kpi_sheet.problems, *okr_sheet.problems]
    kpi_rows = kpi_sheet.rows[kpi_sheet.rows["kpi"].map(_filled)]
    log, log_grid = None, grids.get(t.kpi_log) if t.kpis and t.kpi_log else None
    if log_grid:
        log, log_problems = _log_entries(kpi_rows, t.kpi_log, log_grid, job)
        problems.extend(log_problems)
    problems.extend(_no_history(job, kpi_sheet, kpi_rows, log))
    where = Where(kpi_sheet.positions, job.columns_for("kpis"))
    history = _history_blocks(kpi_sheet, kpi_rows.index, log, block_cells)
    kpis = evaluate_kpis(kpi_rows, history, now, job, where)
    kpis = duplicate_names(kpis)  # each row of a name used twice: ERROR
    okr_rows, checkins = okr_sheet.rows, None
    if t.checkins and not okr_rows.empty:
        okr_rows, checkin_problems, checkins = _checkins(job, grids, okr_rows, now)
        problems.extend(checkin_problems)
    names = kpis["name"].str.casefold()
    twice = names.duplicated(keep=False)
    once = names[~twice].tolist()  # lists: iterating a str Series costs a lookup per item
    kpi_values = dict(zip(once, kpis["value"][~twice].tolist(), strict=True))
    directions = dict(zip(once, kpis["direction"][~twice].tolist(), strict=True))
    okrs = evaluate_okrs(
        okr_rows,
        kpi_values,
        now,
        replace(job, columns=job.columns_for("okrs")),
        okr_sheet.positions,
        kpi_directions=directions,
        ambiguous_kpis=set(names[twice]),
    )
    problems.extend(plausibility_notes(t.kpis, kpis))
    kpis, okrs = _owners(job, kpis, okrs, problems)
    cycle, today = cycle_for(job, now), _today(now, job)
    read = kr_history.read_history(grids.get(t.kr_history) if t.kr_history else None)
    kept = kr_history.merge(read, kr_history.today_rows(okrs.key_results, today), today)
    linked = {name_key(k) for k in okrs.key_results["kpi"] if k} if len(okrs.key_results) else set()
    sources = Sources(kept, checkins, kpi_points(kpi_sheet, kpis, log, linked, job))
    points = key_result_points(okrs.key_results, sources, cycle, today)
    okrs = with_forecasts(okrs, points, job, cycle, today)
    return Evaluation(
        kpi_sheet,
        okr_sheet,
        kpis,
        okrs,
        cycle,
        tuple(problems),
        kr_history=kept if t.kr_history and t.okrs else None,
        points=points,
    )


def _owners(
    job: Job, kpis: pd.DataFrame, okrs: OkrResult, problems: list[str]
) -> tuple[pd.DataFrame, OkrResult]:
    """Owner names mapped to addresses by ``[people]``; names left unresolved are problems
    (``check`` names them) and their rows go to the default recipients."""
    krs = okrs.key_results
    out = []
    for tab, frame in ((job.tabs.kpis, kpis), (job.tabs.okrs, krs)):
        if frame.empty or "owner" not in frame:
            out.append(frame)
            continue
        mapped, unresolved = resolve_owners(frame["owner"], job.people)
        out.append(frame.assign(owner=mapped))
        problems.extend(
            f"tab {tab!r} row(s) {', '.join(map(str, rows[:5]))}: owner {name!r} is neither "
            f'an address nor a name in [people]; add {name} = "<address>" to [people] '
            "(until then these rows go to [alerts] recipients)"
            for name, rows in unresolved.items()
        )
    return out[0], replace(okrs, key_results=out[1])


def layout_sheet(
    job: Job,
    kind: str,
    grids: dict[str, Grid | None],
    wanted: Sequence[str],
    required: Sequence[str],
    *,
    today: dt.date | None = None,
) -> Sheet:
    """One tab of kind ``kind`` (``kpis``, ``okrs``, ``kpi_log``...) read with its own column
    names and header row. A tab configured as ``""`` (a KPI-only or OKR-only workbook) reads
    as a header with no rows: nothing to compute, nothing written there."""
    tab: str = getattr(job.tabs, kind)
    columns = job.columns_for(kind)
    header: Grid = [[columns[c] for c in required]]
    grid = grids.get(tab) if tab else header
    return read_sheet(
        tab,
        grid,
        columns,
        wanted,
        required,
        dated=today is not None,
        today=today,
        key=KEY_COLUMN[kind],
        header_row=job.header_rows.get(kind) if tab else None,
    )


def _refuse_foreign(job: Job, kpi_sheet: Sheet, okr_sheet: Sheet) -> None:
    """A team's own column under one of the sync's names is never written: the run stops
    before anything is (README, "Your columns stay yours")."""
    found = [f.sentence(kind) for kind, f in foreign(job, kpi_sheet, okr_sheet)]
    if found:
        raise LayoutError("; ".join(found))


def foreign(job: Job, kpi_sheet: Sheet, okr_sheet: Sheet) -> list[tuple[str, Foreign]]:
    """The team's own columns under the sync's names, with the kind of tab of each."""
    return [
        (kind, f)
        for kind, sheet, owned in (("kpis", kpi_sheet, KPI_OWNED), ("okrs", okr_sheet, OKR_OWNED))
        for f in foreign_columns(sheet, owned, job.columns_for(kind), job.tz)
    ]


def read_layout(grids: dict[str, Grid | None], job: Job, now: dt.datetime) -> tuple[Sheet, Sheet]:
    """The KPIs and OKRs tabs as ``evaluate`` reads them at ``now`` (for ``check`` too)."""
    today = _today(now, job)
    return (
        layout_sheet(job, "kpis", grids, [*KPI_COLUMNS, *KPI_OWNED], ["kpi"], today=today),
        layout_sheet(job, "okrs", grids, [*OKR_COLUMNS, *OKR_OWNED], ["objective", "key_result"]),
    )


def _checkins(
    job: Job, grids: dict[str, Grid | None], okr_rows: pd.DataFrame, now: dt.datetime
) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """The key results with empty ``Current`` cells filled from the check-ins tab, the
    problems found, and the check-ins themselves (history, for the forecast)."""
    sheet = layout_sheet(
        job, "checkins", grids, list(CHECKIN_COLUMNS), ["date", "key_result", "current"]
    )
    history = checkin_history(sheet, _today(now, job))
    filled, problems = fill_current(okr_rows, history, job.tabs.checkins)
    return filled, problems, history


def _today(now: dt.datetime, job: Job) -> dt.date:
    return now.astimezone(job.tz).date() if now.tzinfo else now.date()


def _no_history(job: Job, sheet: Sheet, rows: pd.DataFrame, log: pd.DataFrame | None) -> list[str]:
    """A KPIs tab where no value can come from: said, never left to read as NO DATA."""
    if rows.empty or sheet.dates or "current" in sheet.positions or log is not None:
        return []
    current = job.columns_for("kpis")["current"]
    return [
        f"tab {sheet.tab!r}: no history column recognised on row {sheet.header_row} (no header "
        f"is a date or a period such as 2026-11-02, Jan, Q4 or W45) and no {current!r} column, "
        "so every KPI shows NO DATA; name a history column by its date or period, or map your "
        'value column with [columns.kpis] current = "<your header>"'
    ]


def _filled(value: object) -> bool:
    return value is not None and bool(str(value).strip())


def _history_blocks(
    sheet: Sheet, rows: pd.Index, log: pd.DataFrame | None, cells: int
) -> Iterator[pd.DataFrame]:
    """The history of the KPI ``rows``, a block of rows (about ``cells`` dated cells) at a time.

    Lazily: a block's long frame is made when the rules ask for it and dropped once its points
    are taken. Each block holds every entry of its rows, the log's included (``_with_log``).
    """
    size = max(1, cells // max(1, len(sheet.dates)))
    for start in range(0, len(rows), size):
        block = rows[start : start + size]
        wide = wide_history(sheet, block)
        yield wide if log is None else _with_log(wide, log, block)


def _log_entries(
    kpi_rows: pd.DataFrame, tab: str, grid: Grid, job: Job
) -> tuple[pd.DataFrame, list[str]]:
    """The long ``KPI log`` tab as history entries of the KPI rows (docs/kpi-rules.md, "Two
    layouts"), ordered for ``_with_log``, and the layout problems found.

    Within the log the later entry (later time, then lower row) wins, so the entries are in
    time order (rows in sheet order within a time) for the rules, which let the last entry for
    a day win. Log rows with no value are skipped; a row with a value but no readable date is
    an ERROR on its KPI; names not on the KPIs tab are layout problems.
    """
    log = layout_sheet(job, "kpi_log", {tab: grid}, list(LOG_COLUMNS), ["date", "kpi", "value"])
    rows = log.rows
    keys, kpi_keys = rows["kpi"].map(name_key), kpi_rows["kpi"].map(name_key)
    first_row = pd.Series(kpi_rows.index, index=kpi_keys)
    first_row = first_row[~first_row.index.duplicated()]
    filled = ~pd.Series(blank_mask(rows["value"].to_numpy(dtype=object)), index=rows.index)
    filled &= rows["value"].map(lambda v: not isinstance(v, str) or bool(v.strip()))
    known = keys.isin(first_row.index) & keys.ne("")
    problems = _log_problems(tab, rows, keys, known, filled=filled)
    date_header = job.columns_for("kpi_log")["date"]
    dayfirst, date_problems = sheet_dayfirst(tab, f"column {date_header!r}", rows["date"])
    problems[:0] = date_problems
    use = rows.index[known & filled]
    dates = parse_dates(rows.loc[use, "date"], dayfirst=dayfirst)
    no_date = dates["value"].isna()
    reason = dates["error"].where(dates["error"].notna(), "a value with no date")
    entries = pd.DataFrame(
        {
            "row": first_row.reindex(keys[use]).to_numpy(),
            "date": dates["value"].dt.floor("D"),
            "col": np.where(no_date, log.positions["date"], log.positions["value"]),
            "raw": rows.loc[use, "value"].where(~no_date, rows.loc[use, "date"]),
            "tab": tab,
            "src_row": use.to_numpy(),
            "error": reason.where(no_date, None),
            "_when": dates["value"],
        },
        index=use,
    ).sort_values("_when", kind="stable", na_position="first")
    return entries.drop(columns="_when"), problems


def _with_log(history: pd.DataFrame, log: pd.DataFrame, rows: pd.Index) -> pd.DataFrame:
    """The wide ``history`` of the KPI ``rows`` with the log's entries for the same rows.

    On the same KPI and day the KPIs tab wins over the log: the log's entries go first, in
    the order ``_log_entries`` gave them, so that the rules, which let the last entry for a
    day win, see the KPIs tab last.
    """
    mine = log[log["row"].isin(rows)]
    if mine.empty:  # what the rules would read from the merge: the wide entries alone
        return history
    return pd.concat([mine, history], ignore_index=True)


def _log_problems(
    tab: str,
    rows: pd.DataFrame,
    keys: pd.Series,
    known: pd.Series,
    *,
    filled: pd.Series,
    shown: int = 20,
) -> list[str]:
    """Log rows whose value belongs to no KPI: named on no KPIs row, or not named at all."""
    nameless = rows.index[filled & keys.eq("")]
    strangers = rows.index[filled & keys.ne("") & ~known]
    problems = [
        f"tab {tab!r} row {r}: KPI {rows.at[r, 'kpi']!r} is not on the KPIs tab"
        for r in strangers[:shown]
    ]
    problems += [f"tab {tab!r} row {r}: a value with no KPI name" for r in nameless[:shown]]
    hidden = max(len(strangers) - shown, 0) + max(len(nameless) - shown, 0)
    if hidden:
        problems.append(f"tab {tab!r}: {hidden} more rows like these")
    return problems
