"""The Google Sheets backend's workbook: what a run reads and writes, in as few requests as
Google allows.

A steady run makes three requests: one ``values.batchGet`` of every tab, one small
``spreadsheets.get`` of the key cells before writing (sync/backends/google/rowkeys.py), and
one ``spreadsheets.batchUpdate`` of the cells, whose answer lists every tab. What each
request holds, and when more are needed (a missing
tab, a tab to create or grow), is told in docs/google.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, Self

import gspread
import requests
from gspread.exceptions import APIError

from sync.backends.google.api import MissingRange, RowsMovedError, SheetsApi, WriteRefused
from sync.backends.google.payload import (
    Block,
    as_read,
    bodies,
    changed_blocks,
    value_blocks,
    whole_tab,
)
from sync.backends.google.ranges import (
    cells,
    columns_from,
    quote_tab,
    spreadsheet_key,
)
from sync.backends.google.rowkeys import Span, as_written, key_spans, moved_rows
from sync.backends.google.structure import prepare
from sync.backends.google.tabs import METADATA_FIELDS, Tabs, grid_rows, tab_from
from sync.backends.google.transport import (
    GOOGLE_PREFIXES,
    RETRY_STATUSES,
    Pacer,
    SheetsAdapter,
    Tally,
    check_endpoint,
    retry_policy,
    session,
)
from sync.config import WorkbookConfig
from sync.errors import WorkbookError
from sync.grid import CellUpdate, Grid, Outline, OwnedTab, RowKey

log = logging.getLogger("metrics_sync")

REQUEST_BYTES = 2_000_000  # Google advises 2 MB a request at most; it refuses 10 MiB
# The key check: the key cells, and the properties (id, grid) of the tabs they are on.
KEY_FIELDS = (
    "properties.title,sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),"
    "conditionalFormats(ranges(sheetId)),data(startRow,startColumn,rowData(values(effectiveValue))))"
)
WRITE_FIELDS = f"updatedSpreadsheet({METADATA_FIELDS})"  # the title and every tab, after


def open_google(
    cfg: WorkbookConfig,
    *,
    retry_budget: float = 120.0,
    timeout: tuple[float, float] = (10, 60),
    backoff_factor: float = 0.5,
    max_attempts: int = 8,
    max_request_bytes: int = REQUEST_BYTES,
    pacer: Pacer | None = None,
) -> GoogleWorkbook:
    """Open ``cfg.spreadsheet`` (a key or a docs.google.com URL). No request is made yet.

    ``retry_budget`` bounds, per request, the time spent retrying; ``timeout`` is the
    (connect, read) timeout of every request; ``backoff_factor`` scales the exponential
    waits before the 1st, 2nd, 3rd... retry when Google sends no ``Retry-After`` (0.5 s, 1 s,
    2 s, ..., each plus up to ``backoff_factor`` at random, at most 30 s).
    ``max_request_bytes`` caps a write's request body (Google refuses 10 MiB, advises 2 MB).
    ``pacer`` (sync/pacing.py) spends the credential's quota and bounds waits by the run's
    deadline.
    Raises ``ConfigError`` for a bad key or endpoint, ``WorkbookError`` for credentials.
    """
    key = spreadsheet_key(cfg.spreadsheet or "", cfg.name)
    endpoint, loopback = check_endpoint(cfg.endpoint, cfg.name)
    http, creds = session(cfg.credentials, loopback)
    policy = retry_policy(backoff_factor, max_attempts)
    adapter = SheetsAdapter(endpoint, policy, retry_budget, pacer)
    for prefix in GOOGLE_PREFIXES:
        http.mount(prefix, adapter)
    client = gspread.Client(auth=None, session=http)  # type: ignore[arg-type]
    client.set_timeout(timeout)
    api = SheetsApi(client, key, adapter=adapter, credentials=creds, endpoint=endpoint)
    return GoogleWorkbook(api, max_request_bytes=max_request_bytes)


def refused(err: WriteRefused, held: Sequence[Block], done: int, pieces: int) -> WorkbookError:
    """Google refused one range of a write: name it, and how much of the write went through
    (each request is atomic: nothing of the refused one)."""
    where = held[err.index].a1() if err.index < len(held) else "a range"
    went = f"the first {done} of {pieces} requests went through" if done else "nothing was written"
    return WorkbookError(f"Google Sheets refused to write {where}: {err.said}; {went}")


class GoogleWorkbook:
    """A Google spreadsheet as a :class:`sync.backends.base.Workbook`. Use :func:`open_google`.

    Remembers, between ``read`` and ``write``, what each tab's grid looks like, so that a
    steady run needs no metadata request. Not thread-safe; one instance per run.
    """

    def __init__(self, api: SheetsApi, *, max_request_bytes: int = REQUEST_BYTES) -> None:
        self.api = api
        self.max_request_bytes = max_request_bytes
        self.tabs = Tabs(api)
        self._last_read: list[str] = []  # re-read whole when rows moved

    @property
    def title(self) -> str:
        if self.tabs.title is None:
            self.tabs.fetch()
        assert self.tabs.title is not None
        return self.tabs.title

    @property
    def key(self) -> str:
        return self.api.key

    @property
    def client(self) -> gspread.Client:
        return self.api.client

    @property
    def url(self) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.key}"

    @property
    def outline(self) -> Outline | None:
        """The title and every tab, known after a write (its answer) or a tab-list request."""
        return self.tabs.outline

    @property
    def request_count(self) -> int:
        """HTTP requests sent to the Sheets API so far, retries included (the CLI logs it)."""
        return self.api.adapter.sent

    def close(self) -> None:
        self.api.close()

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
        self._last_read = list(dict.fromkeys([*self._last_read, *names]))  # all, for a re-read
        result: dict[str, Grid | None] = dict.fromkeys(names)
        wanted = [
            n for n in names if n not in self.tabs.by_name or self.tabs.by_name[n] is not None
        ]
        for name, value_range in self._read_values(wanted).items():
            result[name] = self.tabs.remember(name, value_range)
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
            ranges = {
                quote_tab(tab.title if (tab := self.tabs.by_name.get(n)) else n): n for n in wanted
            }
            try:
                return dict(zip(wanted, self.api.batch_get(list(ranges), wanted), strict=True))
            except MissingRange as err:
                missing = ranges.get(err.range_text)
                if missing is None:
                    break
                self.tabs.by_name[missing] = None
                wanted.remove(missing)
        self.tabs.fetch()
        wanted = [n for n in names if self.tabs.lookup(n) is not None]
        if not wanted:
            return {}
        ranges = {quote_tab(self.tabs.known(n).title): n for n in wanted}
        return dict(zip(wanted, self.api.batch_get(list(ranges), wanted), strict=True))

    # -- write ------------------------------------------------------------------------------
    def write(
        self, updates: Sequence[CellUpdate], owned: Sequence[OwnedTab], keys: Sequence[RowKey] = ()
    ) -> None:
        """Check row keys, create or grow tabs if needed, then write the cells that change.

        One ``values.batchUpdate`` unless the cells exceed ``max_request_bytes``: then as
        many as it takes, in order, the row keys checked again before each (docs/reliability.md
        says what a write cut short leaves behind).
        """
        if not updates and all(map(self._settled, owned)):
            return  # nothing to write: not even the key check is needed
        self._check_keys(keys, owned)
        prepare(self.tabs, updates, owned)
        blocks = value_blocks(updates, lambda name: self.tabs.known(name).title)
        for tab in owned:
            blocks += self._owned_blocks(tab)
        pieces = bodies(blocks, self.max_request_bytes, self.tabs.sheet_id)
        for i, (body, held) in enumerate(pieces):
            if i:  # rows a person moves meanwhile are caught before each request, as before one
                self._check_keys(
                    keys,
                    (),
                    written=f"the write's first {i} of {len(pieces)} requests went through",
                )
            part = f" (request {i + 1} of {len(pieces)})" if len(pieces) > 1 else ""
            what = f"writing {len(held)} range(s){part}"
            try:
                answer = self._send(body, what, keys, i, len(pieces))
            except WriteRefused as err:
                raise refused(err, held, i, len(pieces)) from err
            if i + 1 < len(pieces):  # what this request wrote is no person's edit
                keys = as_written(keys, held, lambda name: self.tabs.known(name).title)
            if "updatedSpreadsheet" in answer:
                self.tabs.learn_all(answer["updatedSpreadsheet"])
        for tab in owned:
            known = self.tabs.known(tab.name)
            known.extent = (len(tab.grid), max(map(len, tab.grid), default=0))
            known.values = as_read(tab.grid)  # a second write in this run sends what changes

    def _send(
        self, body: bytes, what: str, keys: Sequence[RowKey], i: int, pieces: int
    ) -> Mapping[str, Any]:
        """One write request, retried here rather than in the transport: after a 429, a 5xx
        or a lost connection, the row keys are checked again before the cells are sent
        again, since a person may have sorted the rows during the wait."""
        adapter = self.api.adapter
        deadline = adapter.deadline()
        adapter.carry = Tally()  # one account of the attempts, for the error message
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    return self.api.write_cells(body, WRITE_FIELDS, what)
                except WriteRefused:
                    raise  # Google named what it refused: sending it again changes nothing
                except WorkbookError as err:
                    wait = self._retry_wait(err, attempt)
                    if wait is None or time.monotonic() + wait > deadline:
                        raise
                    log.info("%s; retrying in %.1f s, after checking the rows again", err, wait)
                self._recheck(wait, keys, i, pieces)
        finally:
            adapter.carry = None

    def _recheck(self, wait: float, keys: Sequence[RowKey], i: int, pieces: int) -> None:
        """The wait before a write is sent again, then the row keys checked again."""
        time.sleep(wait)
        done = f"the write's first {i} of {pieces} requests went through; " if i else ""
        self._check_keys(keys, (), written=f"{done}the retried request was not sent")

    def _retry_wait(self, err: WorkbookError, attempt: int) -> float | None:
        """The wait before sending a refused write again, or None if it is not retried."""
        cause = err.__cause__
        if isinstance(cause, APIError):
            if cause.response.status_code not in RETRY_STATUSES:
                return None
            return self.api.adapter.next_wait(attempt, cause.response.headers.get("Retry-After"))
        if isinstance(cause, requests.RequestException):
            return self.api.adapter.next_wait(attempt, None)
        return None

    def _check_keys(
        self,
        keys: Sequence[RowKey],
        owned: Sequence[OwnedTab],
        written: str = "nothing was written",
    ) -> None:
        """One small batchGet: the key columns of rows to write, the header cells above the
        columns written to (row 1 is its own range, so that it does not widen the other),
        owned tabs not yet seen, and one cell of each owned tab seen, which tells that it
        is still there: a Status tab deleted during the run is then created again, where
        the write would otherwise fail on it."""
        spans = key_spans(keys)
        unseen = [t.name for t in owned if self._extent_unknown(t.name)]
        probes = [t.name for t in owned if t.name not in unseen and self.tabs.by_name.get(t.name)]
        try:
            found = self._read_for_write(spans, unseen, probes)
        except MissingRange:
            self.tabs.fetch()
            for name, _ in spans:
                if self.tabs.by_name.get(name) is None:
                    raise RowsMovedError(
                        f"tab {name!r} disappeared during the run; {written}",
                        self._reread(spans),
                    ) from None
            found = self._read_for_write(
                spans,
                [n for n in unseen if self.tabs.lookup(n)],
                [n for n in probes if self.tabs.lookup(n)],
            )
        moved = moved_rows(keys, spans, found)
        if moved:
            what = "columns" if " header " in moved[0] else "rows"
            more = f" and {len(moved) - 1} more" if len(moved) > 1 else ""
            raise RowsMovedError(
                f"{what} changed while the sync ran ({moved[0]}{more}); {written}",
                self._reread(spans),
            )

    def _reread(self, spans: Mapping[Span, tuple[int, int, int]]) -> dict[str, Grid | None]:
        """Every tab of the last read, as it is now (one request), for the caller to re-map."""
        tabs = dict.fromkeys(name for name, _ in spans)
        return self.read([*self._last_read, *(n for n in tabs if n not in self._last_read)])

    def _extent_unknown(self, name: str) -> bool:
        """True if an owned tab may exist but what it holds was not read yet."""
        if name not in self.tabs.by_name:
            return True
        tab = self.tabs.by_name[name]
        return tab is not None and tab.extent is None

    def _read_for_write(
        self,
        spans: Mapping[Span, tuple[int, int, int]],
        unseen: Sequence[str],
        probes: Sequence[str] = (),
    ) -> dict[Span, list[list[Any]]]:
        ranges = [
            columns_from(
                self.tabs.known(tab).title,
                r0,
                c0,
                self._within_grid(tab, c1),
                last_row=1 if header else None,
            )
            for (tab, header), (r0, c0, c1) in spans.items()
        ]
        ranges += [quote_tab(tab.title if (tab := self.tabs.by_name.get(n)) else n) for n in unseen]
        ranges += [quote_tab(self.tabs.known(n).title, "A1") for n in probes]
        if not ranges:
            return {}
        names = [*dict.fromkeys(tab for tab, _ in spans), *unseen, *probes]
        what = "checking the rows of " + ", ".join(repr(n) for n in dict.fromkeys(names))
        meta = self.api.metadata(KEY_FIELDS, ranges, what)
        self.tabs.learn_some(meta)
        found = grid_rows(meta, ranges)
        for name, (sheet, rows) in zip(unseen, found[len(spans) :], strict=False):
            tab = self.tabs.by_name[name] = tab_from(sheet)
            size = (tab.rows or max(len(rows), 1), tab.cols or 1)
            self.tabs.remember(name, {"range": cells(tab.title, (1, 1), size), "values": rows})
        return {span: rows for span, (_, rows) in zip(spans, found, strict=False)}

    def _within_grid(self, name: str, col: int) -> int:
        """``col``, or the grid's last column if ``col`` is beyond it: a column the write is
        about to add (the grid grows first) is empty, and Google refuses to read past the grid
        ("exceeds grid limits"), so only the header cells that exist are checked."""
        cols = self.tabs.known(name).cols
        return min(col, cols) if cols else col

    def _settled(self, owned: OwnedTab) -> bool:
        """True if the owned tab, as read, already holds ``owned.grid`` and its rules."""
        tab = self.tabs.by_name.get(owned.name)
        if tab is None or tab.values is None or (tab.has_rules is False and owned.colours):
            return False
        return not changed_blocks(tab.title, owned.grid, tab.values, tab.extent or (0, 0))

    def _owned_blocks(self, owned: OwnedTab) -> list[Block]:
        """The cells of the owned tab that change, or the whole grid if what it holds is not
        known; padded with "" over whatever the previous grid covered."""
        tab = self.tabs.known(owned.name)
        extent = tab.extent or (0, 0)
        if tab.values is not None:
            return changed_blocks(tab.title, owned.grid, tab.values, extent)
        whole = whole_tab(tab.title, owned.grid, extent)
        return [whole] if whole is not None else []
