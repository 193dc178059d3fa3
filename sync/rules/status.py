"""Status words, their order of severity, and which of them alert.

Kept apart from the rules that compute them so the Status tab, the alerts and the
mails agree on one ranking.
"""

from __future__ import annotations

from typing import Final, Literal

Colour = Literal["green", "amber", "red", "grey"]

ERROR: Final = "ERROR"
CRITICAL: Final = "CRITICAL"
WARNING: Final = "WARNING"
STALE: Final = "STALE"
NO_DATA: Final = "NO DATA"
NO_THRESHOLD: Final = "NO THRESHOLD"
OK: Final = "OK"

DONE: Final = "DONE"
ON_TRACK: Final = "ON TRACK"
AT_RISK: Final = "AT RISK"
OFF_TRACK: Final = "OFF TRACK"

# Worst first: the Status tab sorts by this, and "gets worse" compares ranks.
KPI_ORDER: Final = (ERROR, CRITICAL, WARNING, STALE, NO_DATA, NO_THRESHOLD, OK)
OKR_ORDER: Final = (ERROR, OFF_TRACK, AT_RISK, ON_TRACK, DONE)

KPI_ALERTING: Final = frozenset({ERROR, CRITICAL, WARNING, STALE})
OKR_ALERTING: Final = frozenset({ERROR, OFF_TRACK})

# Severity for comparing an alerting status with the one last mailed (higher is worse).
SEVERITY: Final[dict[str, int]] = {
    OK: 0,
    DONE: 0,
    ON_TRACK: 0,
    NO_THRESHOLD: 0,
    NO_DATA: 0,
    AT_RISK: 0,
    STALE: 1,
    WARNING: 2,
    OFF_TRACK: 2,
    CRITICAL: 3,
    ERROR: 4,
}

COLOURS: Final[dict[str, Colour]] = {
    OK: "green",
    DONE: "green",
    ON_TRACK: "green",
    WARNING: "amber",
    AT_RISK: "amber",
    STALE: "amber",
    NO_THRESHOLD: "grey",
    NO_DATA: "grey",
    CRITICAL: "red",
    OFF_TRACK: "red",
    ERROR: "red",
}


def rank(order: tuple[str, ...], status: str) -> int:
    """Position in an order, worst first; unknown words sort last."""
    return order.index(status) if status in order else len(order)
