"""Spreadsheets held in memory, with Google's rules for cell values.

What is faithful here, and why it matters to the code under test:
- values are typed (text, number, boolean); dates are numbers (days since
  1899-12-30) carrying a date format, so ``SERIAL_NUMBER`` reads give numbers;
- a ``USER_ENTERED`` string starting with ``=`` becomes a formula (kept as a
  :class:`Formula`, so a test can prove nothing was injected); ``RAW`` stores text;
- in written values ``null`` skips a cell and ``""`` empties it;
- reads drop trailing empty cells and rows, and omit ``values`` when nothing is left;
- the grid has a size: reads and writes beyond it fail as Google's do
  ("Range (...) exceeds grid limits"), so a backend must grow the sheet first.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .a1 import A1, col_letters, format_range, quote_sheet

EPOCH = dt.datetime(1899, 12, 30)
MAX_CELL_CHARS = 50_000
Scalar = str | int | float | bool


class ApiError(Exception):
    """An error Google would answer with: HTTP status, status word and message."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def bad_request(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


@dataclass(frozen=True)
class Formula:
    """A live formula, as ``USER_ENTERED`` makes of ``=...`` text; ``result`` is what reads show."""

    text: str
    result: Scalar = "#N/A"


@dataclass(frozen=True)
class Stored:
    value: Scalar
    kind: str = ""  # "", "date", "datetime", "percent"
    formula: str | None = None


@dataclass
class Sheet:
    sheet_id: int
    title: str
    index: int
    row_count: int = 1000
    column_count: int = 26
    cells: dict[tuple[int, int], Stored] = field(default_factory=dict)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    formats: list[dict[str, Any]] = field(default_factory=list)  # repeatCell requests, kept as sent
    hidden: bool = False

    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": self.row_count, "columnCount": self.column_count},
        }
        if self.hidden:
            props["hidden"] = True
        return props

    def extent(self) -> tuple[int, int]:
        """Rows and columns actually holding values."""
        if not self.cells:
            return 0, 0
        return (max(r for r, _ in self.cells) + 1, max(c for _, c in self.cells) + 1)


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    denied: str = ""  # why every request is refused with 403 (server.DENIALS), if it is
    office: bool = False  # an .xlsx stored in Drive: the Sheets API serves none of it

    def find(self, title: str) -> Sheet | None:
        """By title; as in Sheets formulas, case does not matter (titles are unique ignoring it)."""
        exact = next((s for s in self.sheets if s.title == title), None)
        return exact or next(
            (s for s in self.sheets if s.title.casefold() == title.casefold()), None
        )

    def by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def resolve(self, a1: A1, text: str) -> Sheet:
        sheet = (
            self.sheets[0]
            if a1.sheet is None and self.sheets
            else (self.find(a1.sheet) if a1.sheet is not None else None)
        )
        if sheet is None:
            raise bad_request(f"Unable to parse range: {text}")
        return sheet

    def clone(self) -> Spreadsheet:
        """A copy to apply a batch to (cells are immutable, so their dicts are copied shallowly)."""
        sheets = [
            dataclasses.replace(
                s,
                cells=dict(s.cells),
                formats=list(s.formats),
                conditional_formats=copy.deepcopy(s.conditional_formats),
            )
            for s in self.sheets
        ]
        return dataclasses.replace(self, sheets=sheets)

    def resource(self) -> dict[str, Any]:
        sheets = []
        for s in sorted(self.sheets, key=lambda s: s.index):
            entry: dict[str, Any] = {"properties": s.properties()}
            if s.conditional_formats:
                entry["conditionalFormats"] = copy.deepcopy(s.conditional_formats)
            sheets.append(entry)
        return {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {
                "title": self.title,
                "locale": self.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": self.time_zone,
            },
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit",
        }


# -- boxes ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    """A closed range on one sheet: 0-based, end exclusive."""

    sheet: Sheet
    row0: int
    col0: int
    row1: int
    col1: int

    def a1(self) -> str:
        if self.row1 <= self.row0 or self.col1 <= self.col0:
            return quote_sheet(self.sheet.title)
        return format_range(self.sheet.title, self.row0, self.col0, self.row1, self.col1)


