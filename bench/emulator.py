"""The Sheets API emulator (tests/sheets_emulator) in a process of its own.

The benchmark measures the sync and its floor as child processes; serving from yet another
process keeps the emulator's CPU time and memory out of theirs. Workbooks are generated in
the emulator's process (a few million cells never cross the pipe); the request log comes
back as plain records, each with the server's own time to answer it.

    with EmulatorProcess() as emu:
        key = emu.create(kpis=1_000, weeks=104)
        ...  # point metrics-sync at emu.url
        log = emu.take_log()
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"


@dataclass(frozen=True)
class Request:
    """One request as the emulator served it."""

    api: str  # "values.batchGet", "values.batchUpdate", "batchUpdate", "get", ...
    method: str
    path: str
    params: dict[str, list[str]]
    sent: int  # request body bytes
    received: int  # response body bytes
    status: int
    body: Any  # the decoded JSON body, kept only when asked for (the floor replays it)


class EmulatorProcess:
    """A client for the emulator process; start with ``with`` or :meth:`start`."""

    def __init__(self) -> None:
        self._conn: Connection | None = None
        self._proc: mp.process.BaseProcess | None = None
        self.url = ""

    def start(self) -> EmulatorProcess:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), name="sheets-emulator", daemon=True)
        self._proc.start()
        self.url = self._call("url")
        return self

    def stop(self) -> None:
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            self._call("stop")
            self._proc.join(timeout=10)

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, command: str, *args: Any) -> Any:
        assert self._conn is not None, "start() the emulator first"
        self._conn.send((command, args))
        ok, value = self._conn.recv()
        if not ok:
            raise RuntimeError(f"emulator process: {value}")
        return value

    def create(self, kpis: int, weeks: int, *, spare_cols: int = 0) -> tuple[str, int, float]:
        """A spreadsheet of the benchmark's workbook: (key, cells, seconds to build it).

        ``spare_cols``: empty columns beyond the widest tab's last, as a sheet people have
        worked in has (the grid is otherwise exactly as wide as the data or 26 columns).
        """
        key, cells, seconds = self._call("create", kpis, weeks, spare_cols)
        return key, cells, seconds

    def drop(self, key: str) -> None:
        """Forget a spreadsheet (its memory goes back to the emulator's heap)."""
        self._call("drop", key)

    def take_log(self, *, bodies: bool = False) -> tuple[list[Request], list[float], list[str]]:
        """The requests since the last call, the server's time on each, and violations."""
        entries, server, violations = self._call("log", bodies)
        return [Request(**e) for e in entries], server, violations

    def rss_mb(self) -> float:
        return float(self._call("rss"))


def _serve(conn: Connection) -> None:
    """The emulator process: answer commands until told to stop."""
    sys.path.insert(0, str(TESTS))
    from sheets_emulator import SheetsEmulator

    gc.set_threshold(100_000, 50, 1000)  # millions of long-lived cells: collect rarely
    emulator = SheetsEmulator().start()
    timer = _ServeTimer(emulator)
    while True:
        command, args = conn.recv()
        try:
            result = _command(emulator, timer, command, args)
        except Exception as err:  # any failure goes back to the driver, which stops
            conn.send((False, f"{type(err).__name__}: {err}"))
            continue
        conn.send((True, result))
        if command == "stop":
            emulator.stop()
            return


class _ServeTimer:
    """Wraps the router so that the time the server spends on each request is recorded."""

    def __init__(self, emulator: Any) -> None:
        self.seconds: list[float] = []
        serve = emulator.router.serve

        def timed(*args: Any) -> Any:
            start = time.perf_counter()
            try:
                return serve(*args)
            finally:
                self.seconds.append(time.perf_counter() - start)

        emulator.router.serve = timed


def _command(emulator: Any, timer: _ServeTimer, command: str, args: tuple[Any, ...]) -> Any:
    if command == "url":
        return emulator.url
    if command == "create":
        from bench.workbook import cells, make_workbook

        kpis, weeks, spare = args
        start = time.perf_counter()
        tabs = make_workbook(kpis, weeks)
        width = max(len(row) for grid in tabs.values() for row in grid)
        key = emulator.create(tabs, cols=max(26, width + spare) if spare else None)
        size = cells(tabs)
        del tabs
        gc.collect()
        gc.freeze()  # the seeded cells live for the whole benchmark: never scan them again
        return key, size, time.perf_counter() - start
    if command == "drop":
        with emulator.router.lock:
            emulator.router.books.pop(args[0], None)
        gc.unfreeze()
        gc.collect()
        return None
    if command == "log":
        with emulator._lock:  # the emulator's own lock: a consistent snapshot
            taken = list(emulator.requests)
            emulator.requests.clear()
        server, timer.seconds = timer.seconds, []
        return [_record(r, bodies=args[0]) for r in taken], server, emulator.take_violations()
    if command == "rss":
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if command == "stop":
        return None
    raise ValueError(f"unknown command {command!r}")


def _record(r: Any, *, bodies: bool) -> dict[str, Any]:
    return {
        "api": r.api,
        "method": r.method,
        "path": r.path,
        "params": dict(r.params),
        "sent": r.body_size,
        "received": r.response_size,
        "status": r.status,
        "body": r.body if bodies else None,
    }
