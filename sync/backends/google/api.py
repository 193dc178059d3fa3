"""The Sheets API calls the backend makes, through gspread, each failure told as a sentence.

Three calls: ``values.batchGet`` (decoded as it arrives, sync/backends/streamed_json.py),
``spreadsheets.batchUpdate`` (the writes, tabs created or grown) and ``spreadsheets.get``
(the tab list, or key cells with their tabs' properties). Every error a
user can act on becomes a :class:`WorkbookError` naming the spreadsheet and the fix.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import gspread
import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL, SPREADSHEET_VALUES_BATCH_URL

from sync.backends.google.credentials import SCOPES, account_of
from sync.backends.google.transport import DEFAULT_ENDPOINT, RETRY_STATUSES, SheetsAdapter
from sync.backends.streamed_json import CHUNK, StreamedJsonError, decode_value_ranges
from sync.errors import ConcurrentEditError, UnavailableError, WorkbookError
from sync.grid import Grid

T = TypeVar("T")
_UNPARSABLE = "Unable to parse range: "
_OFFICE = "not supported for this document"  # 400 FAILED_PRECONDITION: an .xlsx in Drive
_ITEM = re.compile(r"^Invalid (?:requests|data)\[(\d+)\](?:\.\w+)?: ")  # the item refused
_JSON = {"Content-Type": "application/json; charset=utf-8"}


class RowsMovedError(ConcurrentEditError):
    """Key or header cells changed between read and write; ``grids`` (never None here) are
    the tabs of the last read as they are now."""

    def __init__(self, message: str, grids: Mapping[str, Grid | None]) -> None:
        super().__init__(message, grids)


class MissingRange(WorkbookError):
    """Google could not resolve a range (``range_text``): its tab is missing."""

    def __init__(self, message: str, range_text: str) -> None:
        super().__init__(message)
        self.range_text = range_text


class WriteRefused(WorkbookError):
    """Google refused item ``index`` of a write (``said``: its words, without the prefix)."""

    def __init__(self, message: str, index: int, said: str) -> None:
        super().__init__(message)
        self.index = index
        self.said = said


class AlreadyExists(WorkbookError):
    """``addSheet`` found the name taken: a replayed request, or someone else made the tab."""


class SheetsApi:
    """One spreadsheet's API calls over a gspread client whose session has the adapter."""

    def __init__(
        self,
        client: gspread.Client,
        key: str,
        *,
        adapter: SheetsAdapter,
        credentials: Credentials | None = None,
        endpoint: str = DEFAULT_ENDPOINT,
    ) -> None:
        self.client = client
        self.key = key
        self.adapter = adapter
        self.credentials = credentials
        self.endpoint = endpoint

    def batch_get(self, ranges: Sequence[str], names: Sequence[str]) -> list[dict[str, Any]]:
        """One ``values.batchGet`` of ``ranges``; ``names`` are the tabs, for messages."""
        params: dict[str, Any] = {
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": "ROWS",
            "ranges": list(ranges),
            # Google indents its answers by default: a line and a margin
            # per cell, about as many bytes again as the values.
            "prettyPrint": "false",
        }
        what = "reading " + ", ".join(repr(n) for n in names)
        response = self.call(what, lambda: self._values_batch_get(params))
        value_ranges: list[dict[str, Any]] = response.get("valueRanges", [])
        if len(value_ranges) != len(ranges):
            raise WorkbookError(
                f"{what}: Google returned {len(value_ranges)} ranges for {len(ranges)}"
            )
        return value_ranges

    def _values_batch_get(self, params: dict[str, Any]) -> dict[str, Any]:
        """gspread's ``values_batch_get`` on its own session, the answer decoded as it arrives
        (sync/backends/streamed_json.py): the one answer that can be 100 MB."""
        http = self.client.http_client
        response = http.session.request(
            "get",
            SPREADSHEET_VALUES_BATCH_URL % self.key,
            params=params,
            timeout=http.timeout,
            stream=True,
        )
        with response:
            if not response.ok:
                raise APIError(response)
            return decode_value_ranges(response.iter_content(CHUNK))

    def write_cells(self, body: bytes, fields: str, what: str) -> Mapping[str, Any]:
        """One ``spreadsheets.batchUpdate`` of a body built by ``payload.bodies`` (``updateCells``
        only, atomic); its answer is the spreadsheet's ``fields``."""
        http = self.client.http_client
        url = SPREADSHEET_BATCH_UPDATE_URL % self.key
        send = functools.partial(
            http.request,
            "post",
            url,
            params={"fields": fields, "prettyPrint": "false"},
            data=body,
            headers=dict(_JSON),
        )
        answer: Mapping[str, Any] = self.call(what, lambda: send().json())
        return answer

    def batch_update(self, requests: list[dict[str, Any]]) -> dict[str, Any]:
        """One ``spreadsheets.batchUpdate`` (atomic): tabs created or grown, colour rules."""
        body = {"requests": requests}
        response: dict[str, Any] = self.call(
            "creating or resizing tabs",
            lambda: self.client.http_client.batch_update(self.key, body),
        )
        return response

    def metadata(
        self, fields: str, ranges: Sequence[str] = (), what: str = "reading the list of tabs"
    ) -> Mapping[str, Any]:
        """One ``spreadsheets.get`` with a field mask; with ``ranges``, only the tabs they
        touch come back (with their cells, if ``fields`` asks for ``sheets.data``)."""
        params: dict[str, Any] = {"fields": fields, "prettyPrint": "false"}
        if ranges:
            params["ranges"] = list(ranges)
        meta: Mapping[str, Any] = self.call(
            what, lambda: self.client.http_client.fetch_sheet_metadata(self.key, params=params)
        )
        return meta

    def close(self) -> None:
        self.client.http_client.session.close()

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one gspread call; translate its failure into a sentence a user can act on."""
        try:
            return fn()
        except APIError as err:
            raise self._api_error(what, err) from err
        except GoogleAuthError as err:
            raise WorkbookError(
                f"Google credentials could not be used while {what}: "
                f"{plain_text(str(err))}; check [workbook] credentials"
            ) from err
        except StreamedJsonError as err:
            raise WorkbookError(
                f"Google's answer while {what} could not be read: {err}; run "
                "again (a connection cut mid-answer looks like this)"
            ) from err
        except requests.RequestException as err:
            tally = self.adapter.last
            raise UnavailableError(
                f"could not reach {self.endpoint} while {what}, {tally.describe()} "
                f"({', '.join(tally.causes) or type(err).__name__})"
            ) from err

    def _forbidden(self, what: str, error: Mapping[str, Any]) -> WorkbookError:
        """A 403: Google's reason, and the fix for each kind (docs/deployment.md)."""
        raw = str(error.get("message", ""))
        reason = _reason(error)
        said = (
            f"Google refused access to spreadsheet {self.key} while {what}: {plain_text(raw, 400)}"
        )
        if reason == "SERVICE_DISABLED" or "has not been used in project" in raw:
            project = re.search(r"project (\d+)", raw)
            where = f" --project {project.group(1)}" if project else ""
            return WorkbookError(
                f"{said}; enable the Google Sheets API in that project (the link above, or "
                f"`gcloud services enable sheets.googleapis.com{where}`), wait a few minutes, "
                "and run again"
            )
        if reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT" or "insufficient authentication" in raw:
            return WorkbookError(
                f"{said}; the credentials lack the Sheets scope: with gcloud's "
                "application-default credentials, sign in again with --scopes="
                f"{SCOPES[0]},https://www.googleapis.com/auth/cloud-platform; on a Compute "
                "Engine VM, give it that scope or use a service-account key "
                "(docs/deployment.md)"
            )
        who = account_of(self.credentials) or "the Google account whose credentials the sync uses"
        return WorkbookError(f"{said}; share the spreadsheet (as Editor) with {who}")

    def _api_error(self, what: str, err: APIError) -> WorkbookError:
        code = err.response.status_code
        raw = str(err.error.get("message", ""))
        message = plain_text(raw)
        sheet = f"spreadsheet {self.key}"
        if code == 400:
            return bad_request(what, raw)
        if code == 403:
            return self._forbidden(what, err.error)
        if code == 404:
            return WorkbookError(
                f"{sheet} was not found while {what}: check [workbook] "
                "spreadsheet (the key is the part of the URL after /d/)"
            )
        if code == 401:
            return WorkbookError(
                f"Google rejected the credentials while {what}: {message}; "
                "check [workbook] credentials"
            )
        if code in RETRY_STATUSES:
            kind = UnavailableError if code >= 500 else WorkbookError
            return kind(
                f"Google Sheets answered HTTP {code} while {what}, "
                f"{self.adapter.last.describe()}; giving up: {message}"
            )
        return WorkbookError(f"Google Sheets refused {what}: HTTP {code}: {message}")


