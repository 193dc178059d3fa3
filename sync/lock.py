"""One run per workbook at a time: an OS file lock, released by the kernel if we die.

``flock`` rather than a PID file: a crashed or killed run cannot leave a stale lock
behind, which matters for a job run unattended from cron for months. The lock file is
named for the workbook (a hash of its path or spreadsheet key), in ``$METRICS_SYNC_LOCK_DIR``
or the system's temporary folder; it holds the PID of the run that has it.

The file is rewritten by every run, so a temp cleaner (which removes files unused for
days) leaves it alone; should it vanish between our open and our lock all the same, we
notice that the file we locked is no longer the one at the path, and lock the new one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sync.config import WorkbookConfig
from sync.errors import LockedError

LOCK_DIR_ENV = "METRICS_SYNC_LOCK_DIR"


def lock_path(wb: WorkbookConfig, folder: Path | None = None) -> Path:
    """A lock file named for the workbook, so different workbooks never wait on each other."""
    ident = str(wb.path.resolve()) if wb.path else (wb.spreadsheet or wb.name)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
    base = folder or Path(os.environ.get(LOCK_DIR_ENV) or tempfile.gettempdir())
    return base / f"metrics-sync-{digest}.lock"


@contextmanager
def workbook_lock(wb: WorkbookConfig, folder: Path | None = None) -> Iterator[Path]:
    """Hold the workbook's lock for the block; ``LockedError`` (exit 3) at once if taken."""
    path = lock_path(wb, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = _acquire(wb, path)
    try:
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield path
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def _acquire(wb: WorkbookConfig, path: Path) -> IO[str]:
    while True:
        handle = path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            handle.close()
            raise LockedError(
                f"workbook {wb.name!r}: another run{holder} is in progress (lock {path}); skipped"
            ) from None
        if _same_file(handle, path):
            return handle
        handle.close()  # deleted or replaced under us: lock the file that is there now


def _same_file(handle: IO[str], path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(handle.fileno())
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    pid = handle.read(32).strip()
    return f" (pid {pid})" if pid.isdigit() else ""
