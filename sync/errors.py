"""The one exception tree of metrics-sync.

Every fault a user can cause or fix is one of these; the CLI turns them into a
single line and an exit code. Anything else escaping is a bug and shows a traceback.

    SyncError                 exit 2 unless stated
    ├── ConfigError           the config file is missing, unreadable or invalid
    ├── WorkbookError         the workbook cannot be opened, read or written
    │   ├── LayoutError       a tab or a required column is missing
    │   ├── UnavailableError  Google answered 5xx or not at all, retries spent
    │   ├── OutOfTimeError    the run's deadline passed (waiting for quota or retrying)
    │   └── ConcurrentEditError  rows moved under us and could not be re-mapped
    └── LockedError           another run of the same workbook holds the lock (exit 3)

A bad *row* is never an exception: it becomes an ``ERROR`` status with a note; nor is a
mail the server refused: the run reports it (exit 1) and the next run sends it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sync.grid import Grid


class SyncError(Exception):
    """Base of every expected fault; carries the process exit code."""

    exit_code = 2


class ConfigError(SyncError):
    """Lists every problem of a config at once, so one edit fixes them all."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s) in the config:\n{lines}")


class WorkbookError(SyncError):
    """The workbook could not be opened, read or written."""


class LayoutError(WorkbookError):
    """A tab or a required column is missing: nothing can be computed safely."""


class UnavailableError(WorkbookError):
    """The service answered 5xx, timed out or could not be reached, retries spent: an
    outage, which the run's breaker counts (sync/tick.py)."""


class OutOfTimeError(WorkbookError):
    """The run's deadline passed before this workbook was done (docs/reliability.md)."""


class ConcurrentEditError(WorkbookError):
    """Rows changed between read and write; nothing was written.

    ``grids``, when the backend re-read them, are the tabs as they stand now (every tab of
    the last read), so that the run can re-map its statuses onto the rows once; ``None``
    when the backend could not tell.
    """

    def __init__(self, message: str, grids: Mapping[str, Grid | None] | None = None) -> None:
        super().__init__(message)
        self.grids: dict[str, Grid | None] | None = dict(grids) if grids is not None else None


class LockedError(SyncError):
    """Another run of the same workbook is in progress; ``held_for``: for how many seconds
    it has held the lock (None if unknown), so a stuck run can be told from a slow one."""

    exit_code = 3

    def __init__(self, message: str, *, held_for: float | None = None) -> None:
        super().__init__(message)
        self.held_for = held_for