def grid_error(sheet: Sheet, row0: int, col0: int, row1: int, col1: int) -> ApiError:
    return bad_request(
        f"Range ({format_range(sheet.title, row0, col0, row1, col1)}) exceeds grid limits. "
        f"Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
    )


def read_box(book: Spreadsheet, a1: A1, text: str) -> Box:
    """The box a read covers: open ends stop at the grid; explicit ends past it are an error."""
    sheet = book.resolve(a1, text)
    row1 = sheet.row_count if a1.row1 is None else a1.row1
    col1 = sheet.column_count if a1.col1 is None else a1.col1
    if row1 > sheet.row_count or col1 > sheet.column_count:
        raise grid_error(sheet, a1.row0, a1.col0, row1, col1)
    return Box(sheet, a1.row0, a1.col0, row1, col1)


def whole(sheet: Sheet) -> Box:
    return Box(sheet, 0, 0, sheet.row_count, sheet.column_count)


# -- reading ----------------------------------------------------------------------------------
ERROR_TYPES = {
    "#NULL!": "NULL_VALUE",
    "#DIV/0!": "DIVIDE_BY_ZERO",
    "#VALUE!": "VALUE",
    "#REF!": "REF",
    "#NAME?": "NAME",
    "#NUM!": "NUM",
    "#N/A": "N_A",
    "#ERROR!": "ERROR",
    "Loading...": "LOADING",
}


