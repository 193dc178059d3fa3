"""What is checked before a workbook file is loaded or replaced, so a bad file gets one clear
message and nothing is written: not a zip, a zip bomb, a password, another format, a lock.

The limits are in the README (".xlsx limits"): they bound the memory a read can take.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from sync.errors import WorkbookError

MAX_UNCOMPRESSED = 1 << 30  # 1 GiB of XML in all, as the zip's directory states it
MAX_RATIO = 200  # uncompressed / compressed for one entry over 1 MiB (Excel's are below 30)
MAX_CELLS = 20_000_000  # per sheet, by its recorded size (<dimension>), before it is read
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # a Compound File: .xls, or an encrypted .xlsx
ODS_TYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def open_zip(path: Path) -> zipfile.ZipFile:
    """The workbook's zip, refused when it is something else or too large to load."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise WorkbookError(f"{path}: the workbook file does not exist") from None
    except OSError as err:
        raise WorkbookError(f"{path}: cannot be opened ({err.strerror})") from err
    if head == OLE_MAGIC:
        raise WorkbookError(f"{path}: {_compound_file(path)}")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise WorkbookError(f"{path}: not a readable .xlsx workbook ({err})") from err
    try:
        _check_zip(path, zf)
    except BaseException:
        zf.close()
        raise
    return zf


def _compound_file(path: Path) -> str:
    """An OLE compound file is a password-protected .xlsx (its EncryptedPackage stream) or
    a .xls from Excel 97-2003."""
    data = path.read_bytes()[: 64 << 20]
    if "EncryptedPackage".encode("utf-16-le") in data:
        return (
            "the workbook is password-protected (encrypted), so it cannot be read; save a "
            "copy without a password (File > Info > Protect Workbook) and point the config "
            "at it; nothing was written"
        )
    return (
        "not a readable .xlsx workbook (an Excel 97-2003 .xls file); open it in Excel or "
        "LibreOffice and save it as an Excel Workbook (.xlsx); nothing was written"
    )


def _check_zip(path: Path, zf: zipfile.ZipFile) -> None:
    names = set(zf.namelist())
    if "mimetype" in names and zf.read("mimetype").strip() == ODS_TYPE:
        raise WorkbookError(
            f"{path}: not a readable .xlsx workbook (an OpenDocument .ods spreadsheet); save "
            "it as Excel 2007-365 (.xlsx) in LibreOffice (File > Save As); nothing was written"
        )
    if "[Content_Types].xml" not in names or "_rels/.rels" not in names:
        raise WorkbookError(f"{path}: not a readable .xlsx workbook (no workbook inside the zip)")
    total = sum(i.file_size for i in zf.infolist())
    if total > MAX_UNCOMPRESSED:
        raise WorkbookError(
            f"{path}: the workbook unpacks to {total / 2**20:,.0f} MiB, over the limit of "
            f"{MAX_UNCOMPRESSED >> 20:,} MiB; nothing was read"
        )
    for info in zf.infolist():
        if info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise WorkbookError(
                f"{path}: {info.filename} unpacks {info.file_size // max(info.compress_size, 1)}"
                f" times larger than it is stored (a zip bomb?); nothing was read"
            )


def check_cells(path: Path, tab: str, rows: int, cols: int) -> None:
    if rows * cols > MAX_CELLS:
        raise WorkbookError(
            f"{path}: tab {tab!r} records a size of {rows:,} rows x {cols:,} columns, over the "
            f"limit of {MAX_CELLS:,} cells a tab; nothing was read"
        )


def check_not_held(path: Path) -> None:
    """Refuse to replace a file another program has open, where it says so beside the file:
    LibreOffice's lock file (``.~lock.NAME#``) and Excel's owner file (``~$NAME``)."""
    for lock, program in (
        (path.with_name(f".~lock.{path.name}#"), "LibreOffice"),
        (path.with_name(f"~${path.name}"), "Excel"),
    ):
        if lock.exists():
            raise WorkbookError(
                f"{path}: the workbook is open in {program} (its lock file {lock.name} is beside "
                "it); close it there and run again (delete the lock file if nobody has it "
                "open); nothing was written"
            )
