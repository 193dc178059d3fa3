"""The workbook gateway: the one interface between the shell and a spreadsheet.

Backends speak plain grids (``sync.grid``), never DataFrames, so that a backend stays
small and one contract test suite can run against all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, Self

from sync.grid import CellUpdate, Grid, Outline, OwnedTab, RowKey


class Workbook(Protocol):
    """A spreadsheet the sync reads from and writes to.

    ``read`` is one round trip for every tab asked for; ``write`` is one round trip
    for every change. Missing tabs read as ``None`` rather than raising, so the
    caller decides whether that tab was required. A workbook is closed after use
    (``with`` or ``close``), whether or not its backend holds a connection.
    """

    @property
    def title(self) -> str: ...

    @property
    def url(self) -> str | None: ...

    @property
    def outline(self) -> Outline | None:
        """The title and every tab's, if known without another request: a file after a
        read; Google after a write (its answer lists them) or a request for the tab list."""
        ...

    @property
    def request_count(self) -> int | None:
        """HTTP requests made so far, or ``None`` where the backend makes none (a file)."""
        ...

    def read(self, tabs: Sequence[str]) -> dict[str, Grid | None]: ...

    def write(
        self,
        updates: Sequence[CellUpdate],
        owned: Sequence[OwnedTab],
        keys: Sequence[RowKey] = (),
    ) -> None:
        """Apply ``updates`` and replace each owned tab whole (creating it if missing).

        ``keys`` are checked before anything is written: if a person inserted,
        deleted or sorted rows since the read (the key cells of a row), or inserted,
        deleted or moved a column (the header cells, row 1), the backend raises
        ``ConcurrentEditError`` rather than put a status on the wrong row or column.
        """
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...
