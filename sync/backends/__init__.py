"""Workbook backends: plain grids in, cell updates out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sync.backends.base import Workbook
from sync.backends.readahead import ReadAhead
from sync.config import GoogleConfig, WorkbookConfig
from sync.errors import WorkbookError

if TYPE_CHECKING:
    from sync.backends.google.transport import Pacer


def open_workbook(
    cfg: WorkbookConfig, *, pacer: Pacer | None = None, google: GoogleConfig | None = None
) -> Workbook:
    """The backend the config names; the Google one is imported only when used, paced by
    ``pacer`` (sync/pacing.py) and retrying as ``google`` says."""
    if cfg.backend == "xlsx":
        from sync.backends.xlsx import XlsxWorkbook

        assert cfg.path is not None
        if not cfg.path.exists():
            raise WorkbookError(f"{cfg.path}: the workbook file does not exist")
        return XlsxWorkbook(cfg.path)
    from sync.backends.google import open_google

    base = (google or GoogleConfig()).retry_base
    workbook: Workbook = open_google(cfg, pacer=pacer, backoff_factor=base)
    return workbook


@contextmanager
def opened(
    wb: WorkbookConfig,
    *,
    read_ahead: Sequence[str] = (),
    pacer: Pacer | None = None,
    google: GoogleConfig | None = None,
) -> Iterator[Workbook]:
    """The workbook, closed afterwards (Google holds a connection; a file holds nothing).

    With ``read_ahead`` the read of those tabs starts at once, in the background
    (sync/backends/readahead.py); the first ``read`` of the same tabs takes its grids. Google's
    read waits on the network; python-calamine parses a file's sheets with the GIL released.
    """
    workbook = open_workbook(wb, pacer=pacer, google=google)
    ahead = ReadAhead(workbook, read_ahead) if read_ahead else None
    try:
        yield ahead or workbook
    except BaseException:
        ahead = None  # unwinding (Ctrl-C, an error): an early read still running is not
        raise  # waited for; its thread is a daemon and its answer is never looked at
    finally:
        (ahead or workbook).close()
