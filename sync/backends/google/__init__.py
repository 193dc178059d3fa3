"""The Google Sheets backend: a spreadsheet as a Workbook, over gspread and the Sheets API v4.

One module per job: credentials (who the sync acts as), transport (the endpoint, retries,
the request count), api (the calls and their errors), ranges (A1), payload (cells as JSON),
tabs and rowkeys (what the workbook tracks between read and write), workbook (the reads and
writes of a run). How a run spends its requests: docs/google.md.
"""

from sync.backends.google.api import RowsMovedError
from sync.backends.google.ranges import spreadsheet_key
from sync.backends.google.workbook import GoogleWorkbook, open_google

__all__ = ["GoogleWorkbook", "RowsMovedError", "open_google", "spreadsheet_key"]
