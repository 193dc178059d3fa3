"""Workbook backends: plain grids in, cell updates out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sync.backends.base import Workbook
from sync.backends.readahead import ReadAhead
from sync.config import WorkbookConfig
from sync.errors import WorkbookError


def open_workbook(cfg: WorkbookConfig) -> Workbook:
    """The backend the config names; the Google one is imported only when used."""
    if cfg.backend == "xlsx":
        from sync.backends.xlsx import XlsxWorkbook

        assert cfg.path is not None
        if not cfg.path.exists():
            raise WorkbookError(f"{cfg.path}: the workbook file does not exist")
        return XlsxWorkbook(cfg.path)
    from sync.backends.google import open_google

    workbook: Workbook = open_google(cfg)
    return workbook


@contextmanager
def opened(wb: WorkbookConfig, *, read_ahead: Sequence[str] = ()) -> Iterator[Workbook]:
    """The workbook, closed afterwards (Google holds a connection; a file holds nothing).

    With ``read_ahead`` the read of those tabs starts at once, in the background
    (sync/backends/readahead.py); the first ``read`` of the same tabs takes its grids. Only
    for Google, where the read waits on the network: reading a file is CPU work under the
    GIL (python-calamine, expat, lxml), with nothing to overlap.
    """
    workbook = open_workbook(wb)
    ahead = ReadAhead(workbook, read_ahead) if read_ahead and wb.backend == "google" else None
    try:
        yield ahead or workbook
    except BaseException:
        ahead = None  # unwinding (Ctrl-C, an error): an early read still running is not
        raise  # waited for; its thread is a daemon and its answer is never looked at
    finally:
        (ahead or workbook).close()
