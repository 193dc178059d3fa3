"""The canonical column ids, their default headers, and the columns the sync owns."""

from __future__ import annotations

# Canonical column ids and their default header text (README: The sheet it reads, What it writes).
KPI_COLUMNS: dict[str, str] = {
    "kpi": "KPI",
    "owner": "Owner",
    "unit": "Unit",
    "direction": "Direction",
    "warning": "Warning",
    "critical": "Critical",
    "target": "Target",
    "max_change": "Max change %",
    "cadence": "Cadence",
    "mute_until": "Mute until",
    "current": "Current",
}
OKR_COLUMNS: dict[str, str] = {
    "objective": "Objective",
    "key_result": "Key result",
    "owner": "Owner",
    "start": "Start",
    "target": "Target",
    "current": "Current",
    "weight": "Weight",
    "due": "Due",
    "kpi": "KPI",
    "confidence": "Confidence",
    "kind": "Kind",
}
LOG_COLUMNS: dict[str, str] = {"date": "Date", "kpi": "KPI", "value": "Value"}
CHECKIN_COLUMNS: dict[str, str] = {
    "date": "Date",
    "objective": "Objective",
    "key_result": "Key result",
    "current": "Current",
    "confidence": "Confidence",
    "note": "Note",
}
OWNED_COLUMNS: dict[str, str] = {
    "status": "Status",
    "note": "Note",
    "since": "Since",
    "last_alert": "Last alert",
    "checked": "Checked",
    "progress": "Progress",
    "expected": "Expected",
    "forecast": "Forecast",
}
ALL_COLUMNS = {**KPI_COLUMNS, **OKR_COLUMNS, **LOG_COLUMNS, **CHECKIN_COLUMNS, **OWNED_COLUMNS}
# The tabs a ``[columns.<tab>]`` table or ``[tabs] header_rows`` may name.
LAYOUT_TABS = ("kpis", "okrs", "kpi_log", "checkins")
# The column that finds each tab's header row (the first row holding it).
KEY_COLUMN = {"kpis": "kpi", "okrs": "key_result", "kpi_log": "date", "checkins": "date"}
KPI_OWNED = ("status", "note", "since", "last_alert", "checked")  # what sync.writeback writes
OKR_OWNED = ("progress", "expected", "forecast", "status", "since", "last_alert", "checked")
