"""Files the .xlsx backend refuses before loading them, with a message and nothing written;
and what it leaves behind (nothing) when a save is killed."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sync.backends.xlsx import XlsxWorkbook, guard
from sync.errors import WorkbookError
from sync.grid import CellUpdate, OwnedTab

OLE = bytes.fromhex("d0cf11e0a1b11ae1")


def workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "KPIs"
    ws.append(["KPI", "Current", "Status"])
    ws.append(["Leads", 412, None])
    book.save(path)
    return path


def refused(path: Path, match: str, *, write: bool = False) -> None:
    before = path.read_bytes() if path.exists() else None
    book = XlsxWorkbook(path)
    act = (
        (lambda: book.write([CellUpdate("KPIs", 2, 3, "OK")], []))
        if write
        else (lambda: book.read(["KPIs"]))
    )
    with pytest.raises(WorkbookError, match=match):
        act()
    assert (path.read_bytes() if path.exists() else None) == before


def test_a_password_protected_workbook_says_to_save_a_copy_without_the_password(
    tmp_path: Path,
) -> None:
    path = tmp_path / "team.xlsx"  # Excel stores it as a compound file with this stream
    path.write_bytes(OLE + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 64)
    refused(path, r"password-protected .*save a copy without a password")


def test_an_old_xls_file_says_to_save_it_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "team.xls"
    path.write_bytes(OLE + b"\0" * 504 + "Workbook".encode("utf-16-le"))
    refused(path, r"an Excel 97-2003 \.xls file\); open it in Excel or LibreOffice and save")


def test_an_ods_file_says_to_save_it_as_xlsx_in_libreoffice(tmp_path: Path) -> None:
    path = tmp_path / "team.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    refused(path, r"an OpenDocument \.ods spreadsheet\); save it as Excel 2007-365 \(\.xlsx\)")


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_unpacked(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path / "team.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/zeros.bin", b"\0" * (8 << 20))  # 8 MiB of zeros: ~1000:1
    refused(path, r"xl/media/zeros.bin unpacks \d+ times larger than it is stored")


def test_a_workbook_over_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = workbook(tmp_path / "team.xlsx")
    monkeypatch.setattr(guard, "MAX_UNCOMPRESSED", 1000)  # a limit, not our code, replaced
    refused(path, r"unpacks to 0 MiB, over the limit")


def test_a_sheet_recording_more_cells_than_the_limit_is_refused_before_it_is_read(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path / "team.xlsx")
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        b'<dimension ref="A1:C2"/>', b'<dimension ref="A1:XFD1048576"/>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    refused(path, r"records a size of 1,048,576 rows x 16,384 columns, over the limit")


@pytest.mark.parametrize(
    ("lock", "program"), [(".~lock.team.xlsx#", "LibreOffice"), ("~$team.xlsx", "Excel")]
)
def test_a_workbook_open_in_another_program_is_not_replaced(
    tmp_path: Path, lock: str, program: str
) -> None:
    path = workbook(tmp_path / "team.xlsx")
    (tmp_path / lock).write_text("someone,host,2026-11-26", encoding="utf-8")
    refused(path, rf"open in {program} \(its lock file .* is beside it\); close it", write=True)
    assert XlsxWorkbook(path).read(["KPIs"])["KPIs"]  # reading it is fine


def test_a_temp_file_left_by_a_killed_save_is_removed_by_the_next_save(tmp_path: Path) -> None:
    path = workbook(tmp_path / "team.xlsx")
    killed = tmp_path / ".team.xlsx.metrics-sync-0badcafe.tmp"  # what a kill mid-save leaves
    killed.write_bytes(b"PK\x03\x04 half a zip")
    other = tmp_path / ".team.xlsx.someone-else.tmp"
    other.write_bytes(b"not ours")
    XlsxWorkbook(path).write([CellUpdate("KPIs", 2, 3, "OK")], [])
    assert not killed.exists()
    assert other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "team.xlsx"]
    assert openpyxl.load_workbook(path)["KPIs"]["C2"].value == "OK"


def test_cells_written_read_back_as_they_were_given(tmp_path: Path) -> None:
    path = workbook(tmp_path / "team.xlsx")
    values = [
        "  padded  ",
        "bell\x07",
        '=HYPERLINK("x")',
        "Plan_x0041_B",  # typed as is: not Excel's escape for "A"
        True,
        2.5,
        10**12,
        dt.datetime(2026, 11, 26, 8, 30),
        dt.date(2026, 11, 2),
    ]
    book = XlsxWorkbook(path)
    book.write([CellUpdate("KPIs", 3, c, v) for c, v in enumerate(values, start=1)], [])
    row = book.read(["KPIs"])["KPIs"][2]  # type: ignore[index]
    assert row == [
        "  padded  ",
        "bell\x07",  # stored as Excel stores it, bell_x0007_, and read back
        '=HYPERLINK("x")',
        "Plan_x0041_B",  # stored as Plan_x005F_x0041_B
        True,
        2.5,
        10**12,
        dt.datetime(2026, 11, 26, 8, 30),
        dt.datetime(2026, 11, 2),
    ]
    again = openpyxl.load_workbook(path)["KPIs"]
    assert again["C3"].data_type == "s"  # text, never a formula
    assert again["H3"].number_format == "yyyy-mm-dd hh:mm"
    book.write([CellUpdate("KPIs", 3, c, None) for c in range(1, 10)], [])
    assert book.read(["KPIs"])["KPIs"] == [["KPI", "Current", "Status"], ["Leads", 412, None]]


def test_a_status_tab_can_be_added_to_a_workbook_without_docprops(tmp_path: Path) -> None:
    path = workbook(tmp_path / "team.xlsx")
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist() if not i.filename.startswith("docP")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(
                name, data.replace(b'<Override PartName="/docProps', b'<Override PartName="/x')
            )
    path.write_bytes(buffer.getvalue())
    status = [["metrics-sync status", None], ["Plan_x0041_B", "bell\x07"]]  # as typed in a row
    XlsxWorkbook(path).write([], [OwnedTab("Status", status)])
    assert openpyxl.load_workbook(path).sheetnames == ["KPIs", "Status"]
    assert XlsxWorkbook(path).read(["Status"])["Status"] == status


def test_a_formula_in_an_owned_cell_is_replaced_and_the_calculation_chain_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Excel lists formula cells in xl/calcChain.xml and repairs a file whose chain names a
    cell that holds none; the chain is optional, so it goes when a formula does."""
    path = workbook(tmp_path / "team.xlsx")
    book = openpyxl.load_workbook(path)
    book["KPIs"]["C2"] = "=B2*2"
    book.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["xl/calcChain.xml"] = (
        b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<c r="C2" i="1"/></calcChain>'
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdChain" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>',
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    XlsxWorkbook(path).write([CellUpdate("KPIs", 2, 3, "OK")], [])
    with zipfile.ZipFile(path) as z:
        assert "xl/calcChain.xml" not in z.namelist()
        assert b"calcChain" not in z.read("xl/_rels/workbook.xml.rels")
        assert b"calcChain" not in z.read("[Content_Types].xml")
    assert openpyxl.load_workbook(path)["KPIs"]["C2"].value == "OK"
    assert "1 cell(s) the sync owns held a formula, replaced by its values (C2)" in caplog.text
