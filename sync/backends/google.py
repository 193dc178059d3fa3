"""The Google Sheets backend: the workbook gateway over gspread and the Sheets API v4.

Request budget (SPEC §4). A steady run makes three HTTP requests in all:

1. ``read``: one ``values.batchGet`` of every tab asked for, whole, with
   ``valueRenderOption=UNFORMATTED_VALUE`` (numbers as numbers, formula errors as ``#REF!``
   text), ``dateTimeRenderOption=SERIAL_NUMBER``, ``majorDimension=ROWS`` and
   ``prettyPrint=false``, decoded a row at a time as it arrives (``streamed_json``, through
   gspread's own session: ``values_batch_get`` would hold the whole body). Rows come back
   ragged (trailing empty cells dropped), as the Workbook contract allows; the frame
   conversion pads them. Google echoes each range as the tab's whole grid
   (``'KPIs'!A1:Z1000``), which tells the grid size a write must stay within. The title is
   not part of it: :attr:`GoogleWorkbook.title` costs one metadata ``GET`` (a field mask of
   titles and grid sizes), made only when something asks (the run asks only to compose a
   mail). A tab Google cannot find fails the whole request with ``400 Unable to parse
   range: 'X'``: that tab is dropped and the others read again (one more request per
   missing tab; after a third miss, the tab list: see ``GoogleWorkbook._read_values``).
   A workbook without the optional ``KPI log`` pays that one request every run, unless
   ``[tabs] kpi_log = ""`` says it has none.
2. ``write``, before writing: one small ``values.batchGet`` of the key columns of the rows
   about to be written, of the header cells above the columns written to (and of an owned
   tab not read before, to learn what to blank). If a person inserted, deleted or sorted
   rows, or inserted, deleted or moved a column, meanwhile, nothing is written and
   :class:`RowsMovedError` carries every tab of the last read, re-read (one request), so
   the caller can re-map once.
3. ``write``: one ``values.batchUpdate`` with ``valueInputOption=RAW`` holding every cell
   update and the owned tab's whole grid, padded with ``""`` over the previous, longer grid.

Only when something is missing or too small is a ``spreadsheets.batchUpdate`` sent:
``addSheet`` of the owned tab with its colour rules (``addConditionalFormatRule``, one per
status word) in the same atomic batch, and ``updateSheetProperties`` to grow a grid, because
Google refuses writes beyond a tab's grid ("Range (...) exceeds grid limits"); growing needs
the sheet id, so it costs the metadata ``GET`` too.

Colour rules are assumed in place on an owned tab the batchGet could read: they were added
with the tab, atomically, and checking would cost a metadata request every run. Only when
the tab list was fetched anyway (a missing tab, a grid to grow) and shows the owned tab
without any rule are the rules added again. Someone who deleted them gets them back by
deleting the Status tab, which the next run recreates with its rules.

Never a formula: all writes are ``RAW``, so text starting with ``=``, ``+``, ``-`` or ``@``
stays text. Datetimes are written as ISO text (``2026-11-02 08:00+00:00``), readable and
round-tripping, since ``RAW`` numbers would show as bare serial numbers.

Retries: a ``urllib3`` ``Retry`` on the mounted transport adapter retries 429/500/502/503/504
and connection errors with exponential backoff and jitter, honours ``Retry-After``, and
gives up when the next wait would overrun the per-request time budget. Every request is
safe to repeat: reads trivially, ``values.batchUpdate`` writes absolute values, grid growth
sets absolute sizes, and a replayed ``addSheet`` fails on the sheet's unique name, which
the backend recognises (the rules were added atomically with the sheet, so never twice).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import math
import os
import re
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import gspread
import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import DefaultCredentialsError, GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEET_VALUES_BATCH_URL
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from sync.a1 import column_letter
from sync.backends.streamed_json import CHUNK, StreamedJsonError, decode_value_ranges
from sync.config import WorkbookConfig
from sync.errors import ConcurrentEditError, ConfigError, WorkbookError
from sync.grid import Cell, CellUpdate, Grid, OwnedTab, RowKey
from sync.rules.status import Colour

log = logging.getLogger("metrics_sync")

T = TypeVar("T")
Span = tuple[str, bool]  # (tab, True for its header row): one range re-read before a write
DEFAULT_ENDPOINT = "https://sheets.googleapis.com"
GOOGLE_PREFIXES = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_CELL_CHARS = 50_000  # Google refuses longer cell text
COLOURS: Mapping[Colour, Mapping[str, float]] = {
    "green": {"red": 0.718, "green": 0.882, "blue": 0.804},
    "amber": {"red": 0.988, "green": 0.91, "blue": 0.698},
    "red": {"red": 0.957, "green": 0.78, "blue": 0.765},
    "grey": {"red": 0.878, "green": 0.878, "blue": 0.878},
}
_METADATA_FIELDS = (
    "properties.title,sheets(properties(sheetId,title,gridProperties("
    "rowCount,columnCount)),conditionalFormats(ranges(sheetId)))"
)
_KEY_IN_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_UNPARSABLE = "Unable to parse range: "


class RowsMovedError(ConcurrentEditError):
    """Key or header cells changed between read and write; ``grids`` (never None here) are
    the tabs of the last read as they are now."""

    def __init__(self, message: str, grids: Mapping[str, Grid | None]) -> None:
        super().__init__(message, grids)


# -- opening ------------------------------------------------------------------------------------
def open_google(
    cfg: WorkbookConfig,
    *,
    retry_budget: float = 120.0,
    timeout: tuple[float, float] = (10, 60),
    backoff_factor: float = 0.5,
    max_attempts: int = 8,
) -> GoogleWorkbook:
    """Open ``cfg.spreadsheet`` (a key or a docs.google.com URL). No request is made yet.

    ``retry_budget`` bounds, per request, the time spent retrying; ``timeout`` is the
    (connect, read) timeout of every request; ``backoff_factor`` scales the exponential
    waits (0.5 s, 1 s, 2 s, ... plus jitter) when Google sends no ``Retry-After``.
    Raises ``ConfigError`` for a bad key or endpoint, ``WorkbookError`` for credentials.
    """
    key = spreadsheet_key(cfg.spreadsheet or "", cfg.name)
    endpoint, loopback = check_endpoint(cfg.endpoint, cfg.name)
    session, account = _session(cfg.credentials, loopback)
    adapter = _SheetsAdapter(endpoint, _retry_policy(backoff_factor, max_attempts), retry_budget)
    for prefix in GOOGLE_PREFIXES:
        session.mount(prefix, adapter)
    client = gspread.Client(auth=None, session=session)  # type: ignore[arg-type]
    client.set_timeout(timeout)
    return GoogleWorkbook(client, key, adapter=adapter, account=account, endpoint=endpoint)


def spreadsheet_key(value: str, name: str = "") -> str:
    """The key from a bare key or from ``https://docs.google.com/spreadsheets/d/<key>/...``."""
    text = value.strip()
    if m := _KEY_IN_URL.search(text):
        return m.group(1)
    if _KEY.match(text):
        return text
    raise ConfigError(
        f"workbook {name!r}",
        [
            f"spreadsheet = {value!r}: expected a spreadsheet key or a URL such as "
            "https://docs.google.com/spreadsheets/d/<key>/edit"
        ],
    )