def extended(value: Scalar) -> dict[str, Any]:
    """An ExtendedValue, the typed cell of ``spreadsheets.get`` grid data."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": json_number(value)}
    return {"stringValue": value}


def cell_data(cell: Stored, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """CellData; only ``fields`` of it when the field mask names them (for speed)."""
    if fields is not None and fields <= {"effectiveValue"}:
        return {"effectiveValue": _effective(cell)} if fields else {}
    effective = _effective(cell)
    entered = {"formulaValue": cell.formula} if cell.formula is not None else extended(cell.value)
    return {
        "userEnteredValue": entered,
        "effectiveValue": effective,
        "formattedValue": formatted(cell),
    }


def _effective(cell: Stored) -> dict[str, Any]:
    effective = extended(cell.value)
    if cell.formula is not None and isinstance(cell.value, str) and cell.value in ERROR_TYPES:
        effective = {
            "errorValue": {"type": ERROR_TYPES[cell.value], "message": "Emulated formula error"}
        }
    return effective


def grid_data(box: Box, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """GridData of a box: rows up to the last one holding a value, ``{}`` for empty cells."""
    by_row: dict[int, dict[int, Stored]] = {}
    for (r, c), cell in box.sheet.cells.items():
        if box.row0 <= r < box.row1 and box.col0 <= c < box.col1:
            by_row.setdefault(r - box.row0, {})[c - box.col0] = cell
    rows: list[dict[str, Any]] = [{} for _ in range(max(by_row, default=-1) + 1)]
    for r, row in by_row.items():
        rows[r] = {
            "values": [cell_data(row[c], fields) if c in row else {} for c in range(max(row) + 1)]
        }
    out: dict[str, Any] = {"rowData": rows} if rows else {}
    if box.row0:
        out["startRow"] = box.row0
    if box.col0:
        out["startColumn"] = box.col0
    return out


def render(cell: Stored, value_option: str, date_option: str) -> Scalar:
    if value_option == "FORMULA" and cell.formula is not None:
        return cell.formula
    if value_option == "FORMATTED_VALUE":
        return formatted(cell)
    if cell.kind in ("date", "datetime") and date_option == "FORMATTED_STRING":
        return formatted(cell)
    return json_number(cell.value)


def json_number(value: Scalar) -> Scalar:
    """Google sends whole numbers without a fraction (``5``, not ``5.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def formatted(cell: Stored) -> str:
    value = cell.value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    if cell.kind in ("date", "datetime"):
        when = EPOCH + dt.timedelta(days=float(value))
        day = f"{when.month}/{when.day}/{when.year}"
        clock = f"{when.hour}:{when.minute:02}:{when.second:02}"
        return day if cell.kind == "date" else f"{day} {clock}"
    if cell.kind == "percent":
        return f"{float(value) * 100:g}%"
    return str(json_number(value)) if float(value).is_integer() else f"{float(value):.10g}"


def read_values(box: Box, value_option: str, date_option: str, major: str) -> list[list[Scalar]]:
    """Ragged rows: trailing empty cells and rows dropped, inner gaps as ``""``."""
    found = {
        (r - box.row0, c - box.col0): render(cell, value_option, date_option)
        for (r, c), cell in box.sheet.cells.items()
        if box.row0 <= r < box.row1 and box.col0 <= c < box.col1
    }
    if major == "COLUMNS":
        found = {(c, r): v for (r, c), v in found.items()}
    if not found:
        return []
    rows: list[list[Scalar]] = [[] for _ in range(max(r for r, _ in found) + 1)]
    width: dict[int, int] = {}
    for r, c in found:
        width[r] = max(width.get(r, 0), c + 1)
    for r, w in width.items():
        rows[r] = [""] * w
    for (r, c), v in found.items():
        rows[r][c] = v
    return rows


# -- writing ----------------------------------------------------------------------------------
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def serial(value: dt.date | dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        naive = value.replace(tzinfo=None)
        return (naive - EPOCH).total_seconds() / 86400
    return float((value - EPOCH.date()).days)


def from_python(value: object) -> Stored | None:
    """A Python cell as a test author writes it -> what Sheets would store (None: empty)."""
    if value is None or value == "":
        return None
    if isinstance(value, Formula):
        return Stored(value.result, formula=value.text)
    if isinstance(value, dt.datetime):
        return Stored(serial(value), "datetime")
    if isinstance(value, dt.date):
        return Stored(serial(value), "date")
    if isinstance(value, bool | str):
        return Stored(value)
    if isinstance(value, int | float):
        return Stored(float(value))
    raise TypeError(f"cannot store {value!r} in a cell")


def user_entered(text: str) -> Stored | None:  # noqa: PLR0911 - one return per kind of text
    """Parse typed text as Sheets does for ``USER_ENTERED`` (the subset that matters here)."""
    stripped = text.strip()
    if text.startswith("="):
        return Stored("#N/A", formula=text)
    if text.startswith("'"):
        return Stored(text[1:]) if text[1:] else None
    if stripped.upper() in ("TRUE", "FALSE"):
        return Stored(stripped.upper() == "TRUE")
    if stripped.endswith("%") and _NUMBER.match(stripped[:-1].strip()) and stripped[:-1].strip():
        return Stored(float(stripped[:-1].replace(",", "")) / 100, "percent")
    if stripped and any(ch.isdigit() for ch in stripped) and _NUMBER.match(stripped):
        return Stored(float(stripped.replace(",", "")))
    if m := _ISO_DATE.match(stripped):
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)), text)
    if m := _US_DATE.match(stripped):
        return _date(int(m.group(3)), int(m.group(1)), int(m.group(2)), text)
    return Stored(text)


def _date(year: int, month: int, day: int, text: str) -> Stored:
    try:
        return Stored(serial(dt.date(year, month, day)), "date")
    except ValueError:
        return Stored(text)


