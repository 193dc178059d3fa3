"""The workbooks the Sheets benchmark serves: a wide KPIs tab and an OKRs tab.

The KPIs tab is ``bench.kpi_rules.make_grid``'s: 11 attribute columns and one dated column per
week (the wide layout), with the gaps, text and formula errors people leave. The OKRs tab has
one key result per ten KPIs (at least ten), five to an objective, the objective cell left
blank below its first row as people do; some are milestones, some follow a KPI.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from bench.kpi_rules import make_grid
from sync.grid import Cell, Grid

OKR_HEAD: list[Cell] = [
    "Objective",
    "Key result",
    "Owner",
    "Start",
    "Target",
    "Current",
    "Weight",
    "Due",
    "KPI",
    "Confidence",
    "Kind",
]
CYCLE = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def make_okrs(kpis: int, seed: int = 5) -> Grid:
    rng = np.random.default_rng(seed)
    count = max(10, kpis // 10)
    start = np.round(rng.uniform(0, 100, count), 1)
    target = np.round(start + rng.uniform(-50, 200, count), 1)
    current = np.round(start + (target - start) * rng.uniform(-0.1, 1.2, count), 1)
    grid: Grid = [list(OKR_HEAD)]
    for i in range(count):
        objective = f"Objective {i // 5}" if i % 5 == 0 else None
        row: list[Cell] = [
            objective,
            f"Key result {i}",
            f"owner{i % 50}@example.com",
            float(start[i]),
            float(target[i]),
            float(current[i]),
            [1, 2, None][i % 3],
            None,
            None,
            ["high", "medium", None][i % 3],
            "committed" if i % 4 == 0 else "aspirational",
        ]
        if i % 9 == 4:  # a milestone
            row[3:6] = [None, None, ["Yes", "No", "Done"][i % 3]]
        elif i % 9 == 7:  # follows a KPI's current value
            row[5] = None
            row[8] = f"KPI {(i * 7) % kpis}"
        if i % 6 == 1:
            row[7] = dt.date(2026, 11, 15).isoformat()
        grid.append(row)
    return grid


def make_workbook(kpis: int, weeks: int) -> dict[str, Grid]:
    """Tab name -> grid, as the emulator seeds a spreadsheet."""
    return {"KPIs": make_grid(kpis, weeks), "OKRs": make_okrs(kpis)}


def cells(workbook: dict[str, Grid]) -> int:
    return sum(max((len(r) for r in grid), default=0) * len(grid) for grid in workbook.values())
