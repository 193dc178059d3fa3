"""What a burn-up chart of one objective shows: plain dated lines, no pandas, so that the
mail records (``AlertItem``) can carry it. Computed by ``sync.rules.burnup_lines``, drawn by
``sync.notify.chart``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

Line = tuple[tuple[dt.date, float], ...]  # (day, progress 0..1), oldest first


@dataclass(frozen=True)
class Burnup:
    """An objective's progress over its cycle: where it has been, where it was expected to
    be, and where its key results' trends take it by the due date (empty: no forecast)."""

    objective: str
    actual: Line
    expected: Line
    forecast: Line = ()
