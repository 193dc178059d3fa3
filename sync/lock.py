"""One run per workbook at a time: an OS file lock, released by the kernel if we die.

``flock`` rather than a PID file: a crashed or killed run cannot leave a stale lock
behind, which matters for a job run unattended from cron for months. The lock file is
named for the workbook (a hash of its path or spreadsheet key) and holds the PID of the
run that has it; its modification time says since when.

It lives in a private folder (``$METRICS_SYNC_LOCK_DIR``, else ``~/.cache/metrics-sync/locks``)
that only its owner can enter: in a shared ``/tmp`` any local user could hold the lock (every
run then skipped) or plant a symbolic link there for us to truncate. The folder is created
0700; one owned by another user or open to others is refused, and neither the folder nor
the file is ever reached through a symbolic link. See docs/deployment.md.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sync.config import WorkbookConfig
from sync.errors import LockedError, SyncError

LOCK_DIR_ENV = "METRICS_SYNC_LOCK_DIR"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


def lock_folder() -> Path:
    """``$METRICS_SYNC_LOCK_DIR``, else a folder in the user's home: the same for cron, a
    systemd unit and a shell of the same user (``$XDG_RUNTIME_DIR`` is not: cron has none)."""
    configured = os.environ.get(LOCK_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "metrics-sync" / "locks"


def lock_path(wb: WorkbookConfig, folder: Path | None = None) -> Path:
    """A lock file named for the workbook, so different workbooks never wait on each other."""
    ident = str(wb.path.resolve()) if wb.path else (wb.spreadsheet or wb.name)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
    return (folder or lock_folder()) / f"metrics-sync-{digest}.lock"


@contextmanager
def workbook_lock(wb: WorkbookConfig, folder: Path | None = None) -> Iterator[Path]:
    """Hold the workbook's lock for the block; ``LockedError`` (exit 3) at once if taken."""
    path = lock_path(wb, folder)
    directory = _private_folder(path.parent)
    try:
        descriptor = _acquire(wb, directory, path)
    finally:
        os.close(directory)
    try:
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _private_folder(folder: Path) -> int:
    """The lock folder, opened without following a link, created 0700 if missing, and
    refused unless it is ours and closed to others."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with suppress(FileExistsError):
            folder.mkdir(mode=0o700)
    except OSError as err:
        raise _unsafe(folder, f"it cannot be created ({err.strerror})") from err
    try:
        descriptor = os.open(folder, _DIR_FLAGS)
    except OSError as err:
        why = "is a symbolic link" if err.errno in (errno.ELOOP, errno.ENOTDIR) else err.strerror
        raise _unsafe(folder, f"it {why}") from err
    found = os.fstat(descriptor)
    problem = None
    if found.st_uid != os.geteuid():
        problem = f"it belongs to user id {found.st_uid}, not to this user ({os.geteuid()})"
    elif stat.S_IMODE(found.st_mode) & 0o077:
        problem = f"its mode is {stat.S_IMODE(found.st_mode):04o}: other users can reach it"
    if problem:
        os.close(descriptor)
        raise _unsafe(folder, problem)
    return descriptor


def _unsafe(folder: Path, problem: str) -> SyncError:
    return SyncError(
        f"lock folder {folder}: {problem}; expected a folder of this user with mode 0700 "
        f"(remove it to have it created so, or set {LOCK_DIR_ENV} to another one)"
    )


def _acquire(wb: WorkbookConfig, directory: int, path: Path) -> int:
    while True:
        try:
            descriptor = os.open(path.name, _FILE_FLAGS, 0o600, dir_fd=directory)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise SyncError(
                    f"lock file {path} is a symbolic link: refused, never followed; "
                    "remove it (a run creates the file itself)"
                ) from err
            raise SyncError(f"lock file {path}: {err.strerror}") from err
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder, held_for = _holder(descriptor)
            os.close(descriptor)
            raise LockedError(
                f"workbook {wb.name!r}: another run{holder} is in progress (lock {path}); skipped",
                held_for=held_for,
            ) from None
        if _same_file(descriptor, directory, path.name):
            return descriptor
        os.close(descriptor)  # deleted or replaced under us: lock the file that is there now


def _same_file(descriptor: int, directory: int, name: str) -> bool:
    try:
        on_disk = os.stat(name, dir_fd=directory, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _holder(descriptor: int) -> tuple[str, float]:
    """`` (pid N)`` of the run holding the lock, and for how many seconds it has held it."""
    pid = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
    held_for = max(0.0, time.time() - os.fstat(descriptor).st_mtime)
    return (f" (pid {pid})" if pid.isdigit() else ""), held_for
