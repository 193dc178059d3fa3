"""The OKR notes in plain words: a key result's figures and due date, an objective's summary.

Formatting only, one string per row: the statuses are decided in ``sync.rules.okr`` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sync.present import figure
from sync.rules import status as st


def key_result_notes(f: pd.DataFrame) -> list[str]:
    """What a manager needs beside the progress bar: the figures, the due date, the score.

    One string per key result (formatting, not computing: a plain pass over the rows)."""
    columns = [
        "value",
        "start",
        "target",
        "milestone",
        "maintain",
        "higher",
        "kpi",
        "due",
        "score",
        "status",
        "error",
    ]
    return [
        _key_result_note({str(k): v for k, v in r.items()}) for r in f[columns].to_dict("records")
    ]


def _key_result_note(r: Mapping[str, Any]) -> str:
    if r["status"] == st.ERROR:
        return str(r["error"])
    value, target, kpi = float(r["value"]), float(r["target"]), str(r["kpi"])
    if np.isnan(value):
        text = f"KPI {kpi} has no current value yet" if kpi else "no current value yet"
    elif r["milestone"]:
        text = "done" if value >= 1 else "not done yet"
    elif r["maintain"]:
        higher = bool(r["higher"])
        held = "held" if (value >= target if higher else value <= target) else "not held"
        text = f"{figure(value)}, {held} at or {'above' if higher else 'below'} {figure(target)}"
    else:
        text = f"{figure(value)} (from {figure(float(r['start']))} to {figure(target)})"
    if kpi and not np.isnan(value):
        text = f"KPI {kpi}: {text}"
    if isinstance(r["due"], pd.Timestamp):  # NaT is no Timestamp (though it is a datetime)
        text += f"; due {r['due']:%Y-%m-%d}"
    if not np.isnan(float(r["score"])):
        text += f"; final score {float(r['score']):.1f}"
    return text


def objective_notes(objs: pd.DataFrame, codes: np.ndarray, krs: pd.DataFrame) -> list[str]:
    """One line per objective: key results left out, the final score, the weakest link."""
    weakest: dict[int, tuple[int, str, str]] = {}
    left_out: dict[int, list[str]] = {}
    for code, name, status in zip(codes, krs["key_result"], krs["status"], strict=True):
        if status == st.ERROR:
            left_out.setdefault(int(code), []).append(name or "(unnamed)")
            continue
        rank = st.rank(st.OKR_ORDER, status)
        if int(code) not in weakest or rank < weakest[int(code)][0]:
            weakest[int(code)] = (rank, name, status)
    return [
        _objective_note(int(count), int(errors), float(score), left_out.get(i, []), weakest.get(i))
        for i, (count, errors, score) in enumerate(
            zip(objs["count"], objs["errors"], objs["score"], strict=True)
        )
    ]


def _objective_note(
    count: int, errors: int, score: float, left_out: list[str], weakest: tuple[int, str, str] | None
) -> str:
    names = ", ".join(left_out)
    if errors == count:
        return f"every key result is ERROR, nothing to roll up: {names}"
    parts: list[str] = []
    if errors:
        parts.append(f"{errors} of {count} key results left out of the roll-up (ERROR): {names}")
    if not np.isnan(score):
        parts.append(f"final score {score:.1f}")
    if weakest is not None and weakest[2] in (st.OFF_TRACK, st.AT_RISK):
        parts.append(f"weakest: {weakest[1]} ({weakest[2]})")
    return "; ".join(parts) or f"{count} key result{'s' if count != 1 else ''}"
