"""Benchmark: a full sync of an .xlsx file, beside its floor, at about a million cells.

    python -m bench.xlsx [--kpis 10000] [--weeks 104] [--repeats 3] [--output FILE]

It writes the Sheets benchmark's workbook (bench/workbook.py: KPIs x weekly columns, with
gaps, text and formula errors stored as Excel stores them, plus OKRs) to an .xlsx file and
runs ``metrics-sync run --once`` on it as a child process: a first run (owned columns and the
Status tab created, alerts mailed to an outbox), then steady runs a minute apart (``Checked``
changes on every row, the Status tab is rewritten). Beside each steady run stands the floor
(``--floor``, a child of its own): every cell of every tab read with python-calamine, and
the cells a steady run changes (``Checked`` on every row, ``Expected`` on every key result,
the Status tab's part) written back into the zip and the file replaced, and nothing else.
Wall, CPU and peak RSS are the child's own (GNU time, as bench/sheets.py measures them).
The figures replace the ``.xlsx`` section of ``--output`` (bench/RESULTS.md by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.datetime(2026, 11, 26, 8, 0)
TARGETS = {"wall": 1.5, "rss": 3.0, "first": 3.0}
HEADING = "## .xlsx: a file on disk"
NOTE = (
    "- The first run writes every owned cell and mails every alerting row: its 50 digests "
    "carry about 500 matplotlib charts (`sync/notify/chart.py`, about 13 ms each on figures "
    "kept from one chart to the next; 40-60 ms when each chart built its own), about half "
    "of its time; its .xlsx write about a quarter. The old openpyxl backend took about 24 s "
    "and 750 MB for a steady run of this workbook (issue 14)."
)


def build(path: Path, kpis: int, weeks: int) -> int:
    """The workbook as a file, written by openpyxl (formula errors as error cells)."""
    import openpyxl

    from bench.workbook import cells, make_workbook

    tabs = make_workbook(kpis, weeks)
    book = openpyxl.Workbook(write_only=True)
    for name, grid in tabs.items():
        ws = book.create_sheet(name)
        for row in grid:
            ws.append(row)
    book.save(path)
    return cells(tabs)


def config(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from workbooks import config_text

    path = folder / "metrics-sync.toml"
    text = config_text('[workbook]\nbackend = "xlsx"\npath = "bench.xlsx"', tabs='kpi_log = ""')
    path.write_text(text, encoding="utf-8")
    return path


def floor(path: Path) -> None:
    """Read every cell, write back the cells a steady run changes, replace the file."""
    from python_calamine import CalamineWorkbook

    from sync.backends.xlsx import atomic
    from sync.backends.xlsx.guard import open_zip
    from sync.backends.xlsx.package import Package, save
    from sync.backends.xlsx.sheet import Styles, edit

    book = CalamineWorkbook.from_path(str(path))
    grids = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    book.close()
    with open_zip(path) as zf:
        pkg = Package(zf)
        changed = {}
        stamp = AS_OF.strftime("%Y-%m-%d %H:%M+00:00")
        for tab, owned in (("KPIs", ("Checked",)), ("OKRs", ("Checked", "Expected"))):
            head = grids[tab][0]
            cols = [head.index(name) + 1 for name in owned]
            values = {(r, c): stamp for r in range(2, len(grids[tab]) + 1) for c in cols}
            sheet = pkg.find(tab)
            assert sheet is not None
            changed[sheet.part] = edit(pkg.read(sheet.part), values, lambda: Styles(0, 0), print)
        status = pkg.find("Status")
        assert status is not None
        changed[status.part] = pkg.read(status.part)
        atomic.replace(path, lambda out: save(pkg, out, changed))


def measure(cmd: list[str], log: Path) -> tuple[float, float, float, int]:
    """Wall s, CPU s, peak RSS MB and exit code of one child (bench/sheets.py's way)."""
    from bench.sheets import child

    m = child(cmd, {**os.environ, "METRICS_SYNC_LOCK_DIR": str(log.parent / "locks")}, log)
    return m.wall, m.cpu, m.rss_mb, m.code


def run(kpis: int, weeks: int, repeats: int, work: Path) -> dict[str, object]:
    path = work / "bench.xlsx"
    started = time.perf_counter()
    count = build(path, kpis, weeks)
    built = time.perf_counter() - started
    cfg = config(work)
    log = work / "children.log"
    sync = [sys.executable, "-m", "sync", "run", "--once", "--config", str(cfg), "--as-of"]
    first = measure([*sync, AS_OF.isoformat()], log)
    steady, floors = [], []
    for i in range(1, repeats + 1):
        when = AS_OF + dt.timedelta(minutes=i)
        steady.append(measure([*sync, when.isoformat()], log))
        floors.append(measure([sys.executable, "-m", "bench.xlsx", "--floor", str(path)], log))
    return {
        "kpis": kpis,
        "cells": count,
        "mb": path.stat().st_size / 1e6,
        "built": built,
        "first": first,
        "steady": steady,
        "floor": floors,
        "mails": len(list((work / "outbox").glob("*.eml"))),
    }


def _median(runs: list[tuple[float, float, float, int]], i: int) -> float:
    return float(statistics.median(r[i] for r in runs))


def section(res: dict[str, object], took: float) -> str:
    steady, floors = res["steady"], res["floor"]
    first = res["first"]
    assert isinstance(steady, list)
    assert isinstance(floors, list)
    assert isinstance(first, tuple)
    s = [_median(steady, i) for i in range(3)]
    f = [_median(floors, i) for i in range(3)]
    codes = sorted({r[3] for r in [first, *steady, *floors]})
    ratios = {"wall": s[0] / f[0], "rss": s[2] / f[2], "first": first[0] / s[0]}
    met = {k: "met" if v <= TARGETS[k] else "NOT met" for k, v in ratios.items()}
    rows = [("first (mails)", first[:3]), ("steady", s), ("floor", f)]
    return "\n".join(
        [
            HEADING,
            "",
            f"Regenerated by `python -m bench.xlsx` (in `make bench`), "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, took {took / 60:.1f} min; "
            f"load average {os.getloadavg()[0]:.2f}.",
            f"- Workbook: {res['kpis']:,} KPIs x 104 weeks + OKRs, {res['cells']:,} cells, a "
            f"{res['mb']:.1f} MB file (built by openpyxl in {res['built']:.0f} s); "
            f"{res['mails']} mail(s) from the first run; exit codes {codes}.",
            f"- Medians of {len(steady)} steady runs and {len(floors)} floors. The floor reads "
            "every cell with python-calamine and writes back only the cells a steady run "
            "changes (and the Status tab's part), as a child process of its own.",
            "",
            "| run | wall s | CPU s | peak RSS MB |",
            "|---|---:|---:|---:|",
            *(f"| {name} | {v[0]:.2f} | {v[1]:.2f} | {v[2]:.0f} |" for name, v in rows),
            "",
            f"- sync / floor wall: {ratios['wall']:.2f} (target ≤ {TARGETS['wall']}): "
            f"{met['wall']}",
            f"- peak RSS sync / floor: {ratios['rss']:.2f} (target ≤ {TARGETS['rss']}): "
            f"{met['rss']}",
            f"- first run with its mails / steady: {ratios['first']:.2f} "
            f"(target ≤ {TARGETS['first']}): {met['first']}",
            f"- In CPU time (what the machine's load does not stretch): sync / floor "
            f"{s[1] / f[1]:.2f}, first / steady {first[1] / s[1]:.2f}.",
            NOTE,
            "",
        ]
    )


def write(output: Path, text: str) -> None:
    """Replace the .xlsx section of ``output`` (or add it), leaving the rest as it is."""
    old = output.read_text(encoding="utf-8") if output.exists() else ""
    head, _, rest = old.partition(HEADING)
    tail = rest[rest.find("\n## ") :] if "\n## " in rest else ""
    output.write_text(head.rstrip() + ("\n\n" if head.strip() else "") + text + tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kpis", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor is not None:
        floor(args.floor)
        return 0
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bench-xlsx-"))
    try:
        res = run(args.kpis, args.weeks, args.repeats, work)
        text = section(res, time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write(args.output, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
