"""The local record of mails sent: consulted before mailing, safe to lose."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sync.sent_log import SentLog

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(hours=24)


@pytest.mark.parametrize(
    ("later", "status", "recipient", "expected"),
    [
        (dt.timedelta(minutes=15), "CRITICAL", "ana@example.com", True),
        (DAY - dt.timedelta(seconds=1), "CRITICAL", "ana@example.com", True),
        (DAY, "CRITICAL", "ana@example.com", False),  # the reminder is due
        (dt.timedelta(minutes=15), "WARNING", "ana@example.com", False),  # another status
        (dt.timedelta(minutes=15), "CRITICAL", "bo@example.com", False),  # another recipient
        (-dt.timedelta(minutes=15), "CRITICAL", "ana@example.com", False),  # a replay before
    ],
)
def test_a_row_status_and_recipient_mailed_within_repeat_after_counts_as_sent(
    tmp_path: Path, later: dt.timedelta, status: str, recipient: str, expected: bool
) -> None:
    log = SentLog(tmp_path / "sent.json", DAY)
    log.record("KPIs\x1fSignups", "CRITICAL", "ana@example.com", NOW)
    log.save(NOW)
    again = SentLog.load(tmp_path / "sent.json", DAY)
    assert again.already_sent("KPIs\x1fSignups", status, recipient, NOW + later) is expected
    assert (tmp_path / "sent.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("content", [None, "", "{not json", '[["a", "b"]]', '"text"'])
def test_a_lost_or_damaged_record_is_an_empty_one(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "sent.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert SentLog.load(path, DAY).sent == {}
