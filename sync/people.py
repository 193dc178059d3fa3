"""Owner cells written as names (``Tom``, ``Ana and Tom``) mapped to addresses by ``[people]``.

Pure: the cell's text in, the text the alert routing reads out (addresses where the names
were, channels and addresses kept as they are), and the names no one could resolve, which
``check`` names; their rows go to the default recipients.
"""

from __future__ import annotations

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
    owners = owners.where(owners.notna(), "").astype(str)
    distinct = {o: resolve_owner(o, people) for o in owners.drop_duplicates().tolist()}
    mapped = owners.map({o: text for o, (text, _) in distinct.items()}).astype(object)
    rows: dict[str, list[int]] = {}
    for owner, (_, names) in distinct.items():
        at = owners.index[owners.eq(owner).to_numpy()].tolist() if names else []
        for name in names:
            rows.setdefault(name, []).extend(int(r) for r in at)
    return mapped, rows