def to_stored(value: Any, input_option: str, where: str) -> Stored | None:
    """A JSON cell from a request -> stored cell. Raises for the types Google refuses."""
    if isinstance(value, bool):
        return Stored(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise bad_request(f"Invalid value at '{where}': {value}")
        return Stored(float(value))
    if isinstance(value, str):
        if value == "":
            return None
        if len(value) > MAX_CELL_CHARS:
            raise bad_request(
                "Your input contains more than the maximum of 50000 characters in a single cell."
            )
        return user_entered(value) if input_option == "USER_ENTERED" else Stored(value)
    raise bad_request(f"Invalid values{where}: {type(value).__name__}_value is not supported")


def write_values(
    book: Spreadsheet,
    a1: A1,
    text: str,
    values: Sequence[Sequence[Any]],
    *,
    input_option: str,
    major: str,
) -> Box:
    """Write one ValueRange; returns the box written (for updatedRange)."""
    sheet = book.resolve(a1, text)
    cells = [list(r) for r in values] if major != "COLUMNS" else _transpose(values)
    height = len(cells)
    width = max((len(r) for r in cells), default=0)
    _check_fits(sheet, a1, text, height, width)
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            if value is None:
                continue  # null: leave the cell as it is
            stored = to_stored(value, input_option, f"[{i}][{j}]")
            key = (a1.row0 + i, a1.col0 + j)
            if stored is None:
                sheet.cells.pop(key, None)
            else:
                sheet.cells[key] = stored
    return Box(sheet, a1.row0, a1.col0, a1.row0 + height, a1.col0 + width)


def _transpose(values: Sequence[Sequence[Any]]) -> list[list[Any]]:
    width = max((len(c) for c in values), default=0)
    return [[col[i] if i < len(col) else None for col in values] for i in range(width)]


def _check_fits(sheet: Sheet, a1: A1, text: str, height: int, width: int) -> None:
    if not a1.single:
        row1 = sheet.row_count if a1.row1 is None else a1.row1
        col1 = sheet.column_count if a1.col1 is None else a1.col1
        if a1.row0 + height > row1:
            raise bad_request(
                f"Requested writing within range [{text}], but tried writing to "
                f"row [{a1.row0 + height}]"
            )
        if a1.col0 + width > col1:
            raise bad_request(
                f"Requested writing within range [{text}], but tried writing to "
                f"column [{col_letters(a1.col0 + width - 1)}]"
            )
        if row1 > sheet.row_count or col1 > sheet.column_count:
            raise grid_error(sheet, a1.row0, a1.col0, row1, col1)
    if a1.row0 + max(height, 1) > sheet.row_count or a1.col0 + max(width, 1) > sheet.column_count:
        raise grid_error(sheet, a1.row0, a1.col0, a1.row0 + max(height, 1), a1.col0 + max(width, 1))


def clear_box(box: Box) -> None:
    for key in [
        k for k in box.sheet.cells if box.row0 <= k[0] < box.row1 and box.col0 <= k[1] < box.col1
    ]:
        del box.sheet.cells[key]


# -- building spreadsheets from Python ------------------------------------------------------
def build(
    spreadsheet_id: str,
    title: str,
    tabs: Mapping[str, Sequence[Sequence[object]]],
    *,
    rows: int | None,
    cols: int | None,
    first_id: int,
) -> Spreadsheet:
    book = Spreadsheet(spreadsheet_id, title)
    for index, (name, grid) in enumerate(tabs.items()):
        width = max((len(r) for r in grid), default=0)
        sheet = Sheet(
            first_id + index,
            name,
            index,
            row_count=rows or max(1000, len(grid)),
            column_count=cols or max(26, width),
        )
        put_python(sheet, 0, 0, grid)
        book.sheets.append(sheet)
    return book


def put_python(sheet: Sheet, row0: int, col0: int, grid: Iterable[Sequence[object]]) -> None:
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            stored = from_python(value)
            if stored is None:
                sheet.cells.pop((row0 + i, col0 + j), None)
            else:
                sheet.cells[(row0 + i, col0 + j)] = stored


def python_grid(sheet: Sheet) -> list[list[object]]:
    """The stored grid as a test reads it: values, ``Formula`` for formulas, ragged like Google."""
    rows, _ = sheet.extent()
    out: list[list[object]] = [[] for _ in range(rows)]
    for (r, c), cell in sorted(sheet.cells.items()):
        row = out[r]
        row.extend([None] * (c + 1 - len(row)))
        row[c] = (
            Formula(cell.formula, cell.value)
            if cell.formula is not None
            else json_number(cell.value)
        )
    return out