def check_endpoint(endpoint: str | None, name: str = "") -> tuple[str, bool]:
    """The API base URL without ``/v4``, and whether it is a loopback address.

    Plain ``http`` is accepted only on loopback (an emulator or a local proxy): anything
    else would send the access token in clear.
    """
    url = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
    parts = urlsplit(url)
    loopback = is_loopback(parts.hostname or "")
    problem = None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        problem = "a base URL such as https://sheets.googleapis.com"
    elif parts.scheme == "http" and not loopback:
        problem = "an https:// URL, or http:// only on a loopback address (127.0.0.1, ::1)"
    elif parts.path.rstrip("/").endswith("/v4"):
        problem = "the base URL without the /v4 path"
    if problem:
        raise ConfigError(f"workbook {name!r}", [f"endpoint = {endpoint!r}: expected {problem}"])
    return url, loopback


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _session(credentials: Path | None, loopback: bool) -> tuple[requests.Session, str | None]:
    """An authorised session, or, on loopback without credentials, an anonymous one.

    ``trust_env`` is off on loopback so that an ``HTTPS_PROXY`` in the environment never
    captures traffic meant for a local emulator.
    """
    session: requests.Session
    if loopback and credentials is None:
        session, account = requests.Session(), None
    else:
        creds, account = load_credentials(credentials)
        session = AuthorizedSession(creds)  # type: ignore[no-untyped-call]
    session.trust_env = not loopback
    return session, account


def load_credentials(path: Path | None) -> tuple[Credentials, str | None]:
    """Who the sync acts as, and that identity's e-mail when known (named in 403 errors).

    In this order:

    1. ``[workbook] credentials``, else the file in ``$GOOGLE_APPLICATION_CREDENTIALS``:
       - a service-account key (``"type": "service_account"``): the usual choice for cron.
         Share the spreadsheet (Editor) with the key's ``client_email``;
       - an authorized-user file (``"type": "authorized_user"``, as written by
         ``gcloud auth application-default login`` or by gspread's OAuth flow): acts as
         that person, refreshing the stored token;
       - an OAuth client (``{"installed": ...}`` from the Cloud console): gspread's OAuth
         flow opens a browser once and stores the token beside the file as
         ``<name>.token.json``; later runs reuse and refresh it. Run ``metrics-sync check``
         once interactively before scheduling.
    2. Application-default credentials (``google.auth.default``): the attached service
       account on Compute Engine, Cloud Run or GKE, or gcloud's ADC file.
    """
    env = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    path = path or (Path(env) if env else None)
    try:
        if path is not None:
            return _from_file(path)
        creds, _ = _adc()
    except DefaultCredentialsError as err:
        raise WorkbookError(
            "no Google credentials: set [workbook] credentials to a service-account key file "
            f"or GOOGLE_APPLICATION_CREDENTIALS ({err})"
        ) from err
    return creds, getattr(creds, "service_account_email", None)


