"""Mail as ``.eml`` files in a folder, for setups without SMTP (README, Alerts)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from sync.notices import DeliveryReport
from sync.notify.email.settings import Messages
from sync.notify.email.smtp import describe

STALE_TEMP = 900  # seconds: an outbox temp file this old was left by a killed run
log = logging.getLogger("metrics_sync")


class OutboxSender:
    """Writes each mail as an ``.eml`` file, for setups without SMTP (README, Alerts).

    Files are named ``<timestamp>-<recipient>-<id>.eml``, ``id`` being a hash of the
    Message-ID: writing the same mail again (a retry) replaces its file instead of adding one.
    Each write is atomic (temp file + rename), so a reader never sees half a mail; the temp
    files of a run killed midway are removed by a later run.
    """

    def __init__(
        self, folder: Path, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    ) -> None:
        self.folder = folder
        self._clock = clock  # only for a message without a Date header

    def send(self, messages: Messages) -> DeliveryReport:
        self._sweep()
        accepted: set[str] = set()
        failed: dict[str, str] = {}
        for recipient, message in messages:
            try:
                self.write(recipient, message)
            except OSError as err:
                failed[recipient] = f"could not write to the outbox {self.folder}: {describe(err)}"
            else:
                accepted.add(recipient)
                failed.pop(recipient, None)
        return DeliveryReport(accepted=frozenset(accepted), failed=failed)

    def write(self, recipient: str, message: EmailMessage) -> Path:
        """Write one mail atomically; return its file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self._path_for(recipient, message)
        descriptor, temp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp).replace(target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return target

    def _sweep(self) -> None:
        """Remove the temp files of writes killed midway: a write takes milliseconds, so one
        older than ``STALE_TEMP`` seconds has no writer left (several workbooks may share
        the folder, so a fresh one may be another run's)."""
        limit = time.time() - STALE_TEMP
        for temp in self.folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):  # gone already, or not ours to remove
                if temp.lstat().st_mtime < limit:
                    temp.unlink()

    def _path_for(self, recipient: str, message: EmailMessage) -> Path:
        """The existing file of this Message-ID if any, else a new name."""
        identity = str(message.get("Message-ID", "")) or message.as_string()
        short = hashlib.sha256(f"{recipient}\n{identity}".encode()).hexdigest()[:12]
        existing = sorted(self.folder.glob(f"*-{short}.eml"))
        if existing:
            return existing[0]
        stamp = self._timestamp(message).strftime("%Y%m%dT%H%M%SZ")
        safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", recipient)[:64] or "unknown"
        return self.folder / f"{stamp}-{safe}-{short}.eml"

    def _timestamp(self, message: EmailMessage) -> dt.datetime:
        """The mail's own Date (so a name does not depend on when it was written)."""
        try:
            moment = parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError):
            moment = self._clock()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)
