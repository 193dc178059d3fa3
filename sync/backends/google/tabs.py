"""What the backend knows of each tab between the read and the write, and where it learnt it.

A steady run needs no metadata request of its own: the read's echoed ranges tell each tab's
title and grid size, the key check (a ``spreadsheets.get`` of key cells) the written tabs' ids
and the title, and the write's answer every tab. The tab list is fetched only when something
is missing before that.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sync.backends.google import protection
from sync.backends.google.api import SheetsApi
from sync.backends.google.payload import blanks_to_none
from sync.backends.google.ranges import grid_size, sheet_of
from sync.errors import WorkbookError
from sync.grid import Grid, Outline, OwnedTab

METADATA_FIELDS = (
    "properties.title,sheets(properties(sheetId,title,gridProperties("
    f"rowCount,columnCount)),conditionalFormats(ranges(sheetId)),{protection.FIELDS})"
)


@dataclass
class Tab:
    """What the backend knows of one tab; ``None`` fields are not known yet."""

    title: str  # as the spreadsheet spells it
    rows: int | None = None  # grid size
    cols: int | None = None
    sheet_id: int | None = None
    extent: tuple[int, int] | None = None  # rows x columns holding values, if read whole
    has_rules: bool | None = None
    values: Grid | None = None  # as read whole (the caller's grid, not a copy), if known


def tab_from(sheet: Mapping[str, Any]) -> Tab:
    """A Sheet resource (``properties``, ``conditionalFormats``) as what the backend tracks."""
    props = sheet.get("properties", {})
    grid = props.get("gridProperties", {})
    return Tab(
        str(props.get("title", "")),
        grid.get("rowCount"),
        grid.get("columnCount"),
        int(props.get("sheetId", 0)),
        has_rules=bool(sheet.get("conditionalFormats")),
    )


# A formula error as an effectiveValue, and as values.batchGet writes it (UNFORMATTED_VALUE).
ERROR_TEXT = {
    "ERROR": "#ERROR!",
    "NULL_VALUE": "#NULL!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
    "LOADING": "Loading...",
}


def cell_value(cell: Mapping[str, Any]) -> Any:
    """A CellData's effective value as ``values.batchGet`` would give it ("" when empty)."""
    value = cell.get("effectiveValue") or {}
    for kind in ("stringValue", "numberValue", "boolValue"):
        if kind in value:
            return value[kind]
    if "errorValue" in value:
        return ERROR_TEXT.get(str(value["errorValue"].get("type")), "#ERROR!")
    return ""


def grid_rows(
    meta: Mapping[str, Any], ranges: Sequence[str]
) -> list[tuple[Mapping[str, Any], list[list[Any]]]]:
    """Each range's rows, from a ``spreadsheets.get`` with ``ranges``, and the sheet it is on:
    Google gives each sheet one GridData per range on it, in the order asked."""
    data: dict[str, tuple[Mapping[str, Any], deque[Mapping[str, Any]]]] = {}
    for sheet in meta.get("sheets", []):
        title = str(sheet.get("properties", {}).get("title", ""))
        data[title.casefold()] = (sheet, deque(sheet.get("data", [])))
    out = []
    for text in ranges:
        sheet, queue = data[sheet_of(text, "").casefold()]
        grid = queue.popleft() if queue else {}
        rows = [[cell_value(c) for c in r.get("values", [])] for r in grid.get("rowData", [])]
        out.append((sheet, rows))
    return out


def match(listing: Mapping[str, Tab], name: str) -> Tab | None:
    """The tab titled ``name``, else the one whose title differs only in case or spaces."""
    if name in listing:
        return listing[name]
    folded = name.strip().casefold()
    return next((t for title, t in listing.items() if title.strip().casefold() == folded), None)


def owned_size(owned: OwnedTab, tab: Tab | None) -> tuple[int, int]:
    """Rows x columns the owned tab's write covers: its grid, or what it held if larger."""
    old_rows, old_cols = tab.extent if tab is not None and tab.extent else (0, 0)
    return (max(len(owned.grid), old_rows), max(max(map(len, owned.grid), default=0), old_cols))


