"""``spreadsheets.batchUpdate``: the structural requests the sync (and its tests) use.

Requests apply in order to a copy of the spreadsheet, which replaces the original
only if every request succeeded: Google's batch is all-or-nothing, and a later
request may refer to a sheet an earlier one created (addSheet then its rules).
Replies mirror the requests, an empty object where Google gives no reply.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .model import (
    ApiError,
    Sheet,
    Spreadsheet,
    Stored,
    bad_request,
    grid_error,
    user_entered,
)

CELL_LIMIT = 10_000_000
Handler = Callable[[Spreadsheet, dict[str, Any], str], dict[str, Any]]


class Unsupported(Exception):
    """A request kind the emulator does not model: a violation, never a silent success."""


def apply(book: Spreadsheet, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    replies = []
    for i, request in enumerate(requests):
        ((kind, body),) = request.items()
        handler = HANDLERS.get(kind)
        if handler is None:
            raise Unsupported(f"spreadsheets.batchUpdate request {kind!r}")
        replies.append(handler(book, body or {}, f"Invalid requests[{i}].{kind}: "))
        cells = sum(s.row_count * s.column_count for s in book.sheets)
        if cells > CELL_LIMIT:
            raise bad_request(
                "This action would increase the number of cells in the workbook "
                f"above the limit of {CELL_LIMIT} cells."
            )
    return replies


def _sheet(book: Spreadsheet, sheet_id: Any, where: str) -> Sheet:
    sheet = book.by_id(int(sheet_id or 0))
    if sheet is None:
        raise bad_request(f"{where}No grid with id: {sheet_id or 0}")
    return sheet


def _reindex(book: Spreadsheet) -> None:
    for i, s in enumerate(sorted(book.sheets, key=lambda s: s.index)):
        s.index = i


def add_sheet(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    props = body.get("properties") or {}
    title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
    if any(s.title.casefold() == title.casefold() for s in book.sheets):
        raise bad_request(
            f'{where}A sheet with the name "{title}" already exists. Please enter another name.'
        )
    sheet_id = int(props.get("sheetId", max((s.sheet_id for s in book.sheets), default=0) + 1))
    if book.by_id(sheet_id) is not None or sheet_id < 0:
        raise bad_request(f"{where}Sheet with id {sheet_id} already exists.")
    grid = props.get("gridProperties") or {}
    index = int(props.get("index", len(book.sheets)))
    for s in book.sheets:
        if s.index >= index:
            s.index += 1
    sheet = Sheet(
        sheet_id,
        title,
        min(index, len(book.sheets)),
        row_count=int(grid.get("rowCount", 1000)),
        column_count=int(grid.get("columnCount", 26)),
        hidden=bool(props.get("hidden")),
    )
    book.sheets.append(sheet)
    _reindex(book)
    return {"addSheet": {"properties": sheet.properties()}}


def delete_sheet(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    sheet = _sheet(book, body.get("sheetId"), where)
    if len(book.sheets) == 1:
        raise bad_request(f"{where}You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    _reindex(book)
    return {}


def update_sheet_properties(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    props = body.get("properties") or {}
    fields = [f.strip() for f in (body.get("fields") or "").split(",") if f.strip()]
    if not fields:
        raise bad_request(f"{where}You must specify at least one field to update.")
    sheet = _sheet(book, props.get("sheetId"), where)
    grid = props.get("gridProperties") or {}
    setters: dict[str, Callable[[], None]] = {
        "title": lambda: setattr(sheet, "title", props.get("title", sheet.title)),
        "hidden": lambda: setattr(sheet, "hidden", bool(props.get("hidden"))),
        "index": lambda: setattr(sheet, "index", int(props.get("index", 0)) - 0.5),
        "gridProperties.rowCount": lambda: _resize(sheet, grid.get("rowCount"), None, where),
        "gridProperties.columnCount": lambda: _resize(sheet, None, grid.get("columnCount"), where),
    }
    if "*" in fields or "gridProperties" in fields:
        fields = [f for f in fields if f not in ("*", "gridProperties")] + [
            "gridProperties.rowCount",
            "gridProperties.columnCount",
        ]
    for name in fields:
        if name not in setters:
            raise Unsupported(f"updateSheetProperties field {name!r}")
        setters[name]()
    _reindex(book)
    return {}


def _resize(sheet: Sheet, rows: Any, cols: Any, where: str) -> None:
    if rows is not None:
        if int(rows) < 1:
            raise bad_request(f"{where}Invalid rowCount: {rows}")
        sheet.row_count = int(rows)
    if cols is not None:
        if int(cols) < 1:
            raise bad_request(f"{where}Invalid columnCount: {cols}")
        sheet.column_count = int(cols)
    for r, c in [k for k in sheet.cells if k[0] >= sheet.row_count or k[1] >= sheet.column_count]:
        del sheet.cells[(r, c)]


def append_dimension(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    sheet = _sheet(book, body.get("sheetId"), where)
    length = int(body.get("length", 0))
    if length < 1:
        raise bad_request(f"{where}length must be at least 1")
    if body.get("dimension") == "COLUMNS":
        sheet.column_count += length
    elif body.get("dimension") == "ROWS":
        sheet.row_count += length
    else:
        raise bad_request(f"{where}dimension must be ROWS or COLUMNS")
    return {}


def insert_dimension(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, axis, start, end = _dimension(book, body.get("range") or {}, where)
    count = end - start
    moved = {}
    for (r, c), cell in sheet.cells.items():
        pos = (r, c)[axis]
        shifted = pos + count if pos >= start else pos
        moved[(shifted, c) if axis == 0 else (r, shifted)] = cell
    sheet.cells = moved
    if axis == 0:
        sheet.row_count += count
    else:
        sheet.column_count += count
    return {}


def delete_dimension(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, axis, start, end = _dimension(book, body.get("range") or {}, where)
    count = end - start
    moved = {}
    for (r, c), cell in sheet.cells.items():
        pos = (r, c)[axis]
        if start <= pos < end:
            continue
        shifted = pos - count if pos >= end else pos
        moved[(shifted, c) if axis == 0 else (r, shifted)] = cell
    sheet.cells = moved
    if axis == 0:
        sheet.row_count -= count
    else:
        sheet.column_count -= count
    return {}


def _dimension(book: Spreadsheet, rng: dict[str, Any], where: str) -> tuple[Sheet, int, int, int]:
    sheet = _sheet(book, rng.get("sheetId"), where)
    axis = 0 if rng.get("dimension") == "ROWS" else 1
    limit = sheet.row_count if axis == 0 else sheet.column_count
    start, end = int(rng.get("startIndex", 0)), int(rng.get("endIndex", limit))
    if not 0 <= start < end or start > limit:
        raise bad_request(f"{where}Invalid dimension range {start}..{end}")
    return sheet, axis, start, end


def add_conditional_format_rule(
    book: Spreadsheet, body: dict[str, Any], where: str
) -> dict[str, Any]:
    rule = body.get("rule") or {}
    ranges = rule.get("ranges") or []
    if not ranges:
        raise bad_request(f"{where}The rule must have at least one range.")
    sheets = {_sheet(book, r.get("sheetId"), where).sheet_id for r in ranges}
    if len(sheets) != 1:
        raise bad_request(f"{where}All ranges must be on the same sheet.")
    if ("booleanRule" in rule) == ("gradientRule" in rule):
        raise bad_request(f"{where}A rule needs exactly one of booleanRule or gradientRule.")
    sheet = _sheet(book, sheets.pop(), where)
    index = int(body.get("index", 0))
    if not 0 <= index <= len(sheet.conditional_formats):
        raise bad_request(f"{where}Invalid index {index}")
    sheet.conditional_formats.insert(index, copy.deepcopy(rule))
    return {}


def delete_conditional_format_rule(
    book: Spreadsheet, body: dict[str, Any], where: str
) -> dict[str, Any]:
    sheet = _sheet(book, body.get("sheetId"), where)
    index = int(body.get("index", 0))
    if not 0 <= index < len(sheet.conditional_formats):
        raise bad_request(f"{where}No conditional format at index {index} of {sheet.sheet_id}")
    return {"deleteConditionalFormatRule": {"rule": sheet.conditional_formats.pop(index)}}


def repeat_cell(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    rng = body.get("range") or {}
    sheet = _sheet(book, rng.get("sheetId"), where)
    fields = body.get("fields") or ""
    if not fields:
        raise bad_request(f"{where}You must specify at least one field to update.")
    sheet.formats.append(copy.deepcopy(body))
    value = (body.get("cell") or {}).get("userEnteredValue")
    if "userEnteredValue" in fields and value is not None:
        box = _grid_box(sheet, rng)
        for r in range(box[0], box[1]):
            for c in range(box[2], box[3]):
                _put_extended(sheet, r, c, value)
    return {}


def update_cells(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    start = body.get("start") or body.get("range") or {}
    sheet = _sheet(book, start.get("sheetId"), where)
    r0, c0 = (
        int(start.get("rowIndex", start.get("startRowIndex", 0))),
        int(start.get("columnIndex", start.get("startColumnIndex", 0))),
    )
    if "userEnteredValue" not in (body.get("fields") or ""):
        raise Unsupported("updateCells without userEnteredValue in fields")
    for i, row in enumerate(body.get("rows") or []):
        for j, cell in enumerate(row.get("values") or []):
            if r0 + i >= sheet.row_count or c0 + j >= sheet.column_count:
                err = grid_error(sheet, r0, c0, r0 + i + 1, c0 + j + 1)
                raise bad_request(f"{where}{err.message}")
            _put_extended(sheet, r0 + i, c0 + j, (cell or {}).get("userEnteredValue"))
    return {}


def _grid_box(sheet: Sheet, rng: dict[str, Any]) -> tuple[int, int, int, int]:
    return (
        int(rng.get("startRowIndex", 0)),
        int(rng.get("endRowIndex", sheet.row_count)),
        int(rng.get("startColumnIndex", 0)),
        int(rng.get("endColumnIndex", sheet.column_count)),
    )


def _put_extended(sheet: Sheet, r: int, c: int, value: dict[str, Any] | None) -> None:
    """An ExtendedValue: exactly what was sent, a formula only if ``formulaValue`` says so."""
    if not value:
        sheet.cells.pop((r, c), None)
        return
    if "formulaValue" in value:
        stored: Stored | None = user_entered(str(value["formulaValue"]))
    elif "stringValue" in value:
        stored = Stored(str(value["stringValue"])) if value["stringValue"] != "" else None
    elif "numberValue" in value:
        stored = Stored(float(value["numberValue"]))
    elif "boolValue" in value:
        stored = Stored(bool(value["boolValue"]))
    else:
        raise Unsupported(f"ExtendedValue {sorted(value)}")
    if stored is None:
        sheet.cells.pop((r, c), None)
    else:
        sheet.cells[(r, c)] = stored


HANDLERS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "appendDimension": append_dimension,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "addConditionalFormatRule": add_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "repeatCell": repeat_cell,
    "updateCells": update_cells,
}

__all__ = ["HANDLERS", "ApiError", "Unsupported", "apply"]
