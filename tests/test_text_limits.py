"""What mails and the Status tab show of sheet text is bounded and plain.

A 52 MB KPI name made a 109 MB mail; a right-to-left override typed into a
name turned the rest of a mail's line around. Whatever a person types, a mail and the Status
tab show at most ``TEXT_LIMIT`` characters of it (``NOTE_LIMIT`` for a note), cut with an
ellipsis, with no control or bidi-override character left. The cell itself is never changed.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import unicodedata
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from workbooks import AS_OF, config_text

from sync.cli import main
from sync.display import NOTE_LIMIT, TEXT_LIMIT, shown

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"
WEEKS = [dt.datetime(2026, 11, 2), dt.datetime(2026, 11, 9), dt.datetime(2026, 11, 16)]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Signups", "Signups"),
        (f"Invoice {RLO}fdp.exe", "Invoice fdp.exe"),
        (f"{LRI}isolated{PDI} name", "isolated name"),
        ("two\nlines\r\nand\ttab", "two lines and tab"),
        ("bell\x07and\x1bescape", "bell and escape"),
        ("zero\u200bwidth", "zerowidth"),
        ("    indented", "    indented"),  # key results sit beneath their objective
        ("coder 👩\u200d💻", "coder 👩\u200d💻"),  # the joiner of an emoji sequence stays
        ("x" * TEXT_LIMIT, "x" * TEXT_LIMIT),
        ("x" * (TEXT_LIMIT + 1), "x" * (TEXT_LIMIT - 1) + "…"),
    ],
)
def test_what_a_mail_shows_of_a_cell(typed: str, expected: str) -> None:
    assert shown(typed) == expected


@settings(deadline=None)  # pure and fast; a loaded 2-core machine must not fail it on time
@given(hs.text(), hs.integers(min_value=1, max_value=500))
def test_shown_text_is_within_its_limit_printable_and_stable(text: str, limit: int) -> None:
    out = shown(text, limit)
    assert len(out) <= limit
    assert all(c.isprintable() or c in "\u200c\u200d" for c in out)
    assert not any(unicodedata.bidirectional(c) in ("RLO", "LRO", "RLE", "LRE") for c in out)
    assert shown(out, limit) == out


def workbook(path: Path, names: list[str]) -> Path:
    """One CRITICAL KPI per name (mailed to leads@), and one key result."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "KPIs"
    sheet.append(["KPI", "Owner", "Warning", "Critical", *WEEKS])
    for name in names:
        sheet.append([name, "", 480, 450, 515, 500, 300])
    okrs = book.create_sheet("OKRs")
    okrs.append(["Objective", "Key result", "Start", "Target", "Current"])
    okrs.append(["Grow", f"Leads {RLO}from 400", 400, 600, 500])
    book.save(path)
    return path


def mails(folder: Path) -> list[EmailMessage]:
    found = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(folder.glob("*.eml"))
    ]
    return [m for m in found if isinstance(m, EmailMessage)]


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content())


def status_cells(path: Path) -> list[Any]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [c for row in book["Status"].iter_rows(values_only=True) for c in row if c]
    finally:
        book.close()


def test_a_huge_kpi_name_and_an_override_character_reach_neither_mail_nor_status_tab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    huge = "Revenue " + "x" * 32_000  # near the most an .xlsx cell holds (32,767)
    path = workbook(tmp_path / "team-metrics.xlsx", [huge, f"Churn {RLO}evil"])
    config = tmp_path / "metrics-sync.toml"
    config.write_text(config_text(), encoding="utf-8")
    assert main(["run", "--once", "--config", str(config), "--as-of", AS_OF]) == 0
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    assert files[0].stat().st_size < 60_000  # the name alone is 32 kB, shown in two parts
    (mail,) = mails(tmp_path / "outbox")
    for kind in ("plain", "html"):
        text = body(mail, kind)
        assert huge[: TEXT_LIMIT - 1] + "…" in text
        assert huge[:TEXT_LIMIT] not in text
        assert RLO not in text
        assert "Churn evil" in text
    cells = status_cells(path)
    assert huge[: TEXT_LIMIT - 1] + "…" in cells
    assert all(len(c) <= NOTE_LIMIT for c in cells if isinstance(c, str))
    assert not [c for c in cells if isinstance(c, str) and RLO in c]
    book = openpyxl.load_workbook(path, read_only=True)
    assert next(book["KPIs"].iter_rows(min_row=2, values_only=True))[0] == huge  # untouched
    book.close()
