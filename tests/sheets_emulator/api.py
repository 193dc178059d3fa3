"""The Sheets v4 methods the emulator serves, as plain functions over the model.

Each takes the spreadsheet, the query parameters (lists, as repeated parameters
arrive) and the decoded JSON body, and returns the response body plus, for a
write, the updated copy of the spreadsheet that replaces the original. Writes work
on a copy so that a request failing half-way changes nothing, as with Google.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import structure
from .a1 import RangeError, parse
from .discovery import parse_mask
from .model import (
    ApiError,
    Box,
    Spreadsheet,
    bad_request,
    clear_box,
    grid_data,
    read_box,
    read_values,
    whole,
    write_values,
)

Params = Mapping[str, list[str]]
Result = tuple[dict[str, Any], Spreadsheet | None]


class ClientBug(ApiError):
    """A 400 that only a wrong client provokes: recorded as a violation as well."""

    def __init__(self, message: str) -> None:
        super().__init__(400, "INVALID_ARGUMENT", message)


def _one(params: Params, name: str, default: str) -> str:
    return params.get(name, [default])[0]


def _parse(text: str) -> Any:
    try:
        return parse(text)
    except RangeError:
        raise bad_request(f"Unable to parse range: {text}") from None


def _box(book: Spreadsheet, text: str) -> Box:
    return read_box(book, _parse(text), text)


def _value_range(box: Box, params: Params) -> dict[str, Any]:
    major = _one(params, "majorDimension", "ROWS")
    major = "ROWS" if major == "DIMENSION_UNSPECIFIED" else major
    values = read_values(
        box,
        _one(params, "valueRenderOption", "FORMATTED_VALUE"),
        _one(params, "dateTimeRenderOption", "SERIAL_NUMBER"),
        major,
    )
    out: dict[str, Any] = {"range": box.a1(), "majorDimension": major}
    if values:
        out["values"] = values
    return out


def spreadsheets_get(book: Spreadsheet, params: Params, body: Any, rng: str | None) -> Result:
    """With ``ranges``, only the sheets they touch come back (and only their cells, as grid
    data, when the field mask asks for ``sheets.data`` or, without a mask, includeGridData)."""
    boxes = [_box(book, text) for text in params.get("ranges", [])]
    resource = book.resource()
    if boxes:
        touched = {b.sheet.sheet_id for b in boxes}
        resource["sheets"] = [
            s for s in resource["sheets"] if s["properties"]["sheetId"] in touched
        ]
    if _wants_grid_data(params):
        for entry in resource["sheets"]:
            sheet = book.by_id(entry["properties"]["sheetId"])
            assert sheet is not None
            mine = [b for b in boxes if b.sheet is sheet] or ([] if boxes else [whole(sheet)])
            entry["data"] = [grid_data(b, _cell_fields(params)) for b in mine]
    return resource, None


def _cell_fields(params: Params) -> frozenset[str] | None:
    """The CellData fields a single field mask selects (None: all of them)."""
    masks = [parse_mask(m) for m in params.get("fields", [])]
    node: Any = masks[0] if len(masks) == 1 else None
    for name in ("sheets", "data", "rowData", "values"):
        node = node.get(name) if isinstance(node, dict) and "*" not in node else None
    return frozenset(node) if isinstance(node, dict) and "*" not in node else None


def _wants_grid_data(params: Params) -> bool:
    masks = [parse_mask(m) for m in params.get("fields", [])]
    if not masks:
        return _one(params, "includeGridData", "false") == "true"
    for mask in masks:
        sheets = mask.get("sheets", {})
        if "*" in mask or sheets is None or "data" in sheets or "*" in sheets:
            return True
    return False


def values_get(book: Spreadsheet, params: Params, body: Any, rng: str | None) -> Result:
    assert rng is not None
    return _value_range(_box(book, rng), params), None


def values_batch_get(book: Spreadsheet, params: Params, body: Any, rng: str | None) -> Result:
    boxes = [_box(book, text) for text in params.get("ranges", [])]
    out: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
    if boxes:
        out["valueRanges"] = [_value_range(b, params) for b in boxes]
    return out, None


def _input_option(value: str | None) -> str:
    if value not in ("RAW", "USER_ENTERED"):
        raise ClientBug(f"Invalid valueInputOption: {value or 'INPUT_VALUE_OPTION_UNSPECIFIED'}")
    return value


def _write(copy: Spreadsheet, value_range: Mapping[str, Any], option: str) -> dict[str, Any]:
    text = value_range.get("range")
    if not text:
        raise ClientBug("Invalid data[]: range is required")
    box = write_values(
        copy,
        _parse(text),
        text,
        value_range.get("values") or [],
        input_option=option,
        major=value_range.get("majorDimension") or "ROWS",
    )
    rows, cols = box.row1 - box.row0, box.col1 - box.col0
    out: dict[str, Any] = {"spreadsheetId": copy.spreadsheet_id, "updatedRange": box.a1()}
    if rows * cols:
        out.update(updatedRows=rows, updatedColumns=cols, updatedCells=rows * cols)
    return out


def _item(index: int, write: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One ``data`` item written; Google names the item an error comes from."""
    try:
        return write()
    except ClientBug:
        raise
    except ApiError as err:
        raise ApiError(err.code, err.status, f"Invalid data[{index}]: {err.message}") from err


