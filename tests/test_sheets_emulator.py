"""The Sheets API emulator behaves like Google where the sync depends on it.

Raw HTTP (``requests``) for protocol details, and gspread's own high-level calls to
show the emulator serves what the real client sends. The ``sheets_emulator`` fixture
fails a test that leaves a violation behind; tests that provoke one take it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sheets_emulator import Fault, Formula, SheetsEmulator
from sheets_emulator.a1 import A1, RangeError, parse

from sync.backends.google import open_google
from sync.config import WorkbookConfig


class Api:
    """Raw calls to the emulator, as paths below /v4/spreadsheets/<key>."""

    def __init__(self, emulator: SheetsEmulator, key: str) -> None:
        self.base = f"{emulator.url}/v4/spreadsheets/{key}"
        self.session = requests.Session()
        self.session.trust_env = False

    def get(self, path: str = "", **params: Any) -> requests.Response:
        return self.session.get(self.base + path, params=params, timeout=5)

    def post(self, path: str, body: Any, **params: Any) -> requests.Response:
        return self.session.post(self.base + path, json=body, params=params, timeout=5)


@pytest.fixture
def book(sheets_emulator: SheetsEmulator) -> str:
    return sheets_emulator.create(
        {
            "KPIs": [
                ["KPI", "Value", "Due"],
                ["Uptime", 99.5, dt.date(2026, 11, 2)],
                [],
                ["Latency", 120, None, None],
            ],
            "KPI log": [["Date", "KPI", "Value"]],
            "Bob's tab": [["x"]],
        }
    )


@pytest.fixture
def api(sheets_emulator: SheetsEmulator, book: str) -> Iterator[Api]:
    client = Api(sheets_emulator, book)
    yield client
    client.session.close()


def _values(api: Api, *ranges: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/values:batchGet", ranges=list(ranges), **params)
    assert response.status_code == 200, response.text
    value_ranges: list[dict[str, Any]] = response.json()["valueRanges"]
    return value_ranges


# -- A1 notation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KPIs", A1("KPIs")),
        ("'KPI log'", A1("KPI log")),
        ("'Bob''s tab'!A1:B2", A1("Bob's tab", 0, 0, 2, 2)),
        ("'KPI log'!A1:Z", A1("KPI log", 0, 0, None, 26)),
        ("KPIs!A:C", A1("KPIs", 0, 0, None, 3)),
        ("KPIs!B3", A1("KPIs", 2, 1, 3, 2, single=True)),
        ("A2:B", A1(None, 1, 0, None, 2)),
        ("KPIs!2:3", A1("KPIs", 1, 0, 3, None)),
        ("KPIs!B2:A1", A1("KPIs", 0, 0, 2, 2)),
    ],
)
def test_a1_ranges_parse_like_google_including_quoted_names(text: str, expected: A1) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["", "'unterminated", "''", "KPIs!", "KPIs!A", "KPIs!AAAA1"])
def test_text_that_is_not_a1_notation_is_refused(text: str) -> None:
    with pytest.raises(RangeError):
        parse(text)


# -- reading -----------------------------------------------------------------------------
def test_values_come_back_ragged_with_trailing_empties_dropped(api: Api) -> None:
    (kpis,) = _values(api, "KPIs", valueRenderOption="UNFORMATTED_VALUE")
    assert kpis["range"] == "KPIs!A1:Z1000"
    assert kpis["values"] == [
        ["KPI", "Value", "Due"],
        ["Uptime", 99.5, 46328],
        [],
        ["Latency", 120],
    ]


def test_an_empty_range_has_no_values_key(api: Api) -> None:
    (empty,) = _values(api, "'KPI log'!A5:C")
    assert empty == {"range": "'KPI log'!A5:C1000", "majorDimension": "ROWS"}


def test_dates_are_serial_numbers_unless_formatted_strings_are_asked_for(api: Api) -> None:
    (serial,) = _values(api, "KPIs!C2", valueRenderOption="UNFORMATTED_VALUE")
    (text,) = _values(
        api,
        "KPIs!C2",
        valueRenderOption="UNFORMATTED_VALUE",
        dateTimeRenderOption="FORMATTED_STRING",
    )
    (formatted,) = _values(api, "KPIs!B2:C2")
    assert serial["values"] == [[46328]]
    assert text["values"] == [["11/2/2026"]]
    assert formatted["values"] == [["99.5", "11/2/2026"]]


def test_columns_major_dimension_transposes(api: Api) -> None:
    (cols,) = _values(api, "KPIs!A1:B2", majorDimension="COLUMNS")
    assert cols["values"] == [["KPI", "Uptime"], ["Value", "99.5"]]


def test_a_missing_tab_cannot_be_parsed_and_fails_the_whole_batch(api: Api) -> None:
    response = api.get("/values:batchGet", ranges=["KPIs", "'Nope'"])
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": 400,
            "message": "Unable to parse range: 'Nope'",
            "status": "INVALID_ARGUMENT",
        }
    }


def test_an_unknown_spreadsheet_is_not_found_and_an_unshared_one_is_denied(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    other = Api(sheets_emulator, "nosuchkey")
    assert other.get().json()["error"]["status"] == "NOT_FOUND"
    other.session.close()
    sheets_emulator.deny(book)
    denied = api.get()
    assert (denied.status_code, denied.json()["error"]["status"]) == (403, "PERMISSION_DENIED")


def test_a_field_mask_trims_the_metadata(api: Api) -> None:
    meta = api.get(fields="properties.title,sheets.properties(title,gridProperties)").json()
    assert meta["properties"] == {"title": "Team metrics"}
    assert meta["sheets"][1] == {
        "properties": {"title": "KPI log", "gridProperties": {"rowCount": 1000, "columnCount": 26}}
    }


# -- writing -----------------------------------------------------------------------------
def _update(api: Api, option: str, *data: dict[str, Any]) -> requests.Response:
    return api.post("/values:batchUpdate", {"valueInputOption": option, "data": list(data)})


def test_user_entered_formulas_become_formulas_but_raw_text_stays_text(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    assert _update(api, "RAW", {"range": "KPIs!D2", "values": [["=1+1", "+1", "@x"]]}).ok
    assert sheets_emulator.formulas(book) == []
    assert _update(api, "USER_ENTERED", {"range": "KPIs!D4", "values": [["=IMPORTXML(1)"]]}).ok
    assert sheets_emulator.formulas(book) == [("KPIs", "D4", "=IMPORTXML(1)")]
    assert sheets_emulator.grid(book, "KPIs")[3][3] == Formula("=IMPORTXML(1)")


def test_null_leaves_a_cell_and_an_empty_string_clears_it(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    assert _update(api, "RAW", {"range": "KPIs!A2:C2", "values": [[None, "", "kept?"]]}).ok
    assert sheets_emulator.grid(book, "KPIs")[1] == ["Uptime", None, "kept?"]


def test_writing_past_the_grid_is_refused_until_the_grid_grows(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    refused = _update(api, "RAW", {"range": "KPIs!AA1", "values": [["Status"]]})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "Invalid data[0]: Range (KPIs!AA1) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    sheet_id = sheets_emulator.sheet(book, "KPIs").sheet_id
    grow = {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"columnCount": 27}},
            "fields": "gridProperties.columnCount",
        }
    }
    assert api.post(":batchUpdate", {"requests": [grow]}).ok
    assert _update(api, "RAW", {"range": "KPIs!AA1", "values": [["Status"]]}).ok


def test_values_beyond_the_range_written_are_refused(api: Api) -> None:
    refused = _update(api, "RAW", {"range": "KPIs!A1:B1", "values": [["a", "b", "c"]]})
    assert "tried writing to column [C]" in refused.json()["error"]["message"]


def test_a_values_batch_update_is_all_or_nothing(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    response = _update(
        api,
        "RAW",
        {"range": "KPIs!A1", "values": [["changed"]]},
        {"range": "'Nope'!A1", "values": [["x"]]},
    )
    assert response.status_code == 400
    assert (
        response.json()["error"]["message"] == "Invalid data[1]: Unable to parse range: 'Nope'!A1"
    )
    assert sheets_emulator.grid(book, "KPIs")[0][0] == "KPI"


def test_an_update_cells_request_past_the_grid_is_named_by_its_index(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    sheet_id = sheets_emulator.sheet(book, "KPIs").sheet_id
    cell = {"values": [{"userEnteredValue": {"stringValue": "x"}}]}
    requests = [
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": 0},
                "rows": [cell],
                "fields": "userEnteredValue",
            }
        }
        for row in (1, 1000)
    ]
    refused = api.post(":batchUpdate", {"requests": requests})
    assert refused.json()["error"]["message"] == (
        "Invalid requests[1].updateCells: Range (KPIs!A1001) exceeds grid limits. "
        "Max rows: 1000, max columns: 26"
    )
    assert sheets_emulator.grid(book, "KPIs")[1][0] == "Uptime"


def test_an_office_file_stored_in_drive_fails_every_request_as_a_failed_precondition(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    sheets_emulator.as_office_file(book)
    error = api.get().json()["error"]
    assert (error["code"], error["status"]) == (400, "FAILED_PRECONDITION")
    assert error["message"] == "This operation is not supported for this document"


def test_tokens_are_checked_only_when_a_test_asks_and_then_need_a_sheets_scope(
    sheets_emulator: SheetsEmulator, api: Api
) -> None:
    assert api.get().ok  # no Authorization header: tokens are not checked by default
    sheets_emulator.check_tokens()
    missing = api.get().json()["error"]
    assert (missing["code"], missing["status"]) == (401, "UNAUTHENTICATED")
    assert missing["message"].startswith("Request had invalid authentication credentials.")
    sheets_emulator.grant("adc", {"https://www.googleapis.com/auth/cloud-platform"})
    scope = api.session.get(api.base, headers={"Authorization": "Bearer adc"}).json()["error"]
    assert (scope["code"], scope["details"][0]["reason"]) == (
        403,
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
    )
    sheets_emulator.grant("sa", {"https://www.googleapis.com/auth/spreadsheets"})
    assert api.session.get(api.base, headers={"Authorization": "Bearer sa"}).ok


def test_a_body_over_google_s_10_mib_limit_is_refused_and_nothing_is_written(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    text = "x" * 40_000  # under Google's 50,000 characters a cell
    rows = [[text] for _ in range(10_485_760 // len(text) + 1)]
    response = _update(api, "RAW", {"range": f"KPIs!A1:A{len(rows)}", "values": rows})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": 400,
        "message": "Request payload size exceeds the limit: 10485760 bytes.",
        "status": "INVALID_ARGUMENT",
    }
    assert sheets_emulator.grid(book, "KPIs")[0][0] == "KPI"


def test_a_lower_limit_set_by_a_test_is_named_in_the_refusal(
    sheets_emulator: SheetsEmulator, api: Api
) -> None:
    sheets_emulator.max_request_bytes = 100
    response = _update(api, "RAW", {"range": "KPIs!A1", "values": [["y" * 100]]})
    assert response.json()["error"]["message"] == (
        "Request payload size exceeds the limit: 100 bytes."
    )
    assert _update(api, "RAW", {"range": "KPIs!A1", "values": [["y"]]}).status_code == 200


def test_a_structural_batch_is_all_or_nothing_and_answers_like_google(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    add = {"addSheet": {"properties": {"title": "Status", "sheetId": 7}}}
    rule = {
        "addConditionalFormatRule": {
            "index": 0,
            "rule": {
                "ranges": [{"sheetId": 7}],
                "booleanRule": {
                    "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "OK"}]},
                    "format": {"backgroundColor": {"green": 1}},
                },
            },
        }
    }
    clash = {"addSheet": {"properties": {"title": "kpis"}}}
    refused = api.post(":batchUpdate", {"requests": [add, rule, clash]})
    assert refused.json()["error"]["message"] == (
        'Invalid requests[2].addSheet: A sheet with the name "kpis" already exists. '
        "Please enter another name."
    )
    assert "Status" not in sheets_emulator.tabs(book)
    replies = api.post(":batchUpdate", {"requests": [add, rule]}).json()["replies"]
    assert replies[0]["addSheet"]["properties"]["title"] == "Status"
    assert replies[1] == {}
    assert len(sheets_emulator.sheet(book, "Status").conditional_formats) == 1


# -- validation against the discovery document --------------------------------------------
def test_an_unknown_query_parameter_is_refused_and_recorded(
    sheets_emulator: SheetsEmulator, api: Api
) -> None:
    response = api.get("/values:batchGet", ranges="KPIs", valueRenderOptions="UNFORMATTED_VALUE")
    assert response.status_code == 400
    assert 'Unknown name "valueRenderOptions"' in response.json()["error"]["message"]
    assert len(sheets_emulator.take_violations()) == 1


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (
            {"valueInputOption": "RAW", "data": [{"range": "KPIs!A1", "valuez": [[1]]}]},
            "Unknown name \"valuez\" at 'data[0]'",
        ),
        ({"valueInputOption": "PARSED", "data": []}, "value_input_option"),
        ({"valueInputOption": "RAW", "data": {"range": "KPIs!A1"}}, "(array)"),
        ({"data": [{"range": "KPIs!A1", "values": [[1]]}]}, "Invalid valueInputOption"),
    ],
)
def test_a_body_google_would_refuse_is_refused_and_recorded(
    sheets_emulator: SheetsEmulator, api: Api, body: dict[str, Any], complaint: str
) -> None:
    response = api.post("/values:batchUpdate", body)
    assert response.status_code == 400
    assert complaint in response.json()["error"]["message"]
    assert sheets_emulator.take_violations()


def test_a_request_kind_the_emulator_does_not_model_is_a_violation_not_a_success(
    sheets_emulator: SheetsEmulator, api: Api
) -> None:
    response = api.post(":batchUpdate", {"requests": [{"sortRange": {}}]})
    assert response.status_code == 400
    assert sheets_emulator.take_violations() == [
        "unsupported by the emulator: spreadsheets.batchUpdate request 'sortRange'"
    ]


# -- faults and the log ------------------------------------------------------------------------
def test_faults_apply_to_the_next_matching_requests_then_stop(
    sheets_emulator: SheetsEmulator, api: Api
) -> None:
    sheets_emulator.fail(Fault.quota(retry_after="7"), times=2, path=r"values:batchGet$")
    sheets_emulator.fail(Fault.error(503, html=True))
    metadata = api.get()
    first, second, third = (api.get("/values:batchGet", ranges="KPIs") for _ in range(3))
    assert (metadata.status_code, metadata.headers["Content-Type"]) == (
        503,
        "text/html; charset=UTF-8",
    )
    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert first.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert (second.status_code, third.status_code) == (429, 200)


def test_a_quota_429_carries_error_info_and_usually_no_retry_after(
    sheets_emulator: SheetsEmulator, api: Api
) -> None:
    sheets_emulator.fail(Fault.quota(retry_after=None))
    response = api.get("/values:batchGet", ranges=["KPIs"])
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    error = response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"


def test_a_403_says_why_as_google_does(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    answers = {}
    for why in ("not shared", "disabled", "scope"):
        sheets_emulator.deny(book, why)
        answers[why] = api.get().json()["error"]
    assert answers["not shared"]["message"] == "The caller does not have permission"
    assert answers["disabled"]["details"][0]["reason"] == "SERVICE_DISABLED"
    assert "has not been used in project" in answers["disabled"]["message"]
    assert answers["scope"]["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert {a["code"] for a in answers.values()} == {403}


def test_a_reset_connection_gets_no_answer(sheets_emulator: SheetsEmulator, api: Api) -> None:
    sheets_emulator.fail(Fault.connection_reset())
    with pytest.raises(requests.ConnectionError):
        api.get()
    assert sheets_emulator.requests[-1].status == 0


def test_the_log_records_method_path_and_sizes(sheets_emulator: SheetsEmulator, api: Api) -> None:
    api.get("/values:batchGet", ranges=["KPIs", "'KPI log'"])
    (entry,) = sheets_emulator.requests
    assert (entry.method, entry.api, entry.params["ranges"]) == (
        "GET",
        "values.batchGet",
        ["KPIs", "'KPI log'"],
    )
    assert entry.body_size == 0
    assert entry.response_size > 100


# -- gspread's own calls ---------------------------------------------------------------------
def test_gspreads_high_level_calls_are_served(sheets_emulator: SheetsEmulator, book: str) -> None:
    cfg = WorkbookConfig(backend="google", spreadsheet=book, endpoint=sheets_emulator.url)
    with open_google(cfg) as workbook:
        spreadsheet = workbook.client.open_by_key(book)
        sheet = spreadsheet.worksheet("KPI log")
        sheet.update([["2026-11-02", "Uptime", 99.9]], "A2")
        sheet.update_acell("D2", "=1+1")  # gspread hard-codes USER_ENTERED here
        new = spreadsheet.add_worksheet("Scratch", rows=10, cols=3)
        new.batch_clear(["A1:B2"])
        spreadsheet.del_worksheet(new)
        assert sheet.get_all_values() == [
            ["Date", "KPI", "Value", ""],
            ["2026-11-02", "Uptime", "99.9", "#N/A"],
        ]
        assert spreadsheet.title == "Team metrics"
    assert sheets_emulator.formulas(book) == [("KPI log", "D2", "=1+1")]


def test_rows_inserted_and_deleted_move_the_cells_below_them(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    sheet_id = sheets_emulator.sheet(book, "KPIs").sheet_id
    rows = {"sheetId": sheet_id, "dimension": "ROWS"}
    assert api.post(
        ":batchUpdate",
        {
            "requests": [
                {"insertDimension": {"range": {**rows, "startIndex": 1, "endIndex": 2}}},
                {"deleteDimension": {"range": {**rows, "startIndex": 3, "endIndex": 4}}},
                {"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS", "length": 2}},
            ]
        },
    ).ok
    assert sheets_emulator.grid(book, "KPIs")[:3] == [
        ["KPI", "Value", "Due"],
        [],
        ["Uptime", 99.5, 46328],
    ]
    assert sheets_emulator.sheet(book, "KPIs").column_count == 28


def test_cells_written_as_typed_values_are_formulas_only_when_sent_as_formulas(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    sheet_id = sheets_emulator.sheet(book, "KPI log").sheet_id
    update = {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": 1},
            "fields": "userEnteredValue",
            "rows": [
                {
                    "values": [
                        {"userEnteredValue": {"stringValue": "=not a formula"}},
                        {"userEnteredValue": {"formulaValue": "=1+1"}},
                    ]
                }
            ],
        }
    }
    paint = {
        "repeatCell": {
            "range": {"sheetId": sheet_id, "endRowIndex": 1},
            "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
            "fields": "userEnteredFormat.textFormat.bold",
        }
    }
    assert api.post(":batchUpdate", {"requests": [update, paint]}).ok
    assert sheets_emulator.formulas(book) == [("KPI log", "B2", "=1+1")]
    assert sheets_emulator.grid(book, "KPI log")[1][0] == "=not a formula"
    assert sheets_emulator.sheet(book, "KPI log").formats == [paint["repeatCell"]]


def test_rules_can_be_deleted_by_index_and_are_returned(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    sheet_id = sheets_emulator.sheet(book, "KPIs").sheet_id
    rule = {
        "ranges": [{"sheetId": sheet_id}],
        "booleanRule": {
            "condition": {"type": "TEXT_CONTAINS", "values": [{"userEnteredValue": "CRIT"}]}
        },
    }
    api.post(":batchUpdate", {"requests": [{"addConditionalFormatRule": {"rule": rule}}]})
    reply = api.post(
        ":batchUpdate",
        {"requests": [{"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}}]},
    ).json()["replies"][0]
    assert reply == {"deleteConditionalFormatRule": {"rule": rule}}
    assert sheets_emulator.sheet(book, "KPIs").conditional_formats == []


def test_clearing_a_range_empties_its_cells(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    cleared = api.post("/values/KPIs!B2:C4:clear", {}).json()
    assert cleared["clearedRange"] == "KPIs!B2:C4"
    assert sheets_emulator.grid(book, "KPIs")[1:] == [["Uptime"], [], ["Latency"]]


def test_a_person_can_delete_and_sort_rows_as_in_the_ui(
    sheets_emulator: SheetsEmulator, book: str
) -> None:
    sheets_emulator.put(book, "KPIs", 3, 1, [["Errors", 7]])
    sheets_emulator.sort_rows(book, "KPIs", 2, reverse=True)
    assert sheets_emulator.grid(book, "KPIs") == [
        ["KPI", "Value", "Due"],
        ["Latency", 120],
        ["Uptime", 99.5, 46328],
        ["Errors", 7],
    ]
    sheets_emulator.delete_rows(book, "KPIs", 2)
    assert sheets_emulator.grid(book, "KPIs") == [
        ["KPI", "Value", "Due"],
        ["Uptime", 99.5, 46328],
        ["Errors", 7],
    ]
    assert sheets_emulator.sheet(book, "KPIs").row_count == 999


def test_sorting_puts_empty_cells_last_and_numbers_before_text(
    sheets_emulator: SheetsEmulator,
) -> None:
    key = sheets_emulator.create({"T": [["h"], ["b"], [None, "x"], [2], ["A"], [1]]})
    sheets_emulator.sort_rows(key, "T", 1)
    assert sheets_emulator.grid(key, "T") == [["h"], [1], [2], ["A"], ["b"], [None, "x"]]


def test_a_hook_runs_just_before_the_nth_request_of_its_kind(
    sheets_emulator: SheetsEmulator, api: Api, book: str
) -> None:
    seen: list[int] = []
    sheets_emulator.before("values.batchGet", lambda: seen.append(sheets_emulator.count()), nth=2)
    sheets_emulator.before(
        "values.batchGet", lambda: sheets_emulator.delete_rows(book, "KPIs", 2), nth=2
    )
    assert _values(api, "KPIs!A2")[0]["values"] == [["Uptime"]]
    api.get()  # another kind of request does not count
    assert _values(api, "KPIs!A2") == [{"range": "KPIs!A2", "majorDimension": "ROWS"}]
    assert _values(api, "KPIs!A3")[0]["values"] == [["Latency"]]
    assert seen == [2]
