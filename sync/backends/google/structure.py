"""The owned tab created with its colour rules, and grids grown before a write.

Google refuses writes beyond a tab's grid ("Range (...) exceeds grid limits"), so a write
that reaches past it first sends one ``spreadsheets.batchUpdate``: ``addSheet`` of a missing
owned tab with its colour rules (atomic: never a tab without rules, never rules twice), and
``updateSheetProperties`` to grow a grid. A steady run sends none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sync.backends.google.api import AlreadyExists
from sync.backends.google.payload import colour_rules, new_sheet_id
from sync.backends.google.tabs import Tabs, owned_size
from sync.grid import CellUpdate, OwnedTab


def prepare(tabs: Tabs, updates: Sequence[CellUpdate], owned: Sequence[OwnedTab]) -> None:
    """Send one ``spreadsheets.batchUpdate`` if a tab must be created or grown.

    A replayed ``addSheet`` (the first attempt applied, its answer lost) fails on the
    sheet's name: the tab list is then re-read and only what is still needed is sent.
    """
    requests = _structure(tabs, updates, owned)
    if not requests:
        return
    try:
        tabs.apply(requests, tabs.api.batch_update(requests))
    except AlreadyExists:
        tabs.fetch()
        requests = _structure(tabs, updates, owned)
        if requests:
            tabs.apply(requests, tabs.api.batch_update(requests))


def _structure(
    tabs: Tabs, updates: Sequence[CellUpdate], owned: Sequence[OwnedTab]
) -> list[dict[str, Any]]:
    needs: dict[str, tuple[int, int]] = {}
    for u in updates:
        rows, cols = needs.get(u.tab, (0, 0))
        needs[u.tab] = (max(rows, u.row), max(cols, u.col))
    requests: list[dict[str, Any]] = []
    for t in owned:
        size = owned_size(t, tabs.by_name.get(t.name))
        tab = tabs.lookup(t.name)
        if tab is None:
            requests += _add_owned(tabs, t, size)
            continue
        rows, cols = needs.get(t.name, (0, 0))
        needs[t.name] = (max(rows, size[0]), max(cols, size[1]))
        if tab.has_rules is False and t.colours and tab.sheet_id is not None:
            requests += colour_rules(tab.sheet_id, t.colours)
    for name, (rows, cols) in needs.items():
        requests += _grow(tabs, name, rows, cols)
    return requests


def _grow(tabs: Tabs, name: str, rows: int, cols: int) -> list[dict[str, Any]]:
    tab = tabs.known(name)
    if (
        tab.rows is None
        or tab.cols is None
        or ((rows > tab.rows or cols > tab.cols) and tab.sheet_id is None)
    ):
        tabs.fetch()
        tab = tabs.known(name)
    assert tab.rows is not None
    assert tab.cols is not None
    if rows <= tab.rows and cols <= tab.cols:
        return []
    grid = {"rowCount": max(rows, tab.rows), "columnCount": max(cols, tab.cols)}
    return [
        {
            "updateSheetProperties": {
                "properties": {"sheetId": tab.sheet_id, "gridProperties": grid},
                "fields": "gridProperties.rowCount,gridProperties.columnCount",
            }
        }
    ]


def _add_owned(tabs: Tabs, owned: OwnedTab, size: tuple[int, int]) -> list[dict[str, Any]]:
    """addSheet and its rules. The id only has to avoid the ids known: a clash (one in a
    billion) fails as "already exists", and the retry then knows every id."""
    known = [*filter(None, tabs.by_name.values()), *(tabs.listing or {}).values()]
    sheet_id = new_sheet_id(owned.name, {t.sheet_id for t in known})
    # Its own columns, not the UI's 26: every cell of a grid counts against Google's
    # 10-million-cell limit. Rows to spare (1000, or a tenth more), so that a few KPIs
    # added later do not cost a resize (two requests) on the next runs.
    grid = {"rowCount": max(1000, size[0] + size[0] // 10), "columnCount": max(1, size[1])}
    add = {
        "addSheet": {
            "properties": {"sheetId": sheet_id, "title": owned.name, "gridProperties": grid}
        }
    }
    return [add, *colour_rules(sheet_id, owned.colours)]