def _adc() -> tuple[Credentials, str | None]:
    import google.auth

    creds, project = google.auth.default(scopes=SCOPES)
    return creds, project


def _from_file(path: Path) -> tuple[Credentials, str | None]:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if path.stat().st_mode & 0o004:  # as `metrics-sync check` warns: every run says it
            log.warning(
                "credentials file %s is readable by every user of this machine: chmod 600 %s",
                path,
                path,
            )
    except (OSError, ValueError) as err:
        raise WorkbookError(f"credentials file {path} cannot be read as JSON: {err}") from err
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            from google.oauth2 import service_account

            sa = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=SCOPES
            )
            return sa, str(info.get("client_email") or "") or None
        if kind == "authorized_user":
            from google.oauth2.credentials import Credentials as UserCredentials

            user = UserCredentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
                info, scopes=SCOPES
            )
            return user, None
        if isinstance(info, dict) and ("installed" in info or "web" in info):
            token = path.with_name(path.stem + ".token.json")
            client = gspread.oauth(
                scopes=list(SCOPES),
                credentials_filename=str(path),
                authorized_user_filename=str(token),
            )
            return client.http_client.auth, None
    except (ValueError, KeyError) as err:
        raise WorkbookError(f"credentials file {path} is incomplete: {err}") from err
    raise WorkbookError(
        f"credentials file {path}: expected a service-account key, an "
        "authorized-user file or an OAuth client file"
    )


# -- transport: endpoint rewriting and retries ----------------------------------------------------
@dataclass
class _Tally:
    """What happened to one logical request across its attempts (for error messages)."""

    started: float = field(default_factory=time.monotonic)
    attempts: int = 1
    causes: list[str] = field(default_factory=list)
    out_of_time: bool = False

    def describe(self) -> str:
        took = time.monotonic() - self.started
        why = "; retry budget spent" if self.out_of_time else ""
        return f"after {self.attempts} attempt(s) in {took:.1f} s{why}"


