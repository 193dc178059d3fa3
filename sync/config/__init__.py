"""The config: TOML validated into frozen dataclasses before any I/O (``load``).

``columns`` names the sheet's columns; ``model`` holds the dataclasses; ``fields``,
``job_sections`` and ``run_sections`` read the document; ``load`` puts them together.
"""

from sync.config.columns import (
    ALL_COLUMNS,
    CHECKIN_COLUMNS,
    KEY_COLUMN,
    KPI_COLUMNS,
    KPI_OWNED,
    LAYOUT_TABS,
    LOG_COLUMNS,
    OKR_COLUMNS,
    OKR_OWNED,
    OWNED_COLUMNS,
)
from sync.config.fields import parse_duration
from sync.config.load import load, parse
from sync.config.model import (
    WEEKDAYS,
    AlertsConfig,
    Channel,
    Config,
    DigestConfig,
    EmailConfig,
    GoogleConfig,
    Job,
    KpiConfig,
    MonitorConfig,
    OkrConfig,
    ScheduleConfig,
    Tabs,
    WorkbookConfig,
)

__all__ = [
    "ALL_COLUMNS",
    "CHECKIN_COLUMNS",
    "KEY_COLUMN",
    "KPI_COLUMNS",
    "KPI_OWNED",
    "LAYOUT_TABS",
    "LOG_COLUMNS",
    "OKR_COLUMNS",
    "OKR_OWNED",
    "OWNED_COLUMNS",
    "WEEKDAYS",
    "AlertsConfig",
    "Channel",
    "Config",
    "DigestConfig",
    "EmailConfig",
    "GoogleConfig",
    "Job",
    "KpiConfig",
    "MonitorConfig",
    "OkrConfig",
    "ScheduleConfig",
    "Tabs",
    "WorkbookConfig",
    "load",
    "parse",
    "parse_duration",
]
