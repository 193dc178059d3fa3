"""Protected ranges: which of them the sync may not write through, found before a run fails.

Google refuses a whole write that touches a range protected against the caller ("You are
trying to edit a protected cell or object"), every run. ``spreadsheets.get`` lists each
sheet's ``protectedRanges`` with ``requestingUserCanEdit``; ``warningOnly`` ones never
block the API. `metrics-sync check` names those over what the sync writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gspread.utils import rowcol_to_a1

from sync.a1 import column_letter

FIELDS = "protectedRanges(range,requestingUserCanEdit,warningOnly,description)"
OPEN = 1 << 30  # an open end: to the grid's edge


@dataclass(frozen=True)
class Box:
    """Cells of one tab: 0-based, ends exclusive (``OPEN``: to the edge)."""

    tab: str
    row0: int = 0
    col0: int = 0
    row1: int = OPEN
    col1: int = OPEN

    def overlaps(self, other: Box) -> bool:
        return (
            self.tab.casefold() == other.tab.casefold()
            and self.row0 < other.row1
            and other.row0 < self.row1
            and self.col0 < other.col1
            and other.col0 < self.col1
        )

    def a1(self) -> str:
        if (self.row0, self.col0, self.row1, self.col1) == (0, 0, OPEN, OPEN):
            return f"the whole tab {self.tab!r}"
        first = rowcol_to_a1(self.row0 + 1, self.col0 + 1)
        rows = "" if self.row1 == OPEN else str(self.row1)
        last = column_letter(self.col1) + rows if self.col1 < OPEN else ""
        return f"{self.tab!r}!{first}:{last}" if last else f"{self.tab!r} from {first}"


@dataclass(frozen=True)
class Protected:
    """A protected range the caller may not edit."""

    box: Box
    description: str


def blocking(meta: Mapping[str, Any]) -> list[Protected]:
    """The protected ranges of a Spreadsheet resource that block the caller's writes."""
    found = []
    for sheet in meta.get("sheets", []):
        title = str(sheet.get("properties", {}).get("title", ""))
        for p in sheet.get("protectedRanges", []):
            if p.get("requestingUserCanEdit") or p.get("warningOnly"):
                continue
            grid = p.get("range", {})
            box = Box(
                title,
                grid.get("startRowIndex", 0),
                grid.get("startColumnIndex", 0),
                grid.get("endRowIndex", OPEN),
                grid.get("endColumnIndex", OPEN),
            )
            found.append(Protected(box, str(p.get("description", ""))))
    return found


def covering(protected: Sequence[Protected], writes: Sequence[tuple[str, Box]]) -> list[str]:
    """A sentence for each protected range over something the sync writes (``writes``:
    what, and its cells)."""
    out = []
    for p in protected:
        hit = [what for what, box in writes if p.box.overlaps(box)]
        if hit:
            named = f" ({p.description!r})" if p.description else ""
            out.append(f"protected range {p.box.a1()}{named} covers {', '.join(hit)}")
    return out
