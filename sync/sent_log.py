"""A small local record of what was mailed, so a workbook that cannot be written does not
mail the same alert every run (as Alertmanager's notification log).

The workbook's ``Last alert`` stays the record that matters; this one only stops repeats
when that cell could not be written: a row, status and recipient mailed within
``repeat_after`` is not mailed again. Safe to lose (the cost is one duplicate). One JSON
file per workbook in the private lock folder (sync/lock.py), mode 0600, written whole
and renamed into place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from sync.config import WorkbookConfig
from sync.lock import lock_path

Entry = tuple[str, str, str]  # row key, status, recipient
KEEP = dt.timedelta(days=60)  # longer than any sensible repeat_after


def sent_log_path(wb: WorkbookConfig, folder: Path | None = None) -> Path:
    """Beside the workbook's lock file, named as it is."""
    return lock_path(wb, folder).with_suffix(".sent.json")


class SentLog:
    """Who was mailed which status of which row, and when."""

    def __init__(self, path: Path, repeat_after: dt.timedelta) -> None:
        self.path = path
        self.repeat_after = repeat_after
        self.sent: dict[Entry, dt.datetime] = {}

    @classmethod
    def load(cls, path: Path, repeat_after: dt.timedelta) -> SentLog:
        """The record at ``path``; an empty one if it is missing or unreadable."""
        log = cls(path, repeat_after)
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
            for row, status, recipient, when in entries:
                log.sent[(str(row), str(status), str(recipient))] = dt.datetime.fromisoformat(when)
        except (OSError, ValueError, TypeError):
            log.sent = {}
        return log

    def already_sent(self, row_key: str, status: str, recipient: str, now: dt.datetime) -> bool:
        when = self.sent.get((row_key, status, recipient))
        return when is not None and when <= now < when + self.repeat_after

    def record(self, row_key: str, status: str, recipient: str, now: dt.datetime) -> None:
        self.sent[(row_key, status, recipient)] = now

    def save(self, now: dt.datetime) -> None:
        """Written whole, 0600, renamed into place; entries older than ``KEEP`` dropped."""
        entries = [[*key, when.isoformat()] for key, when in self.sent.items() if now - when < KEEP]
        temporary = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        descriptor = os.open(temporary, flags, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                json.dump(entries, out)
            temporary.replace(self.path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise


def unsent(
    entries: Sequence[tuple[Sequence[str], str, str]], log: SentLog, now: dt.datetime
) -> list[tuple[str, ...]]:
    """For each (recipients, row key, status): the recipients not mailed it already."""
    return [
        tuple(r for r in recipients if not log.already_sent(row, status, r, now))
        for recipients, row, status in entries
    ]


def record_all(
    log: SentLog,
    entries: Iterable[tuple[Sequence[str], str, str]],
    took: frozenset[str],
    now: dt.datetime,
) -> None:
    """Each (recipients, row key, status) mailed to a recipient whose mail was accepted."""
    for recipients, row, status in entries:
        for r in recipients:
            if r in took:
                log.record(row, status, r, now)
