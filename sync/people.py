"""Owner cells written as names (``Tom``, ``Ana and Tom``) mapped to addresses by ``[people]``.

Pure: the cell's text in, the text the alert routing reads out (addresses where the names
were, channels and addresses kept as they are), and the names no one could resolve, which
``check`` names; their rows go to the default recipients.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import pandas as pd

from sync.cells import name_key

_PARTS = re.compile(r"\s*(?:[,;\n/&+]|\band\b)\s*", re.IGNORECASE)


def resolve_owner(
    cell: object, people: Mapping[str, tuple[str, ...]]
) -> tuple[str, tuple[str, ...]]:
    """(the owner text with names replaced by their addresses, the names left unresolved)."""
    text = "" if cell is None else str(cell)
    if not text.strip():
        return "", ()
    out: list[str] = []
    unresolved: list[str] = []
    for part in (p.strip() for p in _PARTS.split(text)):
        if not part:
            continue
        if "@" in part or part.startswith("#"):
            out.append(part)
        elif (key := name_key(part)) in people:
            out.extend(people[key])
        else:
            unresolved.append(part)
            out.append(part)
    return ", ".join(dict.fromkeys(out)), tuple(unresolved)


def resolve_owners(
    owners: pd.Series, people: Mapping[str, tuple[str, ...]]
) -> tuple[pd.Series, dict[str, list[int]]]:
    """``resolve_owner`` down a column (one call per distinct cell): the new column and, per
    unresolved name, the sheet rows that hold it."""
    owners = owners.map(_text)
    distinct = {o: resolve_owner(o, people) for o in owners.drop_duplicates().tolist()}
    mapped = owners.map(lambda o: distinct[o][0]).astype(object)
    rows: dict[str, list[int]] = {}
    for row, owner in owners.items():
        for name in distinct[owner][1]:
            rows.setdefault(name, []).append(int(row))  # type: ignore[call-overload]
    return mapped, rows


def _text(cell: object) -> str:
    if isinstance(cell, str):
        return cell
    return "" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else str(cell)