class Tabs:
    """Every tab asked for, by the name asked for (None: it does not exist), and the tab list
    once fetched. Not thread-safe; one per workbook."""

    def __init__(self, api: SheetsApi) -> None:
        self.api = api
        self.title: str | None = None  # the spreadsheet's, from the tab list
        self.by_name: dict[str, Tab | None] = {}
        self.listing: dict[str, Tab] | None = None
        self.protected: list[protection.Protected] = []  # that block us, from the tab list

    def remember(self, name: str, value_range: Mapping[str, Any]) -> Grid:
        """A ValueRange as a grid; its echoed range tells the tab's title and grid size."""
        grid: Grid = blanks_to_none(value_range.get("values", []))
        echoed = value_range.get("range", "")
        tab = (
            self.by_name.get(name)
            or (match(self.listing, name) if self.listing else None)
            or Tab(sheet_of(echoed, name))
        )
        tab.title = sheet_of(echoed, tab.title)
        tab.rows, tab.cols = grid_size(echoed) or (tab.rows, tab.cols)
        tab.extent = (len(grid), max((len(r) for r in grid), default=0))
        tab.values = grid
        self.by_name[name] = tab
        return grid

    def fetch(self) -> dict[str, Tab]:
        """The tab list, title and grid sizes: one ``spreadsheets.get`` with a field mask."""
        return self.learn_all(self.api.metadata(METADATA_FIELDS))

    def learn_all(self, meta: Mapping[str, Any]) -> dict[str, Tab]:
        """Every tab and the title from a whole Spreadsheet resource (the tab list, or the
        one a write's answer carries)."""
        self.title = str(meta.get("properties", {}).get("title", ""))
        self.protected = protection.blocking(meta)
        listing = {tab.title: tab for tab in map(tab_from, meta.get("sheets", []))}
        self.listing = listing
        for name, old in list(self.by_name.items()):
            fresh = match(listing, name)
            if fresh is not None and old is not None and fresh.title == old.title:
                fresh.extent, fresh.values = old.extent, old.values
            self.by_name[name] = fresh
        return listing

    def learn_some(self, meta: Mapping[str, Any]) -> None:
        """The title and the tabs a ``spreadsheets.get`` with ranges returned (only those the
        ranges touch: the list stays as it was)."""
        self.title = str(meta.get("properties", {}).get("title", self.title or ""))
        for fresh in map(tab_from, meta.get("sheets", [])):
            for tab in filter(None, self.by_name.values()):
                if tab.title == fresh.title:
                    tab.sheet_id, tab.rows, tab.cols = fresh.sheet_id, fresh.rows, fresh.cols
                    tab.has_rules = fresh.has_rules

    @property
    def outline(self) -> Outline | None:
        """The title and every tab's, if a whole list was seen in this run."""
        if self.listing is None or self.title is None:
            return None
        return Outline(self.title, tuple(self.listing))

    def sheet_id(self, title: str) -> int:
        """The id of the tab titled ``title`` (learnt by the key check); the tab list is
        fetched if it is not known."""
        for _ in range(2):
            known = [*filter(None, self.by_name.values()), *(self.listing or {}).values()]
            found = next((t.sheet_id for t in known if t.title == title), None)
            if found is not None:
                return found
            self.fetch()
        raise WorkbookError(f"spreadsheet {self.api.key} has no tab {title!r}")

    def lookup(self, name: str) -> Tab | None:
        """The tab asked for as ``name`` (exact title, else ignoring case); None if missing."""
        if name not in self.by_name:
            listing = self.listing if self.listing is not None else self.fetch()
            self.by_name[name] = match(listing, name)
        return self.by_name[name]

    def known(self, name: str) -> Tab:
        tab = self.lookup(name)
        if tab is None:
            raise WorkbookError(f"spreadsheet {self.api.key} has no tab {name!r}")
        return tab

    def apply(self, requests: list[dict[str, Any]], response: Mapping[str, Any]) -> None:
        """What a ``spreadsheets.batchUpdate`` changed: tabs added, grids grown, rules."""
        for request, reply in zip(requests, response.get("replies", []), strict=False):
            if "addSheet" in reply:
                props = reply["addSheet"]["properties"]
                grid = props.get("gridProperties", {})
                tab = Tab(
                    props["title"],
                    grid.get("rowCount"),
                    grid.get("columnCount"),
                    props.get("sheetId"),
                    extent=(0, 0),
                    has_rules=True,
                    values=[],
                )
                self.by_name[tab.title] = tab
                if self.listing is not None:
                    self.listing[tab.title] = tab
            elif "updateSheetProperties" in request:
                props = request["updateSheetProperties"]["properties"]
                for tab in filter(None, self.by_name.values()):
                    if tab.sheet_id == props["sheetId"]:
                        tab.rows = props["gridProperties"]["rowCount"]
                        tab.cols = props["gridProperties"]["columnCount"]
            elif "addConditionalFormatRule" in request:
                sheet_id = request["addConditionalFormatRule"]["rule"]["ranges"][0]["sheetId"]
                for tab in filter(None, self.by_name.values()):
                    tab.has_rules = tab.has_rules or tab.sheet_id == sheet_id