def _reason(error: Mapping[str, Any]) -> str:
    """The ``ErrorInfo`` reason Google gives with an error, or "" (older answers have none)."""
    for detail in error.get("details") or ():
        if isinstance(detail, Mapping) and str(detail.get("@type", "")).endswith("ErrorInfo"):
            return str(detail.get("reason", ""))
    return ""


def bad_request(what: str, message: str) -> WorkbookError:
    """A 400: a missing tab, a tab that exists and a refused item of a write get their own
    types (the backend recovers from the first two, names the range of the third)."""
    if message.startswith(_UNPARSABLE):
        return MissingRange(f"{what}: {plain_text(message)}", message[len(_UNPARSABLE) :])
    if _OFFICE in message:
        return WorkbookError(
            f"Google Sheets cannot open this file while {what}: it is an Office file (.xlsx) "
            f"stored in Google Drive, not a Google Sheets spreadsheet (Google said: "
            f"{plain_text(message)}); open it in Google Sheets and use File > Save as Google "
            "Sheets, then set [workbook] spreadsheet to the new file's key; or download it "
            'and use backend = "xlsx" with path = the downloaded file'
        )
    if "already exists" in message:
        return AlreadyExists(f"{what}: {plain_text(message)}")
    item = _ITEM.match(message)
    if item:
        said = plain_text(message[item.end() :])
        return WriteRefused(
            f"Google Sheets refused {what}: {plain_text(message)}", int(item.group(1)), said
        )
    return WorkbookError(f"Google Sheets refused {what}: HTTP 400: {plain_text(message)}")


def plain_text(message: str, limit: int = 200) -> str:
    """An error message fit for one log line: HTML (a 502/503 page) reduced to its words."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", message)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
