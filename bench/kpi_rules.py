"""Benchmark: 10,000 KPIs x 104 weekly columns (about a million cells) through the KPI path.

Not a test: run it by hand or with ``make bench``::

    .venv/bin/python bench/kpi_rules.py [--kpis 10000] [--weeks 104] [--runs 5]

It builds a wide KPIs grid the way a backend returns one (Python floats and ints, with the
text, blanks, ``n/a`` and formula errors people leave in sheets), then times each stage of
``sync.evaluate``'s KPI path: ``read_sheet`` (grid -> Sheet, header dates), ``wide_history``
(the dated block as long entries), ``evaluate_kpis`` (number parsing and every rule). The
first run in a fresh process is reported apart (regexes compiled, lazy imports), then the
median of the warm runs. ``cpu`` is the process's CPU time for the whole pass: the path is
single-threaded, so on a busy machine it shows what the wall time would be on a quiet one.
Memory is the process's peak resident set (``ru_maxrss``), grid
included, and the growth over what the grid alone held.

Target (issue #3): under 1 s and under 500 MB peak on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import time

import numpy as np

from sync.config import KPI_COLUMNS, Job, WorkbookConfig
from sync.frames import read_sheet, wide_history
from sync.grid import Cell, Grid
from sync.rules.cell_notes import Where
from sync.rules.kpi import evaluate_kpis

HEAD: list[Cell] = [
    "KPI",
    "Owner",
    "Unit",
    "Direction",
    "Warning",
    "Critical",
    "Target",
    "Max change %",
    "Cadence",
    "Mute until",
    "Comments",
]
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
ODD_CELLS: list[Cell] = ["12%", "$1,200", "1.2k", "(300)", "n/a", "-", "#DIV/0!", " ", "3M"]


def make_grid(kpis: int, weeks: int, seed: int = 3) -> Grid:
    """A KPIs tab in the wide layout: newest week on the right, a comment column before it."""
    rng = np.random.default_rng(seed)
    first = dt.date(2026, 11, 23) - dt.timedelta(weeks=weeks - 1)
    header: list[Cell] = [
        *HEAD,
        *[(first + dt.timedelta(weeks=w)).isoformat() for w in range(weeks)],
    ]
    level = rng.uniform(100, 10_000, kpis)
    walk = level[:, None] * np.cumprod(1 + rng.normal(0, 0.04, (kpis, weeks)), axis=1)
    values: list[list[Cell]] = np.round(walk, 2).tolist()
    blank = rng.random((kpis, weeks)) < 0.05  # gaps people leave
    odd = rng.random((kpis, weeks)) < 0.002  # text, n/a and formula errors
    grid: Grid = [header]
    for i in range(kpis):
        row = values[i]
        for w in np.flatnonzero(blank[i]):
            row[w] = None
        for w in np.flatnonzero(odd[i]):
            row[w] = ODD_CELLS[int(rng.integers(len(ODD_CELLS)))]
        if i % 7 == 0:  # ints, as a count KPI holds them
            row = [int(v) if isinstance(v, float) else v for v in row]
        grid.append([*_attributes(i, level[i]), *row])
    return grid


def _attributes(i: int, level: float) -> list[Cell]:
    higher = i % 3 != 0
    warning, critical = (level * 0.9, level * 0.8) if higher else (level * 1.1, level * 1.2)
    return [
        f"KPI {i}",
        f"owner{i % 50}@example.com",
        ["", "%", "$", "ms"][i % 4],
        ["lower", "higher", ""][i % 3] if i % 5 else "",
        round(warning, 1),
        round(critical, 1) if i % 4 else None,
        round(level * (1.2 if higher else 0.8)),
        15 if i % 2 else None,
        ["weekly", "daily", "monthly", 14, ""][i % 5],
        None,
        "note" if i % 10 == 0 else None,
    ]


def run_once(grid: Grid, job: Job) -> dict[str, float]:
    """One pass of the KPI path; seconds per stage."""
    times: dict[str, float] = {}
    cpu = time.process_time()
    start = time.perf_counter()
    sheet = read_sheet("KPIs", grid, job.columns, list(KPI_COLUMNS), ["kpi"], dated=True)
    times["read_sheet"] = time.perf_counter() - start
    mark = time.perf_counter()
    history = wide_history(sheet)
    times["wide_history"] = time.perf_counter() - mark
    mark = time.perf_counter()
    result = evaluate_kpis(sheet.rows, history, NOW, job, Where(sheet.positions, job.columns))
    times["evaluate_kpis"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - start
    times["cpu"] = time.process_time() - cpu
    assert len(result) == len(grid) - 1
    return times


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _line(label: str, times: dict[str, float]) -> str:
    return f"{label:<14}" + "  ".join(f"{k} {v:6.3f}s" for k, v in times.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kpis", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    job = Job(workbook=WorkbookConfig(backend="xlsx"))
    grid = make_grid(args.kpis, args.weeks)
    grid_mb = _peak_mb()
    print(
        f"{args.kpis:,} KPIs x {args.weeks} weeks = {args.kpis * args.weeks:,} history cells; "
        f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}"
    )
    runs: list[dict[str, float]] = []
    for _ in range(max(args.runs, 2)):
        runs.append(run_once(grid, job))
    warm = {k: statistics.median(r[k] for r in runs[1:]) for k in runs[0]}
    print(_line("first run", runs[0]))
    print(_line("warm median", warm))
    peak = _peak_mb()
    print(
        f"peak memory   {peak:.0f} MB resident (the grid alone: {grid_mb:.0f} MB; "
        f"the KPI path added {peak - grid_mb:.0f} MB)"
    )
    ok = warm["total"] < 1.0 and runs[0]["total"] < 1.0 and peak < 500
    print(f"load average  {os.getloadavg()[0]:.2f} (wall times are only meaningful near 0)")
    print("target (< 1 s, < 500 MB):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
