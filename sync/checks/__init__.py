"""``metrics-sync check``: is this config ready to run unattended? Each problem with its fix.

Checks, in order: the config, the mail settings, each workbook's credentials, that the
workbook opens, that its tabs and required columns are there; then the rows it cannot
read, as warnings. Read-only: it writes nothing and sends nothing. Never prints a secret:
of a credentials file it shows only the service account's address.
"""

from sync.checks.finding import Finding, config_problems, worst
from sync.checks.layout import check_layout
from sync.checks.settings import check_channels, check_config, check_email
from sync.checks.workbook import check_credentials, check_job

__all__ = [
    "Finding",
    "check_channels",
    "check_config",
    "check_credentials",
    "check_email",
    "check_job",
    "check_layout",
    "config_problems",
    "worst",
]
