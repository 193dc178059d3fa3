"""Notes on figures that read fine but are probably not what the team meant.

A note, never a guess: the statuses stay as the rules computed them. Two kinds: a ``%`` KPI
whose value is about 100 times its thresholds (``99.62`` typed where Sheets stores 99.62 %
as ``0.9962``), and rows whose name reads as a total or a note rather than a KPI.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_TOTALS = re.compile(
    r"\A\s*(?:grand\s+)?(?:total|sum|subtotal|average|overall|note|notes|prepared by)\b",
    re.IGNORECASE,
)


def plausibility_notes(tab: str, kpis: pd.DataFrame) -> list[str]:
    """Notes about ``kpis`` (the evaluated KPI rows, indexed by sheet row)."""
    if kpis.empty:
        return []
    return [*_percent_scale(tab, kpis), *_totals(tab, kpis)]


def _percent_scale(tab: str, kpis: pd.DataFrame) -> list[str]:
    limits = kpis[["warning", "critical", "target"]].apply(pd.to_numeric, errors="coerce")
    scale = limits.abs().max(axis=1)
    value = pd.to_numeric(kpis["value"], errors="coerce")
    percent = kpis["unit"].astype(str).str.strip().eq("%")
    ratio = value.abs() / scale.where(scale > 0)
    odd = percent & (scale <= 1.5) & ratio.between(20, 500)
    return [
        f"tab {tab!r} row {row}: KPI {kpis.at[row, 'name']!r} is a % KPI whose value "
        f"{_fmt(value[row])} is about 100 times its thresholds or target "
        f"(up to {_fmt(scale[row])}); Sheets stores 99.6 % as 0.996, so a figure typed as "
        "99.6 reads as 9,960 %: type it with its % sign"
        for row in kpis.index[odd.to_numpy(dtype=bool)]
    ]


def _totals(tab: str, kpis: pd.DataFrame) -> list[str]:
    names = kpis["name"].astype(str)
    return [
        f"tab {tab!r} row {row}: {names[row]!r} reads as a total or a note rather than a "
        "KPI; it is computed as a KPI (move it to another tab if it is not one)"
        for row in kpis.index[names.str.match(_TOTALS).to_numpy(dtype=bool)]
    ]


def _fmt(x: float) -> str:
    return f"{x:,.4g}" if np.isfinite(x) else str(x)
