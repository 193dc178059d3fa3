"""A save of an .xlsx file killed (SIGKILL) part way: the file is the old one or the new one,
never a broken one, and the next save cleans up after the dead one.

A child process saves a 5,000-row workbook again and again, printing a line just before each
save; the test kills it as soon as it has read the n-th line, so the kill lands somewhere in
that save (reading, splicing, compressing, fsync or rename). No sleep decides when.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sync.backends.xlsx import XlsxWorkbook
from sync.grid import CellUpdate

ROWS = 5_000
CHILD = """
import sys
from pathlib import Path
from sync.backends.xlsx import XlsxWorkbook
from sync.grid import CellUpdate, OwnedTab
path = Path(sys.argv[1])
for n in range(1, 1000):
    print(n, flush=True)
    XlsxWorkbook(path).write(
        [CellUpdate("KPIs", r, 3, f"run {n}") for r in range(2, ROWS + 2)],
        [OwnedTab("Status", [["metrics-sync status"], [f"run {n}"]])],
    )
"""


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("kills") / "team.xlsx"
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("KPIs")
    ws.append(["KPI", "Current", "Status"])
    for i in range(ROWS):
        ws.append([f"KPI {i}", i, None])
    book.save(path)
    return path.read_bytes()


@pytest.mark.parametrize("nth", [1, 2, 3])
def test_a_save_killed_part_way_leaves_a_whole_workbook_and_the_next_save_cleans_up(
    nth: int, original: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "team.xlsx"
    path.write_bytes(original)
    child = subprocess.Popen(  # our own interpreter and script
        [sys.executable, "-c", CHILD.replace("ROWS", str(ROWS)), str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    with child.stdout:
        for _ in range(nth):
            child.stdout.readline()
        child.send_signal(signal.SIGKILL)
        child.wait()
    grid = XlsxWorkbook(path).read(["KPIs", "Status"])
    kpis = grid["KPIs"]
    assert kpis is not None
    assert len(kpis) == ROWS + 1
    statuses = {row[2] for row in kpis[1:]}
    assert len(statuses) == 1  # one save's cells, never a mix
    assert statuses <= {None, *(f"run {n}" for n in range(1, nth + 1))}
    assert [r[:2] for r in kpis[1:3]] == [["KPI 0", 0], ["KPI 1", 1]]
    fast = CalamineWorkbook.from_path(str(path))
    assert len(fast.get_sheet_by_name("KPIs").to_python()) == ROWS + 1
    fast.close()
    XlsxWorkbook(path).write([CellUpdate("KPIs", 2, 3, "after")], [])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.xlsx"]
    assert openpyxl.load_workbook(path, read_only=True)["KPIs"]["C2"].value == "after"
