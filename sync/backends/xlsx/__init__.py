"""The .xlsx backend: a workbook file on disk, read with python-calamine, edited part by part.

A write changes only the owned cells of the sheets it writes and the owned tabs; every
other part of the zip is carried over byte for byte, and the file is replaced atomically
(docs/xlsx-format.md: the parts, the OOXML rules relied on, the limits).
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Self

from sync.backends.xlsx import atomic, guard
from sync.backends.xlsx.package import (
    Package,
    Stamp,
    add_sheet,
    drop_calc_chain,
    rename_sheet,
    save,
)
from sync.backends.xlsx.reader import read_grids
from sync.backends.xlsx.sheet import Styles, edit
from sync.backends.xlsx.status_sheet import sheet_xml
from sync.backends.xlsx.styles import DATE, DATETIME, FILLS, StyleBook
from sync.errors import ConcurrentEditError, WorkbookError
from sync.grid import Cell, CellUpdate, Grid, Outline, OwnedTab, RowKey

__all__ = ["FILLS", "XlsxWorkbook", "create_workbook"]
log = logging.getLogger("metrics_sync")
_BAD_PARTS = (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, EOFError)


class XlsxWorkbook:
    """A workbook file; each ``read`` and ``write`` opens it afresh, so edits between runs count."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last_read: list[str] = []  # re-read when rows moved, for the caller to re-map
        self._read_stamp: Stamp | None = None  # the file as last read
        self._parts: dict[str, bytes] = {}  # its parts read then, unpacked, for the write
        self._outline: Outline | None = None

    @property
    def title(self) -> str:
        return self.path.stem

    @property
    def url(self) -> str | None:
        return None

    @property
    def outline(self) -> Outline | None:
        return self._outline

    @property
    def request_count(self) -> int | None:
        return None

    def close(self) -> None:
        """Nothing held between calls: each read and write opens the file afresh."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, tabs: Sequence[str]) -> dict[str, Grid | None]:
        self._last_read = list(dict.fromkeys([*self._last_read, *tabs]))
        with _Opened(self.path) as pkg:
            self._outline = Outline(self.title, tuple(s.name for s in pkg.sheets))
            try:
                grids = read_grids(self.path, pkg, tabs)
            except WorkbookError:
                raise
            except Exception as err:  # calamine's own errors have no common base class
                raise WorkbookError(f"{self.path}: a tab cannot be read ({err})") from err
        self._read_stamp, self._parts = pkg.stamp, pkg.parts
        return grids

    def write(
        self, updates: Sequence[CellUpdate], owned: Sequence[OwnedTab], keys: Sequence[RowKey] = ()
    ) -> None:
        guard.check_not_held(Path(os.path.realpath(self.path)))
        parts, self._parts = self._parts, {}  # the file is about to change: read afresh next
        with _Opened(self.path, (self._read_stamp, parts)) as pkg:
            self._check_keys(pkg, keys)
            changed, dropped = _changes(self.path, pkg, updates, owned)
            try:
                atomic.replace(self.path, partial(save, pkg, changed=changed, dropped=dropped))
            except OSError as err:
                raise WorkbookError(
                    f"{self.path}: could not save the workbook ({err.strerror or err}); "
                    "nothing was written"
                ) from err

    def _check_keys(self, pkg: Package, keys: Sequence[RowKey]) -> None:
        """Rows moved since the read? Not when the file is the one read (same size, time and
        inode): then nobody saved it in between. Otherwise its key cells are read again."""
        if not keys or (self._read_stamp is not None and pkg.stamp == self._read_stamp):
            return
        tabs = list(dict.fromkeys(k.tab for k in keys))
        now = read_grids(self.path, pkg, tabs)
        moved = _first_moved(self.path, keys, now)
        if moved:
            again = [*self._last_read, *(t for t in tabs if t not in self._last_read)]
            raise ConcurrentEditError(f"{moved}; nothing was written", self.read(again))


class _Opened:
    """The file's zip and parts for one read or write; bad files become WorkbookError.

    ``kept``: the parts a read unpacked, and the stamp of the file they came from; they are
    used again only if the file opened now is that very file (a write then unpacks the big
    sheet parts once, not twice)."""

    def __init__(self, path: Path, kept: tuple[Stamp | None, dict[str, bytes]] | None = None):
        self.path = path
        self.kept = kept
        self.zip: zipfile.ZipFile | None = None

    def __enter__(self) -> Package:
        self.zip = guard.open_zip(self.path)
        stamp = _stamp(self.zip)
        kept_stamp, kept_parts = self.kept or (None, {})
        parts = kept_parts if stamp is not None and stamp == kept_stamp else {}
        try:
            return Package(self.zip, stamp, parts)
        except (*_BAD_PARTS, OSError) as err:
            self.zip.close()
            raise WorkbookError(f"{self.path}: not a readable .xlsx workbook ({err})") from err

    def __exit__(self, *exc: object) -> None:
        if self.zip is not None:
            self.zip.close()


def _stamp(zf: zipfile.ZipFile) -> Stamp | None:
    """The opened file's time, size and inode, from its descriptor: not whatever file the
    path names by now."""
    fp = getattr(zf, "fp", None)
    if fp is None or not hasattr(fp, "fileno"):
        return None
    st = os.fstat(fp.fileno())
    return st.st_mtime_ns, st.st_size, st.st_ino


def _first_moved(path: Path, keys: Sequence[RowKey], grids: dict[str, Grid | None]) -> str | None:
    """The first key cell that no longer holds what was read (rows moved), as a sentence."""
    for key in keys:
        grid = grids.get(key.tab) or []
        row = grid[key.row - 1] if key.row <= len(grid) else []
        for col, expected in key.cells:
            now = row[col - 1] if col <= len(row) else None
            if _norm(now) != _norm(expected):
                return (
                    f"{path}: tab {key.tab!r} row {key.row} changed during the run "
                    f"(expected {expected!r}, found {now!r})"
                )
    return None


def _norm(value: Cell) -> Cell:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _changes(
    path: Path, pkg: Package, updates: Sequence[CellUpdate], owned: Sequence[OwnedTab]
) -> tuple[dict[str, bytes], frozenset[str]]:
    """The parts this write rewrites or adds, by zip entry name, and those it drops."""
    changed: dict[str, bytes] = {}
    replaced: list[str] = []
    styles_part = _styles_part(pkg)
    styles = StyleBook(pkg.read(styles_part) if styles_part in pkg.names else None)
    by_tab: dict[str, dict[tuple[int, int], Cell]] = {}
    for u in updates:
        by_tab.setdefault(u.tab, {})[(u.row, u.col)] = u.value
    dates = partial(_date_styles, styles)
    for tab, values in by_tab.items():
        sheet = pkg.find(tab)
        if sheet is None:
            raise WorkbookError(f"{path}: tab {tab!r} disappeared during the run")
        warn = partial(log.warning, "%s: tab %r: %s", path, sheet.name)
        try:
            changed[sheet.part] = edit(pkg.read(sheet.part), values, dates, warn, replaced)
        except (ValueError, SyntaxError) as err:
            raise WorkbookError(f"{path}: tab {sheet.name!r} cannot be written ({err})") from err
    for own in owned:
        sheet = pkg.find(own.name)
        part = sheet.part if sheet is not None else add_sheet(pkg, own.name, changed)
        if sheet is not None and sheet.name != own.name:
            rename_sheet(pkg, sheet.name, own.name, changed)
        changed[part] = sheet_xml(own, styles)
    if styles.changed:
        changed[styles_part] = styles.bytes()
    dropped = drop_calc_chain(pkg, changed) if replaced else None
    if replaced:
        log.warning(
            "%s: %d cell(s) the sync owns held a formula, replaced by its values (%s)",
            path,
            len(replaced),
            ", ".join(replaced[:5]),
        )
    return changed, frozenset([dropped] if dropped else [])


def _styles_part(pkg: Package) -> str:
    folder = pkg.workbook.rpartition("/")[0]
    return f"{folder}/styles.xml" if folder else "styles.xml"


def _date_styles(styles: StyleBook) -> Styles:
    return Styles(
        date=styles.xf(number_format=DATE) or 0, datetime=styles.xf(number_format=DATETIME) or 0
    )


def create_workbook(path: Path, owned: Sequence[OwnedTab]) -> None:
    """A new file holding only ``owned``: ``metrics-sync init`` where no workbook exists yet.

    Never over an existing file (``init`` does not overwrite), and only in a folder that
    exists, so a typo in ``[workbook] path`` is an error rather than a new tree of folders.
    openpyxl lays out the empty package (its parts and relationships); the owned tabs are
    then written by this backend as on every run.
    """
    import openpyxl

    if path.exists():
        raise WorkbookError(f"{path}: the file exists already; init does not overwrite it")
    if not path.parent.is_dir():
        raise WorkbookError(f"{path}: the folder {str(path.parent)!r} does not exist")
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = owned[0].name if owned else "Sheet1"
    book.save(path)
    XlsxWorkbook(path).write([], owned)
