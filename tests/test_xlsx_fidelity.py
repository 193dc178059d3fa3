"""Two runs on a macro-enabled workbook that carries everything a team's workbook carries.

The workbook (tests/xlsx_fixture.py) has formulas with cached values (a formula-fed
``Current`` among them), a sparkline group, a chart, data validation, conditional formats,
merged ranges, a defined name and a VBA project, and is reached through a symlink with mode
0664. After each run it is read back by two independent readers, openpyxl and
python-calamine, and its zip parts are compared with the original's.
"""

from __future__ import annotations

import datetime as dt
import stat
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsx_fixture
from lxml import etree
from python_calamine import CalamineWorkbook
from workbooks import config_text

from sync.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
OWNED = {"Status", "Note", "Since", "Last alert", "Checked", "Progress", "Expected", "Forecast"}
SHEETS = {"KPIs": "xl/worksheets/sheet2.xml", "OKRs": "xl/worksheets/sheet3.xml"}
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """work/team.xlsm -> shared/team.xlsm, mode 0664, with a config beside the link."""
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    (tmp_path / "shared").mkdir()
    (tmp_path / "work").mkdir()
    target = tmp_path / "shared" / "team.xlsm"
    xlsx_fixture.build(target)
    target.chmod(0o664)
    link = tmp_path / "work" / "team.xlsm"
    link.symlink_to(target)
    (tmp_path / "work" / "metrics-sync.toml").write_text(
        config_text('[workbook]\nbackend = "xlsx"\npath = "team.xlsm"'), encoding="utf-8"
    )
    return link


def run(link: Path, now: dt.datetime) -> int:
    config = str(link.parent / "metrics-sync.toml")
    return main(["run", "--once", "--config", config, "--as-of", now.isoformat()])


def parts(path: Path) -> dict[str, tuple[bytes, int, int]]:
    """Each zip entry: its content, its CRC and its compressed size."""
    with zipfile.ZipFile(path) as z:
        return {i.filename: (z.read(i), i.CRC, i.compress_size) for i in z.infolist()}


def cells(path: Path) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(tab, A1) -> (formula or value, cached value by openpyxl, value by calamine)."""
    formulas = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    fast = CalamineWorkbook.from_path(str(path))
    out: dict[tuple[str, str], tuple[Any, ...]] = {}
    for ws in formulas.worksheets:
        grid = fast.get_sheet_by_name(ws.title).to_python(skip_empty_area=False)
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                seen = grid[c.row - 1][c.column - 1] if c.row <= len(grid) else None
                out[(ws.title, c.coordinate)] = (
                    c.value,
                    cached[ws.title][c.coordinate].value,
                    seen,
                )
    return out


def not_owned(path: Path) -> dict[tuple[str, str], tuple[Any, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    owned = {
        (ws.title, c.column_letter)
        for ws in book.worksheets
        for c in next(ws.iter_rows(max_row=1))
        if ws.title in SHEETS and c.value in OWNED
    }
    book.close()
    return {
        (tab, ref): v
        for (tab, ref), v in cells(path).items()
        if tab not in ("Status", "KR history") and (tab, ref.rstrip("0123456789")) not in owned
    }


def element(data: bytes, path: str) -> bytes:
    """One element of a part, canonicalised: the same content whatever the layout."""
    found = etree.fromstring(data).find(path, {"m": xlsx_fixture.MAIN})
    assert found is not None, path
    return bytes(etree.tostring(found, method="c14n"))


def status(path: Path, tab: str, key: str) -> Any:
    ws = openpyxl.load_workbook(path, data_only=True)[tab]
    head = [c.value for c in ws[1]]
    at = head.index("Key result" if tab == "OKRs" else "KPI")
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[at] == key)
    return row[head.index("Status")]


def test_two_runs_change_only_the_owned_cells_and_keep_every_other_part_byte_for_byte(
    linked: Path,
) -> None:
    target = linked.resolve()
    original, before = parts(target), not_owned(target)
    assert run(linked, NOW) == 0
    first = parts(target)
    assert run(linked, NOW + dt.timedelta(hours=1)) == 0
    second = parts(target)
    registered = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
    new = {"xl/worksheets/sheet4.xml", "xl/worksheets/sheet5.xml"}  # Status, KR history
    rewritten = {*SHEETS.values(), *new}
    assert set(first) == set(original) | new
    changed_first = {n for n in original if first[n] != original[n]}
    assert changed_first <= rewritten | registered | {"xl/styles.xml", "docProps/app.xml"}
    assert {n for n in first if second[n] != first[n]} <= rewritten
    untouched = set(original) - changed_first
    assert {"xl/vbaProject.bin", "xl/charts/chart1.xml", "xl/drawings/drawing1.xml"} <= untouched
    assert not_owned(target) == before  # values, formulas, cached values: by both readers
    assert linked.is_symlink()
    assert linked.resolve() == target
    assert stat.S_IMODE(target.stat().st_mode) == 0o664


def test_what_openpyxl_cannot_write_survives_two_runs(linked: Path) -> None:
    target = linked.resolve()
    original = parts(target)
    run(linked, NOW)
    run(linked, NOW + dt.timedelta(hours=1))
    after = parts(target)
    kpis = SHEETS["KPIs"]
    for path in ("m:extLst", "m:mergeCells", "m:conditionalFormatting", "m:dataValidations"):
        assert element(after[kpis][0], path) == element(original[kpis][0], path), path
    book = "xl/workbook.xml"
    assert element(after[book][0], "m:definedNames") == element(original[book][0], "m:definedNames")
    assert xlsx_fixture.MACRO_MAIN.encode() in after["[Content_Types].xml"][0]
    assert after["xl/vbaProject.bin"][0] == xlsx_fixture.VBA


def test_a_formula_fed_current_keeps_its_status_from_run_to_run(linked: Path) -> None:
    target = linked.resolve()
    run(linked, NOW)
    first = status(target, "KPIs", "Conversion"), status(target, "OKRs", "Leads to 420")
    run(linked, NOW + dt.timedelta(hours=1))
    second = status(target, "KPIs", "Conversion"), status(target, "OKRs", "Leads to 420")
    assert first == second == ("OK", "ON TRACK")


def test_untouched_entries_keep_their_compressed_bytes(linked: Path) -> None:
    target = linked.resolve()
    with zipfile.ZipFile(target) as z:
        raw = {i.filename: _raw(target, i) for i in z.infolist()}
    run(linked, NOW)
    with zipfile.ZipFile(target) as z:
        after = {i.filename: _raw(target, i) for i in z.infolist()}
    for name in ("xl/vbaProject.bin", "xl/charts/chart1.xml", "xl/theme/theme1.xml"):
        assert after[name] == raw[name], name


def _raw(path: Path, info: zipfile.ZipInfo) -> bytes:
    with path.open("rb") as f:
        f.seek(info.header_offset + 26)
        name_len, extra_len = (
            int.from_bytes(f.read(2), "little"),
            int.from_bytes(f.read(2), "little"),
        )
        f.seek(info.header_offset + 30 + name_len + extra_len)
        return f.read(info.compress_size)
