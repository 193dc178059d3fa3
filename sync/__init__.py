"""metrics-sync: KPI and OKR status for the spreadsheet a team already keeps."""

__version__ = "0.1.0"
