"""A workbook whose read was started before anyone asked for it.

A run cannot compute before its one read has come back: on a big sheet Google takes seconds
to answer it (about 1.5 s for a million cells, bench/RESULTS.md), and python-calamine most
of a second to parse a file's million cells, with the GIL released. The command starts the
read here, then imports the rules (pandas, numpy: about 0.4 s of CPU; hence the imports
inside ``Runner._sync`` and ``cli._status``) meanwhile, so the imports cost little or
no wall time (measured without it, at 10,000 KPIs: on Google, on a loaded machine, the
sync's time over the floor 4.7 s instead of 3.6 s; on an .xlsx file, a steady run 5.79 s
instead of 5.61 s). Nothing else happens in parallel: the caller takes the grids with
``read`` and goes on alone, and ``write`` is the inner workbook's, unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Self

from sync.backends.base import Workbook
from sync.grid import CellUpdate, Grid, Outline, OwnedTab, RowKey

Grids = dict[str, Grid | None]


class ReadAhead:
    """Wraps a workbook; the first ``read`` of the same tabs returns the early read's grids.

    A daemon thread, not an executor's: if the run is interrupted (Ctrl-C) while the read
    waits on the network, the process exits without joining it.
    """

    def __init__(self, workbook: Workbook, tabs: Sequence[str]) -> None:
        self.inner = workbook
        self._tabs = list(tabs)
        self._early: Future[Grids] | None = Future()
        threading.Thread(
            target=self._read, args=(self._early,), name="read-ahead", daemon=True
        ).start()

    def _read(self, early: Future[Grids]) -> None:
        try:
            early.set_result(self.inner.read(self._tabs))
        except BaseException as err:  # handed to the caller of read(), in its thread
            early.set_exception(err)

    def read(self, tabs: Sequence[str]) -> Grids:
        early, self._early = self._early, None
        if early is not None and list(tabs) == self._tabs:
            return early.result()  # raises what the read raised, in the caller's thread
        self._wait(early)  # one request at a time on the workbook's connection
        return self.inner.read(tabs)

    def close(self) -> None:
        """Let an early read no one took finish before the connection is closed under it."""
        early, self._early = self._early, None
        self._wait(early)
        self.inner.close()

    @staticmethod
    def _wait(early: Future[Grids] | None) -> None:
        if early is not None:
            early.exception()

    @property
    def request_count(self) -> int | None:
        return self.inner.request_count

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def title(self) -> str:
        return self.inner.title

    @property
    def url(self) -> str | None:
        return self.inner.url

    @property
    def outline(self) -> Outline | None:
        return self.inner.outline

    def write(
        self, updates: Sequence[CellUpdate], owned: Sequence[OwnedTab], keys: Sequence[RowKey] = ()
    ) -> None:
        self.inner.write(updates, owned, keys)