class _BudgetRetry(Retry):
    """``Retry`` that also stops once the next wait would overrun a deadline."""

    def __init__(
        self, *args: Any, deadline: float = math.inf, tally: _Tally | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.tally = tally or _Tally()

    def new(self, **kw: Any) -> Self:
        kw.setdefault("deadline", self.deadline)
        kw.setdefault("tally", self.tally)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Self:
        cause = f"HTTP {response.status}" if response is not None else type(error).__name__
        self.tally.causes.append(cause)
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if time.monotonic() + retry.next_wait(response) > self.deadline:
            self.tally.out_of_time = True
            raise MaxRetryError(_pool, url or "", error or ResponseError(cause))
        self.tally.attempts += 1
        return retry

    def next_wait(self, response: BaseHTTPResponse | None) -> float:
        if self.respect_retry_after_header and response is not None:
            after = self.get_retry_after(response)
            if after:
                return after
        return self.get_backoff_time()


def _retry_policy(backoff_factor: float, max_attempts: int) -> _BudgetRetry:
    return _BudgetRetry(
        total=max(0, max_attempts - 1),
        connect=None,
        read=None,
        status=None,
        other=0,
        redirect=0,
        allowed_methods=None,  # every request we send is safe to repeat (see module)
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_jitter=backoff_factor,
        backoff_max=30.0,
        raise_on_status=False,
        respect_retry_after_header=True,
    )


class _SheetsAdapter(HTTPAdapter):
    """Sends Google API URLs to the configured endpoint, retrying within a time budget."""

    def __init__(self, endpoint: str, policy: _BudgetRetry, budget: float) -> None:
        super().__init__(max_retries=policy)
        self.endpoint = endpoint
        self.policy = policy
        self.budget = budget
        self.last = _Tally()
        self.sent = 0  # HTTP attempts, retries included: what Google's quota counts

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        for prefix in GOOGLE_PREFIXES:
            if url.startswith(prefix):
                request.url = f"{self.endpoint}/{url[len(prefix) :]}"
                break
        self.last = _Tally()
        self.max_retries = self.policy.new(deadline=time.monotonic() + self.budget, tally=self.last)
        try:
            return super().send(request, *args, **kwargs)
        finally:
            self.sent += self.last.attempts


# -- the workbook -------------------------------------------------------------------------------
@dataclass
class _Tab:
    """What the backend knows of one tab; ``None`` fields are not known yet."""

    title: str  # as the spreadsheet spells it
    rows: int | None = None  # grid size
    cols: int | None = None
    sheet_id: int | None = None
    extent: tuple[int, int] | None = None  # rows x columns holding values, if read whole
    has_rules: bool | None = None


class _MissingRange(WorkbookError):
    """Google could not resolve a range (``range_text``): its tab is missing."""

    def __init__(self, message: str, range_text: str) -> None:
        super().__init__(message)
        self.range_text = range_text


class GoogleWorkbook:
    """A Google spreadsheet as a :class:`sync.backends.base.Workbook`. Use :func:`open_google`.

    Remembers, between ``read`` and ``write``, what each tab's grid looks like, so that a
    steady run needs no metadata request. Not thread-safe; one instance per run.
    """

    def __init__(
        self,
        client: gspread.Client,
        key: str,
        *,
        adapter: _SheetsAdapter,
        account: str | None = None,
        endpoint: str = DEFAULT_ENDPOINT,
    ) -> None:
        self.client = client
        self.key = key
        self.adapter = adapter
        self.account = account
        self.endpoint = endpoint
        self._title: str | None = None
        self._tabs: dict[str, _Tab | None] = {}  # by the name asked for; None: does not exist
        self._listing: dict[str, _Tab] | None = None  # every tab, once metadata was fetched
        self._last_read: list[str] = []  # re-read whole when rows moved

    @property
    def title(self) -> str:
        if self._title is None:
            self._fetch_metadata()
        assert self._title is not None
        return self._title

    @property
    def url(self) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.key}"

    @property
    def request_count(self) -> int:
        """HTTP requests sent to the Sheets API so far, retries included (the CLI logs it)."""
        return self.adapter.sent

    def close(self) -> None:
        self.client.http_client.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- read ---------------------------------------------------------------------------
    def read(self, tabs: Sequence[str]) -> dict[str, Grid | None]:
        """Every tab asked for in one ``values.batchGet``; a missing tab reads as ``None``.

        Each answer echoes its range as the tab's whole grid (``'KPIs'!A1:Z1000``), so the
        grid sizes the write needs come along; the title and sheet ids do not, and are asked
        for only if something needs them. A tab Google cannot find fails the whole request
        (see :meth:`_read_values`). A tab this instance already knows to be missing is left
        out, so the re-read after rows moved costs one request.
        """
        names = list(dict.fromkeys(tabs))
        self._last_read = names
        result: dict[str, Grid | None] = dict.fromkeys(names)
        wanted = [n for n in names if n not in self._tabs or self._tabs[n] is not None]
        for name, value_range in self._read_values(wanted).items():
            result[name] = self._remember(name, value_range)
        return result

    def _read_values(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """One batchGet of whole tabs; a tab Google cannot find costs one more request.

        Google answers ``400 Unable to parse range: 'X'`` naming the first range it could not
        resolve: that tab is marked missing and the others are asked for again, without a
        tab-list request (one extra request per missing tab rather than two: the usual case
        is one optional tab, or the Status tab on a first run, or both). After a third miss,
        or an answer naming no range sent, the tab list is fetched (one metadata ``GET``) and
        only the tabs that exist are read.
        """
        wanted = list(names)
        for _ in range(3):
            if not wanted:
                return {}
            ranges = {quote_tab(tab.title if (tab := self._tabs.get(n)) else n): n for n in wanted}
            try:
                return dict(zip(wanted, self._batch_get(list(ranges), wanted), strict=True))
            except _MissingRange as err:
                missing = ranges.get(err.range_text)
                if missing is None:
                    break
                self._tabs[missing] = None
                wanted.remove(missing)
        self._fetch_metadata()
        wanted = [n for n in names if self._lookup(n) is not None]
        if not wanted:
            return {}
        ranges = {quote_tab(self._known(n).title): n for n in wanted}
        return dict(zip(wanted, self._batch_get(list(ranges), wanted), strict=True))

    def _remember(self, name: str, value_range: Mapping[str, Any]) -> Grid:
        """A ValueRange as a grid; its echoed range tells the tab's title and grid size."""
        grid: Grid = _blanks_to_none(value_range.get("values", []))
        echoed = value_range.get("range", "")
        tab = (
            self._tabs.get(name)
            or (_match(self._listing, name) if self._listing else None)
            or _Tab(_sheet_of(echoed, name))
        )
        tab.title = _sheet_of(echoed, tab.title)
        tab.rows, tab.cols = grid_size(echoed) or (tab.rows, tab.cols)
        tab.extent = (len(grid), max((len(r) for r in grid), default=0))
        self._tabs[name] = tab
        return grid

    def _batch_get(self, ranges: Sequence[str], names: Sequence[str]) -> list[dict[str, Any]]:
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
        response = self._call(what, lambda: self._values_batch_get(params))
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

    # -- what the spreadsheet holds -------------------------------------------------------
    def _fetch_metadata(self) -> dict[str, _Tab]:
        """The tab list, title and grid sizes: one ``spreadsheets.get`` with a field mask."""
        meta = self._call(
            "reading the list of tabs",
            lambda: self.client.http_client.fetch_sheet_metadata(
                self.key, params={"fields": _METADATA_FIELDS}
            ),
        )
        self._title = str(meta.get("properties", {}).get("title", ""))
        listing = {tab.title: tab for tab in map(tab_from, meta.get("sheets", []))}
        self._listing = listing
        for name, old in list(self._tabs.items()):
            fresh = _match(listing, name)
            if fresh is not None and old is not None and fresh.title == old.title:
                fresh.extent = old.extent
            self._tabs[name] = fresh
        return listing

    def _lookup(self, name: str) -> _Tab | None:
        """The tab asked for as ``name`` (exact title, else ignoring case); None if missing."""
        if name not in self._tabs:
            listing = self._listing if self._listing is not None else self._fetch_metadata()
            self._tabs[name] = _match(listing, name)
        return self._tabs[name]

    def _known(self, name: str) -> _Tab:
        tab = self._lookup(name)
        if tab is None:
            raise WorkbookError(f"spreadsheet {self.key} has no tab {name!r}")
        return tab

    # -- write ------------------------------------------------------------------------------
    def write(
        self, updates: Sequence[CellUpdate], owned: Sequence[OwnedTab], keys: Sequence[RowKey] = ()
    ) -> None:
        """Check row keys, create or grow tabs if needed, then one ``values.batchUpdate``."""
        self._check_keys(keys, owned)
        self._prepare(updates, owned)
        data = value_ranges(updates, lambda name: self._known(name).title)
        data += [vr for tab in owned if (vr := self._owned_range(tab)) is not None]
        if not data:
            return
        body = {"valueInputOption": "RAW", "data": data}
        self._call(
            f"writing {len(data)} range(s)",
            lambda: self.client.http_client.values_batch_update(self.key, body),
        )
        for tab in owned:
            self._known(tab.name).extent = (len(tab.grid), max(map(len, tab.grid), default=0))

    def _check_keys(self, keys: Sequence[RowKey], owned: Sequence[OwnedTab]) -> None:
        """One small batchGet: the key columns of rows to write, the header cells above the
        columns written to (row 1 is its own range, so that it does not widen the other),
        owned tabs not yet seen, and one cell of each owned tab seen, which tells that it
        is still there: a Status tab deleted during the run is then created again, where
        the write would otherwise fail on it."""
        spans = key_spans(keys)
        unseen = [t.name for t in owned if self._extent_unknown(t.name)]
        probes = [t.name for t in owned if t.name not in unseen and self._tabs.get(t.name)]
        try:
            found = self._read_for_write(spans, unseen, probes)
        except _MissingRange:
            self._fetch_metadata()
            for name, _ in spans:
                if self._tabs.get(name) is None:
                    raise RowsMovedError(
                        f"tab {name!r} disappeared during the run; nothing was written",
                        self._reread(spans),
                    ) from None
            found = self._read_for_write(
                spans,
                [n for n in unseen if self._lookup(n)],
                [n for n in probes if self._lookup(n)],
            )
        moved = moved_rows(keys, spans, found)
        if moved:
            what = "columns" if " header " in moved[0] else "rows"
            more = f" and {len(moved) - 1} more" if len(moved) > 1 else ""
            raise RowsMovedError(
                f"{what} changed while the sync ran ({moved[0]}{more}); nothing was written",
                self._reread(spans),
            )

    def _reread(self, spans: Mapping[Span, tuple[int, int, int]]) -> dict[str, Grid | None]:
        """Every tab of the last read, as it is now (one request), for the caller to re-map."""
        tabs = dict.fromkeys(name for name, _ in spans)
        return self.read([*self._last_read, *(n for n in tabs if n not in self._last_read)])

    def _extent_unknown(self, name: str) -> bool:
        """True if an owned tab may exist but what it holds was not read yet."""
        if name not in self._tabs:
            return True
        tab = self._tabs[name]
        return tab is not None and tab.extent is None

    def _read_for_write(
        self,
        spans: Mapping[Span, tuple[int, int, int]],
        unseen: Sequence[str],
        probes: Sequence[str] = (),
    ) -> dict[Span, list[list[Any]]]:
        ranges = [
            f"{quote_tab(self._known(tab).title)}!{column_letter(c0)}{r0}:"
            f"{column_letter(self._within_grid(tab, c1))}{1 if header else ''}"
            for (tab, header), (r0, c0, c1) in spans.items()
        ]
        ranges += [quote_tab(tab.title if (tab := self._tabs.get(n)) else n) for n in unseen]
        ranges += [f"{quote_tab(self._known(n).title)}!A1" for n in probes]
        if not ranges:
            return {}
        names = dict.fromkeys(tab for tab, _ in spans)
        found = self._batch_get(ranges, [*names, *unseen, *probes])
        fresh = found[len(spans) : len(spans) + len(unseen)]
        for name, value_range in zip(unseen, fresh, strict=True):
            self._remember(name, value_range)
        return {span: vr.get("values", []) for span, vr in zip(spans, found, strict=False)}

    def _within_grid(self, name: str, col: int) -> int:
        """``col``, or the grid's last column if ``col`` is beyond it: a column the write is
        about to add (the grid grows first) is empty, and Google refuses to read past the grid
        ("exceeds grid limits"), so only the header cells that exist are checked."""
        cols = self._known(name).cols
        return min(col, cols) if cols else col

    def _owned_range(self, owned: OwnedTab) -> dict[str, Any] | None:
        """The owned tab's grid, padded with "" over whatever the previous grid covered."""
        tab = self._known(owned.name)
        old_rows, old_cols = tab.extent or (0, 0)
        rows = max(len(owned.grid), old_rows)
        cols = max(max(map(len, owned.grid), default=0), old_cols)
        if not rows or not cols:
            return None
        values = [_json_row(row) + [""] * (cols - len(row)) for row in owned.grid]
        values += [[""] * cols for _ in range(rows - len(owned.grid))]
        return {
            "range": f"{quote_tab(tab.title)}!A1:{column_letter(cols)}{rows}",
            "majorDimension": "ROWS",
            "values": values,
        }

    # -- structure: create the owned tab, grow grids ------------------------------------------
    def _prepare(self, updates: Sequence[CellUpdate], owned: Sequence[OwnedTab]) -> None:
        """Send one ``spreadsheets.batchUpdate`` if a tab must be created or grown.

        A replayed ``addSheet`` (the first attempt applied, its answer lost) fails on the
        sheet's name: the tab list is then re-read and only what is still needed is sent.
        """
        requests = self._structure(updates, owned)
        if not requests:
            return
        try:
            self._batch_update(requests)
        except _AlreadyExists:
            self._fetch_metadata()
            requests = self._structure(updates, owned)
            if requests:
                self._batch_update(requests)

    def _structure(
        self, updates: Sequence[CellUpdate], owned: Sequence[OwnedTab]
    ) -> list[dict[str, Any]]:
        needs: dict[str, tuple[int, int]] = {}
        for u in updates:
            rows, cols = needs.get(u.tab, (0, 0))
            needs[u.tab] = (max(rows, u.row), max(cols, u.col))
        requests: list[dict[str, Any]] = []
        for t in owned:
            size = owned_size(t, self._tabs.get(t.name))
            tab = self._lookup(t.name)
            if tab is None:
                requests += self._add_owned(t, size)
                continue
            rows, cols = needs.get(t.name, (0, 0))
            needs[t.name] = (max(rows, size[0]), max(cols, size[1]))
            if tab.has_rules is False and t.colours and tab.sheet_id is not None:
                requests += colour_rules(tab.sheet_id, t.colours)
        for name, (rows, cols) in needs.items():
            requests += self._grow(name, rows, cols)
        return requests

    def _grow(self, name: str, rows: int, cols: int) -> list[dict[str, Any]]:
        tab = self._known(name)
        if (
            tab.rows is None
            or tab.cols is None
            or ((rows > tab.rows or cols > tab.cols) and tab.sheet_id is None)
        ):
            self._fetch_metadata()
            tab = self._known(name)
        assert tab.rows is not None
        assert tab.cols is not None
        if rows <= tab.rows and cols <= tab.cols:
            return []
        grid = {"rowCount": max(rows, tab.rows), "columnCount": max(cols, tab.cols)}
        return [
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": tab.sheet_id, "gridProperties": grid},
                    "fields": "gridProperties.rowCount,gridProperties.columnCount",
                }
            }
        ]

    def _add_owned(self, owned: OwnedTab, size: tuple[int, int]) -> list[dict[str, Any]]:
        """addSheet and its rules. The id only has to avoid the ids known: a clash (one in a
        billion) fails as "already exists", and the retry then knows every id."""
        known = [*filter(None, self._tabs.values()), *(self._listing or {}).values()]
        sheet_id = new_sheet_id(owned.name, {t.sheet_id for t in known})
        # Its own columns, not the UI's 26: every cell of a grid counts against Google's
        # 10-million-cell limit. Rows to spare (1000, or a tenth more), so that a few KPIs
        # added later do not cost a resize (two requests) on the next runs.
        grid = {"rowCount": max(1000, size[0] + size[0] // 10), "columnCount": max(1, size[1])}
        add = {
            "addSheet": {
                "properties": {"sheetId": sheet_id, "title": owned.name, "gridProperties": grid}
            }
        }
        return [add, *colour_rules(sheet_id, owned.colours)]

    def _batch_update(self, requests: list[dict[str, Any]]) -> None:
        body = {"requests": requests}
        response = self._call(
            "creating or resizing tabs",
            lambda: self.client.http_client.batch_update(self.key, body),
        )
        for request, reply in zip(requests, response.get("replies", []), strict=False):
            if "addSheet" in reply:
                props = reply["addSheet"]["properties"]
                grid = props.get("gridProperties", {})
                tab = _Tab(
                    props["title"],
                    grid.get("rowCount"),
                    grid.get("columnCount"),
                    props.get("sheetId"),
                    extent=(0, 0),
                    has_rules=True,
                )
                self._tabs[tab.title] = tab
                if self._listing is not None:
                    self._listing[tab.title] = tab
            elif "updateSheetProperties" in request:
                props = request["updateSheetProperties"]["properties"]
                for tab in filter(None, self._tabs.values()):
                    if tab.sheet_id == props["sheetId"]:
                        tab.rows = props["gridProperties"]["rowCount"]
                        tab.cols = props["gridProperties"]["columnCount"]
            elif "addConditionalFormatRule" in request:
                sheet_id = request["addConditionalFormatRule"]["rule"]["ranges"][0]["sheetId"]
                for tab in filter(None, self._tabs.values()):
                    tab.has_rules = tab.has_rules or tab.sheet_id == sheet_id

    # -- errors -----------------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], T]) -> T:
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
            raise WorkbookError(
                f"could not reach {self.endpoint} while {what}, {tally.describe()} "
                f"({', '.join(tally.causes) or type(err).__name__})"
            ) from err

    def _api_error(self, what: str, err: APIError) -> WorkbookError:
        code = err.response.status_code
        raw = str(err.error.get("message", ""))
        message = plain_text(raw)
        sheet = f"spreadsheet {self.key}"
        if code == 400:
            return _bad_request(what, raw)
        if code == 403:
            who = self.account or "the Google account whose credentials the sync uses"
            return WorkbookError(
                f"Google refused access to {sheet} while {what}: share the "
                f"spreadsheet (as Editor) with {who}"
            )
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
            return WorkbookError(
                f"Google Sheets answered HTTP {code} while {what}, "
                f"{self.adapter.last.describe()}; giving up: {message}"
            )
        return WorkbookError(f"Google Sheets refused {what}: HTTP {code}: {message}")


class _AlreadyExists(WorkbookError):
    """``addSheet`` found the name taken: a replayed request, or someone else made the tab."""


def _bad_request(what: str, message: str) -> WorkbookError:
    """A 400: the two the backend recovers from get their own types; others are reported."""
    if message.startswith(_UNPARSABLE):
        return _MissingRange(f"{what}: {plain_text(message)}", message[len(_UNPARSABLE) :])
    if "already exists" in message:
        return _AlreadyExists(f"{what}: {plain_text(message)}")
    return WorkbookError(f"Google Sheets refused {what}: HTTP 400: {plain_text(message)}")


# -- pure helpers ---------------------------------------------------------------------------
def quote_tab(name: str) -> str:
    """A tab name as an A1 range of the whole tab: ``'KPI log'``, ``'Bob''s'``."""
    return "'" + name.replace("'", "''") + "'"


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def grid_size(a1: str) -> tuple[int, int] | None:
    """Rows x columns of a whole-tab range as Google echoes it (``KPIs!A1:Z1000``)."""
    cells = a1.rpartition("!")[2].split(":")[-1]
    m = _CELL_REF.match(cells)
    return (int(m.group(2)), column_number(m.group(1))) if m else None


def tab_from(sheet: Mapping[str, Any]) -> _Tab:
    """A Sheet resource (``properties``, ``conditionalFormats``) as what the backend tracks."""
    props = sheet.get("properties", {})
    grid = props.get("gridProperties", {})
    return _Tab(
        str(props.get("title", "")),
        grid.get("rowCount"),
        grid.get("columnCount"),
        int(props.get("sheetId", 0)),
        has_rules=bool(sheet.get("conditionalFormats")),
    )


def _sheet_of(a1: str, fallback: str) -> str:
    name, bang, _ = a1.rpartition("!")
    if not bang:
        return fallback
    if name.startswith("'") and name.endswith("'"):
        return name[1:-1].replace("''", "'")
    return name


def _match(listing: Mapping[str, _Tab], name: str) -> _Tab | None:
    if name in listing:
        return listing[name]
    folded = name.strip().casefold()
    return next((t for title, t in listing.items() if title.strip().casefold() == folded), None)


def _from_json(value: Any) -> Cell:
    return None if value == "" else value


def _blanks_to_none(rows: list[list[Any]]) -> Grid:
    """The rows of a ValueRange as a grid, in place: each ``""`` (an empty cell between
    filled ones) becomes None. ``list.index`` finds them, so the cells that hold a value,
    nearly all of a million, are never visited in Python, and no second grid is built."""
    for row in rows:
        at = -1
        try:
            while True:
                at = row.index("", at + 1)
                row[at] = None
        except ValueError:
            continue
    return rows


def _json_row(row: Sequence[Cell]) -> list[str | int | float | bool]:
    """``to_json`` of each cell; short text, most of a Status tab, is passed as it is."""
    return [v if type(v) is str and len(v) <= MAX_CELL_CHARS else to_json(v) for v in row]


def to_json(value: Cell) -> str | int | float | bool:
    """A cell as ``RAW`` JSON: "" empties a cell (``null`` would leave it unchanged)."""
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else ""
    if isinstance(value, dt.datetime):
        spec = "minutes" if not value.second and not value.microsecond else "seconds"
        return value.isoformat(sep=" ", timespec=spec)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def plain_text(message: str, limit: int = 200) -> str:
    """An error message fit for one log line: HTML (a 502/503 page) reduced to its words."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", message)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def key_spans(keys: Iterable[RowKey]) -> dict[Span, tuple[int, int, int]]:
    """Per tab, for its header row and for the rows below: first row, first and last key
    column to re-read before writing (the header reaches the owned columns at the far right;
    the rows need only their key columns)."""
    spans: dict[Span, tuple[int, int, int]] = {}
    for key in keys:
        span = (key.tab, key.row == 1)
        for col, _ in key.cells:
            r0, c0, c1 = spans.get(span, (key.row, col, col))
            spans[span] = (min(r0, key.row), min(c0, col), max(c1, col))
    return spans


def moved_rows(
    keys: Iterable[RowKey],
    spans: Mapping[Span, tuple[int, int, int]],
    found: Mapping[Span, list[list[Any]]],
) -> list[str]:
    """Sentences naming each key or header cell that no longer holds what was read, header
    cells first (a column moved explains whatever else changed)."""
    moved: list[tuple[bool, str]] = []  # (below the header, sentence)
    for key in keys:
        span = (key.tab, key.row == 1)
        if span not in spans:
            continue
        r0, c0, _ = spans[span]
        rows = found.get(span, [])
        for col, expected in key.cells:
            i, j = key.row - r0, col - c0
            now = _from_json(rows[i][j]) if i < len(rows) and j < len(rows[i]) else None
            if _norm(now) != _norm(expected):
                where = f"header {column_letter(col)}1" if key.row == 1 else f"row {key.row}"
                moved.append(
                    (key.row != 1, f"tab {key.tab!r} {where}: expected {expected!r}, found {now!r}")
                )
    return [text for _, text in sorted(moved, key=lambda m: m[0])]


def value_ranges(
    updates: Iterable[CellUpdate], title_of: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Cell updates as few ValueRanges: runs of adjacent cells in a row, stacked into blocks.

    A run that changes the same columns on consecutive rows (the usual case) becomes one
    rectangle, so 5,000 rows of ``Status``/``Note``/``Checked`` are one range, not 15,000.
    """
    cells: dict[str, dict[tuple[int, int], Cell]] = {}
    for u in updates:
        cells.setdefault(u.tab, {})[(u.row, u.col)] = u.value
    out = []
    for tab, grid in cells.items():
        title = quote_tab(title_of(tab))
        for r0, c0, block in _blocks(grid):
            end = f"{column_letter(c0 + len(block[0]) - 1)}{r0 + len(block) - 1}"
            out.append(
                {
                    "range": f"{title}!{column_letter(c0)}{r0}:{end}",
                    "majorDimension": "ROWS",
                    "values": block,
                }
            )
    return out


def _blocks(grid: Mapping[tuple[int, int], Cell]) -> list[tuple[int, int, list[list[Any]]]]:
    runs: list[tuple[int, int, list[Any]]] = []
    for row, col in sorted(grid):
        if runs and runs[-1][0] == row and runs[-1][1] + len(runs[-1][2]) == col:
            runs[-1][2].append(to_json(grid[(row, col)]))
        else:
            runs.append((row, col, [to_json(grid[(row, col)])]))
    blocks: list[tuple[int, int, list[list[Any]]]] = []
    for row, col, values in runs:
        last = blocks[-1] if blocks else None
        if (
            last
            and last[0] + len(last[2]) == row
            and last[1] == col
            and len(last[2][0]) == len(values)
        ):
            last[2].append(values)
        else:
            blocks.append((row, col, [values]))
    return blocks


def owned_size(owned: OwnedTab, tab: _Tab | None) -> tuple[int, int]:
    old_rows, old_cols = tab.extent if tab is not None and tab.extent else (0, 0)
    return (max(len(owned.grid), old_rows), max(max(map(len, owned.grid), default=0), old_cols))


def new_sheet_id(title: str, taken: set[int | None]) -> int:
    """A stable id from the title, so a replayed ``addSheet`` is recognisably the same tab."""
    sheet_id = zlib.crc32(title.encode()) & 0x3FFFFFFF
    while sheet_id in taken:
        sheet_id = (sheet_id + 1) & 0x3FFFFFFF
    return sheet_id


def colour_rules(sheet_id: int, colours: Mapping[str, Colour]) -> list[dict[str, Any]]:
    """One conditional-format rule per status word, over the whole tab."""
    return [
        {
            "addConditionalFormatRule": {
                "index": i,
                "rule": {
                    "ranges": [{"sheetId": sheet_id}],
                    "booleanRule": {
                        "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": word}]},
                        "format": {"backgroundColor": dict(COLOURS[colour])},
                    },
                },
            }
        }
        for i, (word, colour) in enumerate(colours.items())
    ]
