"""The emulator's per-user quota and protected ranges answer as Google does (NOTES.md)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sheets_emulator import SheetsEmulator
from sheets_emulator.quota import PROTECTED_MESSAGE


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def key(sheets_emulator: SheetsEmulator) -> str:
    return sheets_emulator.create({"KPIs": [["KPI", "Value", "Status"], ["Uptime", 99.5, ""]]})


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def _read(emulator: SheetsEmulator, key: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return _session().get(
        f"{emulator.url}/v4/spreadsheets/{key}/values:batchGet",
        params={"ranges": "KPIs"},
        headers=headers,
        timeout=5,
    )


def _write(emulator: SheetsEmulator, key: str, rng: str, value: Any) -> requests.Response:
    body = {"valueInputOption": "RAW", "data": [{"range": rng, "values": [[value]]}]}
    return _session().post(
        f"{emulator.url}/v4/spreadsheets/{key}/values:batchUpdate", json=body, timeout=5
    )


def test_the_sixty_first_read_in_a_minute_is_refused_with_google_s_quota_answer(
    sheets_emulator: SheetsEmulator, key: str
) -> None:
    clock = Clock()
    sheets_emulator.limit(reads=60, writes=60, clock=clock)
    assert all(_read(sheets_emulator, key).status_code == 200 for _ in range(60))
    refused = _read(sheets_emulator, key)
    assert refused.status_code == 429
    assert "Retry-After" not in refused.headers
    error = refused.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert "Read requests per minute per user" in error["message"]
    assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"


def test_the_quota_comes_back_as_the_minute_passes_and_writes_have_their_own(
    sheets_emulator: SheetsEmulator, key: str
) -> None:
    clock = Clock()
    quota = sheets_emulator.limit(reads=2, writes=60, clock=clock)
    assert [_read(sheets_emulator, key).status_code for _ in range(3)] == [200, 200, 429]
    assert _write(sheets_emulator, key, "KPIs!C2", "OK").status_code == 200
    clock.now += 60.0
    assert _read(sheets_emulator, key).status_code == 200
    assert quota.refused == 1


def test_each_user_has_a_quota_of_their_own(sheets_emulator: SheetsEmulator, key: str) -> None:
    sheets_emulator.limit(reads=1, clock=Clock())
    assert _read(sheets_emulator, key, "alice").status_code == 200
    assert _read(sheets_emulator, key, "bob").status_code == 200
    assert _read(sheets_emulator, key, "alice").status_code == 429


def test_a_write_into_a_protected_range_is_refused_and_nothing_is_written(
    sheets_emulator: SheetsEmulator, key: str
) -> None:
    sheets_emulator.protect(key, "KPIs", (None, 2, None, 3), description="statuses")
    refused = _write(sheets_emulator, key, "KPIs!C2", "CRITICAL")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == PROTECTED_MESSAGE
    assert _write(sheets_emulator, key, "KPIs!B2", 98).status_code == 200
    assert sheets_emulator.grid(key, "KPIs")[1] == ["Uptime", 98]


def test_a_warning_only_or_editable_protection_does_not_block_the_api(
    sheets_emulator: SheetsEmulator, key: str
) -> None:
    sheets_emulator.protect(key, "KPIs", warning_only=True)
    sheets_emulator.protect(key, "KPIs", (0, 0, 1, None), can_edit=True)
    assert _write(sheets_emulator, key, "KPIs!C1", "Status").status_code == 200


def test_the_metadata_lists_protected_ranges_with_whether_the_caller_may_edit(
    sheets_emulator: SheetsEmulator, key: str
) -> None:
    sheets_emulator.protect(key, "KPIs", (None, 2, None, 3), description="statuses")
    meta = (
        _session()
        .get(
            f"{sheets_emulator.url}/v4/spreadsheets/{key}",
            params={"fields": "sheets(properties.title,protectedRanges)"},
            timeout=5,
        )
        .json()
    )
    (shield,) = meta["sheets"][0]["protectedRanges"]
    assert shield["requestingUserCanEdit"] is False
    assert shield["description"] == "statuses"
    assert shield["range"] == {
        "sheetId": shield["range"]["sheetId"],
        "startColumnIndex": 2,
        "endColumnIndex": 3,
    }
