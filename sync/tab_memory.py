"""What the Status tab remembers of the workbook between runs: its title and the tabs the
config names that it lacks, so that a run on Google asks for neither (docs/google.md).

Two rows at the foot of the Status tab, rewritten by every run::

    Spreadsheet      | Team metrics
    Tabs not found   | KPI log

A tab listed there is not read by the next run; once the tab exists, the run that sees it
(on Google, in the answer to its write) rewrites the rows, and the run after reads it. No
rows (a first run, or an older Status tab): nothing is known, everything is read. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sync.grid import Grid, Outline, Row, same_tab

TITLE = "Spreadsheet"
MISSING = "Tabs not found"


@dataclass(frozen=True)
class Memory:
    title: str | None = None  # None: not recorded
    missing: tuple[str, ...] | None = None  # None: not recorded, so nothing is skipped

    def skips(self, tab: str) -> bool:
        """True if the last run recorded that the workbook has no tab called ``tab``."""
        return self.missing is not None and any(same_tab(m, tab) for m in self.missing)


def read_memory(grid: Grid | None) -> Memory:
    """The rows as a run left them (found by their labels in column A)."""
    rows = {str(r[0]).strip().casefold(): r[1:] for r in grid or () if r and isinstance(r[0], str)}
    if TITLE.casefold() not in rows:
        return Memory()
    title = rows[TITLE.casefold()]
    missing = rows.get(MISSING.casefold(), [])
    return Memory(
        str(title[0]) if title and title[0] is not None else "",
        tuple(str(m) for m in missing if m is not None and str(m).strip()),
    )


def known(names: Sequence[str], outline: Outline | None, grids: dict[str, Grid | None]) -> Memory:
    """What to record: from the workbook's own list of tabs when the backend has it, else
    from what this run read (a tab the run skipped stays missing, as the memory said)."""
    if outline is not None:
        return Memory(outline.title, tuple(n for n in names if not outline.has(n)))
    return Memory(None, tuple(n for n in names if grids.get(n) is None))


def rows(memory: Memory, title: str) -> list[Row]:
    """The rows that carry ``memory`` (``title`` where the memory has none)."""
    out: list[Row] = [[TITLE, memory.title if memory.title is not None else title]]
    if memory.missing:
        out.append([MISSING, *memory.missing])
    return out
