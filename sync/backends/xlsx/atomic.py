"""Replace a file atomically: a temp file beside it, fsync, rename; same mode and owner.

A symlinked path is written through to its target (the link stays, and everyone who
shares the target sees the new content). A temp file left by a killed save has our own
name pattern and is removed by the next save.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

TEMP_INFIX = ".metrics-sync-"


def replace(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write the new content with ``write`` and put it in place of ``path`` (its target)."""
    target = Path(os.path.realpath(path))
    remove_stale(target)
    before = target.stat()
    tmp = target.with_name(f".{target.name}{TEMP_INFIX}{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            _keep_owner_and_mode(out.fileno(), before)
            os.fsync(out.fileno())
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def remove_stale(target: Path) -> list[Path]:
    """Our own temp files beside ``target``, left by a save that was killed: removed."""
    stale = list(target.parent.glob(f".{_glob_escape(target.name)}{TEMP_INFIX}*.tmp"))
    for leftover in stale:
        leftover.unlink(missing_ok=True)
    return stale


def _glob_escape(name: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[]" else ch for ch in name)


def _keep_owner_and_mode(fd: int, before: os.stat_result) -> None:
    """The old file's owner and group where this user may set them (root, or a group it is
    in), and its permission bits always."""
    with contextlib.suppress(PermissionError):
        os.fchown(fd, before.st_uid, before.st_gid)
    with contextlib.suppress(PermissionError):
        os.fchown(fd, -1, before.st_gid)
    os.fchmod(fd, before.st_mode & 0o7777)


def _fsync_folder(folder: Path) -> None:
    """The rename itself made durable (POSIX: fsync the directory); not where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
