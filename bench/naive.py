"""The naive peer: the sync a team writes by hand with gspread's everyday calls.

    python -m bench.naive --endpoint http://127.0.0.1:PORT --key KEY

It reads each tab with ``worksheet.get_all_values()`` and writes each status cell with
``worksheet.update_cell`` (one ``values.update`` request per cell, ``USER_ENTERED``, as
gspread hard-codes it), adding a ``Status`` column when there is none. The rules are the
few lines such a script has: the newest number in the row against ``Warning`` and
``Critical``; key-result progress against 70 %. It uses the gspread client the sync builds
(``open_google``), so the transport is the same and only the calls differ.
"""

from __future__ import annotations

import argparse
import sys

import gspread

from sync.backends.google import open_google
from sync.config import WorkbookConfig

WRITES_PER_MINUTE = 60  # Google's write quota per user per minute


def number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").replace("$", "").rstrip("%"))
    except ValueError:
        return None


def kpi_status(row: dict[str, str], values: list[str]) -> str:
    current = next((n for n in map(number, reversed(values)) if n is not None), None)
    warning, critical = number(row.get("Warning", "")), number(row.get("Critical", ""))
    if current is None:
        return "NO DATA"
    lower = row.get("Direction", "").lower() == "lower"
    if critical is not None and (current > critical if lower else current < critical):
        return "CRITICAL"
    if warning is not None and (current > warning if lower else current < warning):
        return "WARNING"
    return "OK"


def kr_status(row: dict[str, str]) -> str:
    start, target, current = (number(row.get(k, "")) for k in ("Start", "Target", "Current"))
    if start is None or target is None or current is None or target == start:
        return "ERROR"
    progress = (current - start) / (target - start)
    return "DONE" if progress >= 1 else "ON TRACK" if progress >= 0.7 else "OFF TRACK"


def status_column(ws: gspread.Worksheet, header: list[str]) -> int:
    if "Status" in header:
        return header.index("Status") + 1
    col = len(header) + 1
    if col > ws.col_count:
        ws.add_cols(col - ws.col_count)
    ws.update_cell(1, col, "Status")
    return col


def sync_tab(ws: gspread.Worksheet, statuses: list[str], header: list[str]) -> int:
    col = status_column(ws, header)
    for i, status in enumerate(statuses, start=2):
        ws.update_cell(i, col, status)
    return len(statuses)


def run(endpoint: str, key: str) -> tuple[int, int]:
    """One pass; returns (requests sent, cells written with update_cell)."""
    workbook = open_google(WorkbookConfig(backend="google", spreadsheet=key, endpoint=endpoint))
    sheet = workbook.client.open_by_key(key)
    kpis = sheet.worksheet("KPIs")
    rows = kpis.get_all_values()
    header = rows[0]
    dated = [i for i, h in enumerate(header) if h[:2] == "20"]  # the weekly columns
    written = sync_tab(
        kpis,
        [
            kpi_status(dict(zip(header, r, strict=False)), [r[i] for i in dated if i < len(r)])
            for r in rows[1:]
        ],
        header,
    )
    okrs = sheet.worksheet("OKRs")
    rows = okrs.get_all_values()
    written += sync_tab(
        okrs, [kr_status(dict(zip(rows[0], r, strict=False))) for r in rows[1:]], rows[0]
    )
    workbook.close()
    return workbook.request_count, written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args(argv)
    sent, written = run(args.endpoint, args.key)
    print(f"naive: {sent} request(s), {written} update_cell call(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
