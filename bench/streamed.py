"""What the streamed decode buys: one read of a big sheet, decoded a row at a time as it
arrives (sync/backends/streamed_json.py) against gspread's ``values_batch_get``, which holds
the whole answer (bytes, then text) before it builds a cell.

    python -m bench.streamed [--kpis 10000] [--weeks 104] [--repeats 3]

Each read runs in a child process of its own under GNU time (peak RSS, wall), against the
benchmark's workbook in the emulator process; both build the same grids. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.emulator import EmulatorProcess

ROOT = Path(__file__).resolve().parent.parent
TIME = "/usr/bin/time"
TABS = ["KPIs", "OKRs"]


def read(mode: str, endpoint: str, key: str) -> int:
    """One read, the backend's way (``streamed``) or gspread's (``whole``): cells read."""
    from sync.backends.google import open_google
    from sync.backends.google.payload import blanks_to_none
    from sync.config import WorkbookConfig

    workbook = open_google(WorkbookConfig(backend="google", spreadsheet=key, endpoint=endpoint))
    if mode == "streamed":
        grids = list(workbook.read(TABS).values())
    else:
        params = {
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": "ROWS",
            "prettyPrint": "false",
        }
        answer = workbook.client.http_client.values_batch_get(key, TABS, params)
        grids = [blanks_to_none(vr.get("values", [])) for vr in answer["valueRanges"]]
    workbook.close()
    return sum(len(row) for grid in grids for row in grid or ())


def measure(mode: str, endpoint: str, key: str) -> tuple[float, float]:
    """(wall s, peak RSS MB) of one read in a child process."""
    with tempfile.NamedTemporaryFile(suffix=".time") as report:
        code = f"from bench.streamed import read; read({mode!r}, {endpoint!r}, {key!r})"
        start = time.perf_counter()
        subprocess.run(
            [TIME, "-o", report.name, "-f", "%M", sys.executable, "-c", code], cwd=ROOT, check=True
        )
        wall = time.perf_counter() - start
        return wall, int(Path(report.name).read_text().split()[-1]) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kpis", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with EmulatorProcess() as emu:
        key, cells, _ = emu.create(args.kpis, args.weeks)
        print(f"{args.kpis:,} KPIs x {args.weeks} weeks: {cells:,} cells")
        print("| read | wall s (median) | peak RSS MB (median) |")
        print("|---|---:|---:|")
        for mode in ("streamed", "whole"):
            runs = [measure(mode, emu.url, key) for _ in range(args.repeats)]
            wall = statistics.median(w for w, _ in runs)
            rss = statistics.median(r for _, r in runs)
            print(f"| {mode} | {wall:.2f} | {rss:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
