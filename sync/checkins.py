"""OKR check-ins: a tab of dated updates (Date, Key result, Current, Confidence, Note).

The newest check-in on or before the as-of day is a key result's current value where its
own ``Current`` cell is empty or the column is absent; the whole history stays at hand for
trends. Key results are matched by their text, and by objective too where the check-in
names one (needed where the same key result text appears under two objectives). Pure.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sync.cells import name_key, parse_dates
from sync.frames import Sheet, blank_mask


def checkin_history(sheet: Sheet, today: dt.date) -> pd.DataFrame:
    """Every readable check-in on or before ``today``, oldest first: ``date``, ``objective``
    and ``key_result`` (matching keys; objective "" when not given), ``current``,
    ``confidence``, ``row``."""
    rows = sheet.rows
    dates = parse_dates(rows["date"])["value"]
    filled = ~pd.Series(blank_mask(rows["current"].to_numpy(dtype=object)), index=rows.index)
    use = dates.notna() & filled & (dates.dt.normalize() <= pd.Timestamp(today))
    frame = pd.DataFrame(
        {
            "date": dates,
            "objective": rows["objective"].map(name_key) if "objective" in rows else "",
            "key_result": rows["key_result"].map(name_key),
            "current": rows["current"],
            "confidence": rows.get("confidence"),
            "row": rows.index.to_numpy(),
        },
        index=rows.index.rename(None),
    )[use]
    ordered: pd.DataFrame = frame.sort_values(["date", "row"], kind="stable")
    return ordered


def fill_current(
    okr_rows: pd.DataFrame, history: pd.DataFrame, tab: str
) -> tuple[pd.DataFrame, list[str]]:
    """``okr_rows`` with empty (or absent) ``current`` cells taken from the newest check-in of
    their key result, and the check-ins that match no key result, or several."""
    objectives = _objective_keys(okr_rows)
    krs = okr_rows["key_result"].map(name_key)
    newest = history.groupby(["objective", "key_result"], sort=False).tail(1)
    by_pair = {
        (o, k): v
        for o, k, v in zip(
            newest["objective"], newest["key_result"], newest["current"], strict=True
        )
    }
    repeated = set(krs[krs.duplicated(keep=False)])
    current = (
        okr_rows["current"]
        if "current" in okr_rows
        else pd.Series(None, index=okr_rows.index, dtype=object)
    )
    blank = pd.Series(blank_mask(current.to_numpy(dtype=object)), index=okr_rows.index)
    taken = [
        by_pair.get((o, k), by_pair.get(("", k)) if k not in repeated else None)
        for o, k in zip(objectives, krs, strict=True)
    ]
    fresh = pd.Series(taken, index=okr_rows.index, dtype=object)
    out = okr_rows.assign(current=current.where(~blank | fresh.isna(), fresh))
    pairs = set(zip(objectives, krs, strict=True))
    return out, _strays(tab, newest, pairs, set(krs), repeated)


def _objective_keys(okr_rows: pd.DataFrame) -> pd.Series:
    """Each key result's objective, an empty cell meaning the one above (merged cells)."""
    keys = okr_rows["objective"].map(name_key)
    return keys.where(keys != "").ffill().fillna("")


def _strays(
    tab: str, newest: pd.DataFrame, pairs: set[tuple[str, str]], krs: set[str], repeated: set[str]
) -> list[str]:
    """Check-ins that fill no key result: named, so that none is ignored in silence."""
    problems = []
    for o, k, row in zip(newest["objective"], newest["key_result"], newest["row"], strict=True):
        if (o and (o, k) not in pairs) or (not o and k not in krs):
            problems.append(f"tab {tab!r} row {row}: no key result {k!r} on the OKRs tab")
        elif not o and k in repeated:
            problems.append(
                f"tab {tab!r} row {row}: key result {k!r} is under several objectives; "
                "add an Objective column to the check-ins tab"
            )
    return problems
