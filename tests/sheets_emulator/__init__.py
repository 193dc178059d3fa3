"""A Google Sheets API v4 emulator for tests: real HTTP on a loopback port, state in memory.

No maintained, writable Sheets emulator exists, and recorded cassettes cannot answer
requests nobody recorded, so this one serves what gspread 6 calls, with Google's
value semantics (see ``model``), error shapes, grid limits and atomic batches.

It is strict where a fake would be lenient: every request is checked against
Google's discovery document, and anything invalid *or not modelled here* is answered
with a 400 and recorded in ``violations`` (the ``sheets_emulator`` fixture fails the
test at teardown if any remain). Faults (429 with Retry-After, 5xx, HTML bodies,
connection resets, slow answers) are armed with :meth:`SheetsEmulator.fail`.

Typical use::

    key = emulator.create({"KPIs": [["KPI", "Value"], ["Uptime", 99.9]]})
    cfg = WorkbookConfig(backend="google", spreadsheet=key, endpoint=emulator.url)
    ...
    assert emulator.count("values.batchGet") == 1

A person editing the sheet between two requests of the client is :meth:`SheetsEmulator.before`:
``emulator.before("values.batchGet", lambda: emulator.sort_rows(key, "KPIs", 1), nth=2)``
sorts the KPIs just before the second batchGet is served. A hook that returns a :class:`Fault`
applies it to that very request (the fault hits the n-th request of a kind, whatever came
before). :meth:`SheetsEmulator.pause` holds the n-th request of a kind on arrival until the
test releases it (a client killed while waiting for an answer), and :meth:`SheetsEmulator.settle`
waits until no request is being handled, so that what a released request did is in place.
"""

from .emulator import Pause, SheetsEmulator
from .model import Formula, Sheet, Spreadsheet
from .server import Fault, LoggedRequest

__all__ = ["Fault", "Formula", "LoggedRequest", "Pause", "Sheet", "SheetsEmulator", "Spreadsheet"]
