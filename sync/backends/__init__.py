"""Workbook backends: plain grids in, cell updates out."""

from __future__ import annotations

from sync.backends.base import Workbook
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
