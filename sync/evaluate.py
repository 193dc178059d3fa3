"""From the tabs read to every status: the pure middle of a run.

``evaluate`` turns the grids a backend returned into KPI and OKR results; it does no
I/O and reads no clock, so a replay with ``--as-of`` or a test gets the same answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sync.backends.base import Grid
from sync.cells import parse_dates
from sync.config import KPI_COLUMNS, LOG_COLUMNS, OKR_COLUMNS, OWNED_COLUMNS, Job
from sync.frames import Sheet, read_sheet, wide_history
from sync.rules.kpi import Where, evaluate_kpis
from sync.rules.okr import Cycle, OkrResult, cycle_for, evaluate_okrs
from sync.writeback import KPI_OWNED, OKR_OWNED


@dataclass(frozen=True)
class Evaluation:
    kpi_sheet: Sheet
    okr_sheet: Sheet
    kpis: pd.DataFrame  # one row per KPI row, indexed by sheet row
    okrs: OkrResult
    cycle: Cycle
    problems: tuple[str, ...]


def tabs_to_read(job: Job) -> list[str]:
    t = job.tabs
    return [t.kpis, t.okrs, t.kpi_log, t.status]


def evaluate(grids: dict[str, Grid | None], now: dt.datetime, job: Job) -> Evaluation:
    t = job.tabs
    kpi_sheet = read_sheet(t.kpis, grids.get(t.kpis), job.columns,
                           [*KPI_COLUMNS, *_owned(KPI_OWNED)], ["kpi"], dated=True)
    okr_sheet = read_sheet(t.okrs, grids.get(t.okrs), job.columns,
                           [*OKR_COLUMNS, *_owned(OKR_OWNED)], ["objective", "key_result"])
    problems = [*kpi_sheet.problems, *okr_sheet.problems]
    kpi_rows = kpi_sheet.rows[kpi_sheet.rows["kpi"].map(_filled)]
    history = wide_history(kpi_sheet)
    log = grids.get(t.kpi_log)
    if log:
        history, log_problems = _with_log(history, kpi_rows, t.kpi_log, log, job)
        problems.extend(log_problems)
    where = Where(t.kpis, kpi_sheet.positions, job.columns)
    kpis = evaluate_kpis(kpi_rows, history[history["row"].isin(kpi_rows.index)], now, job, where)
    kpis = _duplicates(kpis)
    okr_rows = okr_sheet.rows
    kpi_values = dict(zip(kpis["name"].str.casefold(), kpis["value"], strict=True))
    directions = dict(zip(kpis["name"].str.casefold(), kpis["direction"], strict=True))
    okrs = evaluate_okrs(okr_rows, kpi_values, now, job, okr_sheet.positions,
                         kpi_directions=directions)
    return Evaluation(kpi_sheet, okr_sheet, kpis, okrs, cycle_for(job, now), tuple(problems))


def _owned(ids: tuple[str, ...]) -> list[str]:
    return [i for i in ids if i in OWNED_COLUMNS]


def _filled(value: object) -> bool:
    return value is not None and bool(str(value).strip())


def _duplicates(kpis: pd.DataFrame) -> pd.DataFrame:
    """A KPI name used twice makes every later row with it an ERROR; the first is kept."""
    key = kpis["name"].str.casefold()
    dup = key.duplicated(keep="first")
    if not dup.any():
        return kpis
    first_row = pd.Series(kpis.index, index=kpis.index).groupby(key).transform("first")
    notes = "KPI name " + kpis["name"] + " is also on row " + first_row.astype(str)
    return kpis.assign(status=kpis["status"].where(~dup, "ERROR"),
                       note=kpis["note"].where(~dup, notes))


def _with_log(history: pd.DataFrame, kpi_rows: pd.DataFrame, tab: str, grid: Grid,
              job: Job) -> tuple[pd.DataFrame, list[str]]:
    """Add the long ``KPI log`` tab to the wide history; the log wins on the same date."""
    log = read_sheet(tab, grid, job.columns, list(LOG_COLUMNS), ["date", "kpi", "value"])
    names = pd.Series(kpi_rows.index, index=kpi_rows["kpi"].map(lambda v: str(v).strip().casefold()))
    names = names[~names.index.duplicated()]
    keys = log.rows["kpi"].map(lambda v: str(v).strip().casefold() if v is not None else "")
    dates = parse_dates(log.rows["date"])
    known = keys.isin(names.index) & dates["value"].notna()
    problems = [f"tab {tab!r} row {r}: KPI {log.rows.at[r, 'kpi']!r} is not on the KPIs tab"
                for r in log.rows.index[~keys.isin(names.index) & keys.ne("")][:20]]
    entries = pd.DataFrame({
        "row": names.reindex(keys[known]).to_numpy(),
        "date": dates["value"][known].to_numpy(),
        "col": np.full(int(known.sum()), log.positions["value"]),
        "raw": log.rows["value"][known].to_numpy(),
        "tab": tab,
        "src_row": log.rows.index[known].to_numpy(),
    })
    wide = history.assign(tab="", src_row=history["row"])
    merged = pd.concat([wide, entries], ignore_index=True)
    merged = merged.drop_duplicates(["row", "date"], keep="last")
    return merged, problems
