"""The emulator as the tests drive it: spreadsheets created and inspected, faults armed,
a person's edits between two requests, requests held and released.

The HTTP side is ``server`` (routing, faults) and ``api`` (the methods); the values and
their semantics are ``model``. Usage: the package's docstring.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .a1 import format_range
from .discovery import Discovery
from .model import Sheet, Spreadsheet, Stored, build, put_python, python_grid
from .quota import Protection, Quota
from .server import (
    DENIALS,
    MAX_REQUEST_BYTES,
    TOKEN_PATH,
    Fault,
    LoggedRequest,
    Router,
    _Armed,
    _Handler,
    _Reply,
    _Server,
    auth_error,
    error_reply,
)

_DISCOVERY: Discovery | None = None


def _discovery() -> Discovery:
    global _DISCOVERY  # noqa: PLW0603 - parsed once per test session: it is 1 MB of JSON
    if _DISCOVERY is None:
        _DISCOVERY = Discovery()
    return _DISCOVERY


@dataclass
class _Hook:
    api: str
    remaining: int
    action: Callable[[], object]


class Pause:
    """A request held on arrival (see :meth:`SheetsEmulator.pause`).

    ``arrived`` is set once the request is held; :meth:`release` lets it go on, served as
    usual or with a :class:`Fault` (``Fault.connection_reset()``: never served, as if the
    client had died before sending it; ``Fault.lost_response()``: served, but the answer
    never arrives).
    """

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self._released = threading.Event()
        self._fault: Fault | None = None

    def release(self, fault: Fault | None = None) -> None:
        self._fault = fault
        self._released.set()

    def hold(self, stopping: threading.Event) -> Fault | None:
        self.arrived.set()
        while not self._released.wait(0.05):  # polls only to notice the emulator stopping
            if stopping.is_set():
                return Fault.connection_reset()
        return self._fault


def _sort_key(cell: Stored | None) -> tuple[int, float, str]:
    if cell is None:
        return (2, 0.0, "")
    if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
        return (0, float(cell.value), "")
    return (1, 0.0, str(cell.value).casefold())


class SheetsEmulator:
    """Start with :meth:`start` (or ``with``); point a client at :attr:`url`."""

    def __init__(self) -> None:
        self.router = Router(_discovery())
        # Google refuses a larger request body; a test may lower it to show a split cheaply.
        self.max_request_bytes = MAX_REQUEST_BYTES
        self.requests: list[LoggedRequest] = []
        self.stopping = threading.Event()
        self._faults: list[_Armed] = []
        self._hooks: list[_Hook] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._next_sheet_id = 1000
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)
        self.quota: Quota | None = None  # Google's per-user quota, once :meth:`limit` arms it
        self.granted: dict[str, frozenset[str]] | None = None  # None: tokens not checked

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> SheetsEmulator:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.emulator = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.005},
            name="sheets-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SheetsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to use as ``[workbook] endpoint`` (no ``/v4``)."""
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_uri(self) -> str:
        """An OAuth token endpoint: use it as a credentials file's ``token_uri``."""
        return f"{self.url}{TOKEN_PATH}"

    # -- spreadsheets -----------------------------------------------------------------
    def create(
        self,
        tabs: Mapping[str, Sequence[Sequence[object]]],
        *,
        title: str = "Team metrics",
        key: str | None = None,
        rows: int | None = None,
        cols: int | None = None,
    ) -> str:
        """A spreadsheet with one sheet per grid (dates become serial numbers); returns its key."""
        key = key or uuid.uuid4().hex + "x" * 12
        with self.router.lock:
            self.router.books[key] = build(
                key, title, tabs, rows=rows, cols=cols, first_id=self._next_sheet_id
            )
            self._next_sheet_id += len(tabs)
        return key

    def spreadsheet(self, key: str) -> Spreadsheet:
        return self.router.books[key]

    def sheet(self, key: str, tab: str) -> Sheet:
        sheet = self.spreadsheet(key).find(tab)
        if sheet is None:
            raise KeyError(f"no tab {tab!r} in {key}")
        return sheet

    def tabs(self, key: str) -> list[str]:
        return [s.title for s in sorted(self.spreadsheet(key).sheets, key=lambda s: s.index)]

    def grid(self, key: str, tab: str) -> list[list[object]]:
        """What the tab holds, ragged as Google returns it; formulas as :class:`Formula`."""
        return python_grid(self.sheet(key, tab))

    def formulas(self, key: str) -> list[tuple[str, str, str]]:
        """Every formula cell as (tab, A1 cell, text): empty unless something was injected."""
        return [
            (s.title, format_range(s.title, r, c, r + 1, c + 1).rpartition("!")[2], cell.formula)
            for s in self.spreadsheet(key).sheets
            for (r, c), cell in sorted(s.cells.items())
            if cell.formula is not None
        ]

    def create_tab(self, key: str, tab: str, grid: Sequence[Sequence[object]] = ()) -> None:
        """Add a tab at the end, as a person does with the + button, holding ``grid``."""
        with self.router.lock:
            book = self.spreadsheet(key)
            sheet = Sheet(self._next_sheet_id, tab, len(book.sheets))
            self._next_sheet_id += 1
            put_python(sheet, 0, 0, grid)
            book.sheets.append(sheet)

    def put(self, key: str, tab: str, row: int, col: int, grid: Sequence[Sequence[object]]) -> None:
        """Edit cells as a person would, starting at 1-based (row, col)."""
        with self.router.lock:
            put_python(self.sheet(key, tab), row - 1, col - 1, grid)

    def insert_rows(
        self, key: str, tab: str, before: int, grid: Sequence[Sequence[object]]
    ) -> None:
        """Insert rows above 1-based row ``before``, as a person does in the UI."""
        with self.router.lock:
            sheet = self.sheet(key, tab)
            n = len(grid)
            sheet.cells = {
                ((r + n, c) if r >= before - 1 else (r, c)): v for (r, c), v in sheet.cells.items()
            }
            sheet.row_count += n
            put_python(sheet, before - 1, 0, grid)

    def delete_rows(self, key: str, tab: str, first: int, count: int = 1) -> None:
        """Delete ``count`` rows from 1-based row ``first``; the rows below move up."""
        with self.router.lock:
            sheet = self.sheet(key, tab)
            gone = range(first - 1, first - 1 + count)
            sheet.cells = {
                ((r - count, c) if r >= gone.stop else (r, c)): v
                for (r, c), v in sheet.cells.items()
                if r not in gone
            }
            sheet.row_count -= count

    def sort_rows(
        self, key: str, tab: str, column: int, *, first: int = 2, reverse: bool = False
    ) -> None:
        """Sort rows ``first``.. by 1-based ``column``, as Data > Sort range does: whole rows
        move, numbers before text, empty cells last whichever the direction."""
        with self.router.lock:
            sheet = self.sheet(key, tab)
            rows: dict[int, dict[int, Stored]] = {}
            for (r, c), cell in sheet.cells.items():
                if r >= first - 1:
                    rows.setdefault(r, {})[c] = cell
            filled = sorted(rows, key=lambda r: _sort_key(rows[r].get(column - 1)), reverse=reverse)
            blank = [r for r in filled if column - 1 not in rows[r]]
            order = [r for r in filled if column - 1 in rows[r]] + sorted(blank)
            moved = {
                (first - 1 + i, c): cell for i, r in enumerate(order) for c, cell in rows[r].items()
            }
            sheet.cells = {k: v for k, v in sheet.cells.items() if k[0] < first - 1} | moved

    def insert_columns(self, key: str, tab: str, before: int, count: int = 1) -> None:
        """Insert ``count`` empty columns left of 1-based column ``before``."""
        with self.router.lock:
            sheet = self.sheet(key, tab)
            sheet.cells = {
                ((r, c + count) if c >= before - 1 else (r, c)): v
                for (r, c), v in sheet.cells.items()
            }
            sheet.column_count += count

    def delete_columns(self, key: str, tab: str, first: int, count: int = 1) -> None:
        """Delete ``count`` columns from 1-based column ``first``; the columns right of them
        move left."""
        with self.router.lock:
            sheet = self.sheet(key, tab)
            gone = range(first - 1, first - 1 + count)
            sheet.cells = {
                ((r, c - count) if c >= gone.stop else (r, c)): v
                for (r, c), v in sheet.cells.items()
                if c not in gone
            }
            sheet.column_count -= count

    def move_column(self, key: str, tab: str, column: int, to: int) -> None:
        """Drag 1-based ``column`` so that it becomes column ``to``, as a person does by its
        header: the columns in between shift by one."""
        with self.router.lock:
            sheet = self.sheet(key, tab)
            src, dst = column - 1, to - 1

            def moved(c: int) -> int:
                if c == src:
                    return dst
                if src < c <= dst:
                    return c - 1
                if dst <= c < src:
                    return c + 1
                return c

            sheet.cells = {(r, moved(c)): v for (r, c), v in sheet.cells.items()}

    def before(self, api: str, action: Callable[[], object], *, nth: int = 1) -> None:
        """Run ``action`` on the server just before the ``nth`` next ``api`` request is served
        (``"values.batchGet"``, ``"values.batchUpdate"``, ...): a person editing the sheet
        between two requests of the client, at a point the test chooses. If ``action``
        returns a :class:`Fault`, that request gets it."""
        with self._lock:
            self._hooks.append(_Hook(api, nth, action))

    def pause(self, api: str, *, nth: int = 1) -> Pause:
        """Hold the ``nth`` next ``api`` request on arrival until :meth:`Pause.release`."""
        pause = Pause()
        self.before(api, lambda: pause.hold(self.stopping), nth=nth)
        return pause

    def run_hooks(self, api: str) -> Fault | None:
        """Run the hooks due at this request; the last fault one of them returned, if any."""
        due = []
        with self._lock:
            for hook in self._hooks:
                if hook.api == api:
                    hook.remaining -= 1
                    if hook.remaining == 0:
                        due.append(hook)
            self._hooks = [h for h in self._hooks if h.remaining > 0]
        fault = None
        for hook in due:
            result = hook.action()
            if isinstance(result, Fault):
                fault = result
        return fault

    def entered(self) -> None:
        with self._lock:
            self._in_flight += 1

    def left(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._idle.notify_all()

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until no request is being handled (one released from a pause has finished);
        a request held by :meth:`Fault.slow` counts as being handled."""
        with self._lock:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"{self._in_flight} request(s) still being handled")

    def limit(
        self,
        reads: int = 60,
        writes: int = 60,
        *,
        window: float = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> Quota:
        """Enforce Google's per-user quota from now on (Google: 60 and 60 a minute); a test
        may shorten the window, or pass a clock it moves itself (tests/sheets_emulator/quota.py)."""
        self.quota = Quota(reads, writes, window, clock) if clock else Quota(reads, writes, window)
        return self.quota

    def over_quota(self, api: str, user: str | None) -> _Reply | None:
        if self.quota is None or api == "?":
            return None
        over = self.quota.admit(api, user)
        return None if over is None else error_reply(over[0], over[1], details=over[2])

    def protect(
        self,
        key: str,
        tab: str,
        cells: tuple[int | None, int | None, int | None, int | None] = (None, None, None, None),
        *,
        can_edit: bool = False,
        warning_only: bool = False,
        description: str = "",
    ) -> None:
        """Protect ``cells`` of ``tab`` (0-based row0, col0, row1, col1, ends exclusive;
        ``None``: to the edge; all ``None``: the whole tab), as its owner would."""
        with self.router.lock:
            shields = self.router.protections.setdefault(key, [])
            sheet_id = self.sheet(key, tab).sheet_id
            shields.append(
                Protection(sheet_id, *cells, can_edit, warning_only, description, len(shields) + 1)
            )

    def as_office_file(self, key: str) -> None:
        """This spreadsheet is an Office file (.xlsx) stored in Drive, not converted: Google
        answers every Sheets API request with 400 FAILED_PRECONDITION."""
        self.spreadsheet(key).office = True

    def check_tokens(self) -> None:
        """From now on every Sheets request needs a token this emulator issued (at
        :attr:`token_uri`) or :meth:`grant`-ed: 401 without one, 403 ("insufficient
        authentication scopes") if it lacks the spreadsheets (or drive) scope."""
        with self._lock:
            self.granted = {}

    def grant(self, token: str, scopes: set[str]) -> None:
        """Make ``token`` valid with ``scopes`` (a token a credentials file already holds)."""
        with self._lock:
            self.granted = {**(self.granted or {}), token: frozenset(scopes)}

    def issue(self, scopes: frozenset[str]) -> str:
        """A token for the token endpoint: ``emulator-token`` until tokens are checked, then
        one per request, carrying the scopes asked for."""
        with self._lock:
            if self.granted is None:
                return "emulator-token"
            token = f"emulator-token-{len(self.granted) + 1}"
            self.granted[token] = scopes
            return token

    def refused(self, authorization: str | None) -> _Reply | None:
        with self._lock:
            granted = self.granted
        return None if granted is None else auth_error(authorization, granted)

    def deny(self, key: str, why: str = "not shared") -> None:
        """From now on this spreadsheet answers 403 as Google does when it is ``not shared``
        with the caller, when the Sheets API is ``disabled`` in the caller's project, or when
        the token lacks the Sheets ``scope`` (a VM's default scopes, ADC without --scopes)."""
        assert why in DENIALS, f"one of {sorted(DENIALS)}"
        self.spreadsheet(key).denied = why

    # -- faults and the log ---------------------------------------------------------------
    def fail(
        self, fault: Fault, *, times: int = 1, method: str | None = None, path: str | None = None
    ) -> None:
        """Apply ``fault`` to the next ``times`` requests (matching ``method``/``path`` regex)."""
        with self._lock:
            self._faults.append(
                _Armed(fault, times, method, re.compile(path) if path is not None else None)
            )

    def next_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for armed in self._faults:
                if armed.matches(method, path):
                    armed.remaining -= 1
                    return armed.fault
        return None

    def log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def count(self, api: str | None = None) -> int:
        """Requests served so far (faulted ones included), optionally of one method only."""
        return sum(1 for r in self.requests if api is None or r.api == api)

    def apis(self) -> list[str]:
        return [r.api for r in self.requests]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    @property
    def violations(self) -> list[str]:
        return self.router.violations

    def take_violations(self) -> list[str]:
        """Return and forget the violations (for a test that provokes one on purpose)."""
        with self.router.lock:
            taken = list(self.router.violations)
            self.router.violations.clear()
        return taken

    def __repr__(self) -> str:
        return f"<SheetsEmulator {self.url if self._server else '(stopped)'}>"
