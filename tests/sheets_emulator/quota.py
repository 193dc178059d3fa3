"""Google's per-user quota and protected ranges, as the emulator enforces them.

Quota: each user (one per ``Authorization`` header; anonymous callers are one user) may make
``reads`` read and ``writes`` write requests in any ``window`` seconds (Google: 60 and 60 a
minute). Over it, ``429 RESOURCE_EXHAUSTED`` with an ``ErrorInfo`` ``RATE_LIMIT_EXCEEDED``
and no ``Retry-After``, as Google answers; refused requests count too. The clock is
injectable, so a test can move time rather than wait.

Protected ranges: ``spreadsheets.get`` lists them per sheet (``protectedRanges`` with
``requestingUserCanEdit``); a write touching one the caller may not edit is refused whole
with Google's 400; ``warningOnly`` ones never block the API.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .a1 import parse
from .model import ApiError, Spreadsheet

READS = frozenset({"get", "values.get", "values.batchGet"})
PROTECTED_MESSAGE = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet "
    "owner to remove protection if you need to edit."
)


def _quota_message(kind: str) -> str:
    metric = "Read" if kind == "read" else "Write"
    return (
        f"Quota exceeded for quota metric '{metric} requests' and limit '{metric} requests "
        "per minute per user' of service 'sheets.googleapis.com' for consumer "
        "'project_number:123456789012'."
    )


def quota_details(kind: str, limit: int) -> list[dict[str, Any]]:
    metric = "read" if kind == "read" else "write"
    return [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "quota_metric": f"sheets.googleapis.com/{metric}_requests",
                "quota_limit": f"{metric.capitalize()}RequestsPerMinutePerUser",
                "quota_limit_value": str(limit),
                "quota_location": "global",
                "consumer": "projects/123456789012",
                "service": "sheets.googleapis.com",
            },
        }
    ]


class Quota:
    """Requests per user in a sliding window; ``refused`` counts the 429s answered."""

    def __init__(
        self,
        reads: int = 60,
        writes: int = 60,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"read": reads, "write": writes}
        self.window = window
        self.clock = clock
        self.refused = 0
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, api: str, user: str | None) -> tuple[int, str, list[dict[str, Any]]] | None:
        """None if the request may go on, else Google's answer (code, message, details)."""
        kind = "read" if api in READS else "write"
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault((user or "anonymous", kind), deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            seen.append(now)
            if len(seen) <= self.limits[kind]:
                return None
            self.refused += 1
        return 429, _quota_message(kind), quota_details(kind, self.limits[kind])


@dataclass(frozen=True)
class Protection:
    """A protected range: 0-based, end exclusive; ``None`` ends run to the grid's edge."""

    sheet_id: int
    row0: int | None = None
    col0: int | None = None
    row1: int | None = None
    col1: int | None = None
    can_edit: bool = False
    warning_only: bool = False
    description: str = ""
    protected_range_id: int = 1

    def resource(self) -> dict[str, Any]:
        grid: dict[str, Any] = {"sheetId": self.sheet_id}
        for name, value in (
            ("startRowIndex", self.row0),
            ("startColumnIndex", self.col0),
            ("endRowIndex", self.row1),
            ("endColumnIndex", self.col1),
        ):
            if value is not None:
                grid[name] = value
        out: dict[str, Any] = {
            "protectedRangeId": self.protected_range_id,
            "range": grid,
            "requestingUserCanEdit": self.can_edit,
            "warningOnly": self.warning_only,
        }
        if self.description:
            out["description"] = self.description
        return out

    def blocks(self, sheet_id: int, row0: int, col0: int, row1: int, col1: int) -> bool:
        """True if a write of that box, by this caller, is refused."""
        if self.can_edit or self.warning_only or sheet_id != self.sheet_id:
            return False
        return (
            row0 < (self.row1 if self.row1 is not None else 1 << 30)
            and (self.row0 or 0) < row1
            and col0 < (self.col1 if self.col1 is not None else 1 << 30)
            and (self.col0 or 0) < col1
        )


def with_protections(resource: dict[str, Any], protections: Sequence[Protection]) -> None:
    """Add each sheet's ``protectedRanges`` to a Spreadsheet resource, as Google lists them
    (other answers have no ``sheets`` with ``properties``: left alone)."""
    for entry in resource.get("sheets", []):
        if not isinstance(entry, Mapping) or "properties" not in entry:
            continue
        sheet_id = entry["properties"]["sheetId"]
        mine = [p.resource() for p in protections if p.sheet_id == sheet_id]
        if mine:
            entry["protectedRanges"] = mine


def guard(
    method_id: str,
    book: Spreadsheet,
    updated: Spreadsheet | None,
    *,
    body: Any,
    rng: str | None,
    protections: Sequence[Protection],
) -> None:
    """Google's 400 if this write touches a range the caller may not edit (then nothing of
    it is applied)."""
    method = method_id.removeprefix("sheets.spreadsheets.")
    if (
        updated is not None
        and protections
        and _refused(method, book, updated, body, rng, protections)
    ):
        raise ApiError(400, "INVALID_ARGUMENT", PROTECTED_MESSAGE)


def _refused(  # noqa: PLR0917 - the method's own arguments, as api.py's methods take them
    method: str,
    book: Spreadsheet,
    updated: Spreadsheet,
    body: Any,
    rng: str | None,
    protections: Sequence[Protection],
) -> bool:
    if method in ("values.batchUpdate", "values.batchClear"):
        key = "data" if method == "values.batchUpdate" else "ranges"
        items = [d if isinstance(d, Mapping) else {"range": d} for d in body.get(key) or []]
    elif method in ("values.update", "values.clear", "values.append"):
        items = [{**(body or {}), "range": rng or ""}]
    else:
        return _structure_refused(book, updated, protections)
    return any(_blocked(book, item, protections) for item in items)


def _blocked(book: Spreadsheet, item: Mapping[str, Any], protections: Sequence[Protection]) -> bool:
    """A value range's box (a single-cell anchor spans its values) against the protections."""
    text = str(item.get("range", ""))
    a1 = parse(text)
    sheet = book.resolve(a1, text)
    values = item.get("values") or [[]]
    if a1.single:
        row1, col1 = a1.row0 + len(values), a1.col0 + max(map(len, values), default=1)
    else:
        row1 = a1.row1 if a1.row1 is not None else sheet.row_count
        col1 = a1.col1 if a1.col1 is not None else sheet.column_count
    return any(p.blocks(sheet.sheet_id, a1.row0, a1.col0, row1, col1) for p in protections)


def _structure_refused(
    book: Spreadsheet, updated: Spreadsheet, protections: Sequence[Protection]
) -> bool:
    """A ``spreadsheets.batchUpdate`` that changes a protected sheet's size, rules or cells."""
    for after in updated.sheets:
        before = book.by_id(after.sheet_id)
        if before is None:
            continue
        changed = (
            (before.row_count, before.column_count) != (after.row_count, after.column_count)
            or before.conditional_formats != after.conditional_formats
            or before.cells != after.cells
        )
        whole = (0, 0, max(before.row_count, 1), max(before.column_count, 1))
        if changed and any(p.blocks(after.sheet_id, *whole) for p in protections):
            return True
    return False