def values_update(book: Spreadsheet, params: Params, body: Any, rng: str | None) -> Result:
    assert rng is not None
    option = _input_option(params.get("valueInputOption", [None])[0])
    body = body or {}
    if body.get("range") and _parse(body["range"]) != _parse(rng):
        raise ClientBug(f"Requested range [{rng}] and body range [{body['range']}] do not match")
    copy = book.clone()
    return _write(copy, {**body, "range": rng}, option), copy


def values_batch_update(book: Spreadsheet, params: Params, body: Any, rng: str | None) -> Result:
    body = body or {}
    option = _input_option(body.get("valueInputOption"))
    copy = book.clone()
    responses = [
        _item(i, lambda vr=vr: _write(copy, vr, option))
        for i, vr in enumerate(body.get("data") or [])
    ]
    out: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
    if responses:
        out["responses"] = responses
        updated = [r for r in responses if "updatedCells" in r]
        out.update(
            totalUpdatedRows=sum(r["updatedRows"] for r in updated),
            totalUpdatedColumns=sum(r["updatedColumns"] for r in updated),
            totalUpdatedCells=sum(r["updatedCells"] for r in updated),
            totalUpdatedSheets=len({r["updatedRange"].rpartition("!")[0] for r in updated}),
        )
    return out, copy


def values_batch_clear(book: Spreadsheet, params: Params, body: Any, rng: str | None) -> Result:
    copy = book.clone()
    boxes = [_box(copy, text) for text in (body or {}).get("ranges") or []]
    for box in boxes:
        clear_box(box)
    return {"spreadsheetId": book.spreadsheet_id, "clearedRanges": [b.a1() for b in boxes]}, copy


def values_clear(book: Spreadsheet, params: Params, body: Any, rng: str | None) -> Result:
    assert rng is not None
    copy = book.clone()
    box = _box(copy, rng)
    clear_box(box)
    return {"spreadsheetId": book.spreadsheet_id, "clearedRange": box.a1()}, copy


def batch_update(book: Spreadsheet, params: Params, body: Any, rng: str | None) -> Result:
    body = body or {}
    copy = book.clone()
    replies = structure.apply(copy, body.get("requests") or [])
    out: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        out["updatedSpreadsheet"] = copy.resource()
    return out, copy


Method = Callable[[Spreadsheet, Params, Any, "str | None"], Result]
METHODS: dict[str, Method] = {
    "sheets.spreadsheets.get": spreadsheets_get,
    "sheets.spreadsheets.batchUpdate": batch_update,
    "sheets.spreadsheets.values.get": values_get,
    "sheets.spreadsheets.values.update": values_update,
    "sheets.spreadsheets.values.batchGet": values_batch_get,
    "sheets.spreadsheets.values.batchUpdate": values_batch_update,
    "sheets.spreadsheets.values.batchClear": values_batch_clear,
    "sheets.spreadsheets.values.clear": values_clear,
}
