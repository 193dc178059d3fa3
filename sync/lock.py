"""One run per workbook at a time: an OS file lock, released by the kernel if we die.

``flock`` rather than a PID file: a crashed or killed run cannot leave a stale lock
behind, which matters for a job run unattended from cron for months.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sync.config import WorkbookConfig
from sync.errors import LockedError


def lock_path(wb: WorkbookConfig, folder: Path | None = None) -> Path:
    """A lock file named for the workbook, so different workbooks never wait on each other."""
    ident = str(wb.path.resolve()) if wb.path else (wb.spreadsheet or wb.name)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
    base = folder or Path(os.environ.get("METRICS_SYNC_LOCK_DIR", tempfile.gettempdir()))
    return base / f"metrics-sync-{digest}.lock"


@contextmanager
def workbook_lock(wb: WorkbookConfig, folder: Path | None = None) -> Iterator[Path]:
    path = lock_path(wb, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(f"workbook {wb.name!r}: another run holds the lock {path}; "
                              "skipped") from None
        try:
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield path
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
