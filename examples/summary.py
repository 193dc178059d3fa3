"""Prints what `make demo` did: statuses by kind, the mails written, and where to look."""

from __future__ import annotations

import email
import email.policy
import sys
from pathlib import Path

from openpyxl import load_workbook


def main(folder: Path) -> None:
    book = load_workbook(folder / "team-metrics.xlsx", read_only=True)
    status = {
        str(row[0]): row[1]
        for row in book["Status"].iter_rows(max_row=6, values_only=True)
        if row and row[0]
    }
    print()
    print(f"KPIs by status:        {status.get('KPIs')}")
    print(f"Objectives by status:  {status.get('Objectives')}")
    print(f"Key results by status: {status.get('Key results')}")
    mails = sorted((folder / "outbox").glob("*.eml"))
    print(f"Mails written:         {len(mails)} to {folder / 'outbox'}/")
    for path in mails:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        print(f"  to {msg['To']}: {msg['Subject']}")
    print()
    print(
        f"Open {folder / 'team-metrics.xlsx'}: the Status tab, and the Status/Note columns "
        "on the KPIs and OKRs tabs."
    )
    print(
        f"Run it again: .venv/bin/metrics-sync run --once --config {folder / 'demo.toml'} "
        "--as-of 2026-11-26T08:00  (nothing new is mailed: alerts repeat after 24h)"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demo"))
