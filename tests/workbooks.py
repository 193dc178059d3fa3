"""Real .xlsx workbooks and configs on disk, for the tests of the commands and the worker.

``demo_workbook`` is the bundled example (examples/make_example.py), whose alerting rows
mail on a first run; ``write_config`` writes a config beside it. ``config_text`` is that
config as text, for every test and bench that writes one (pass what differs: the workbook
section, the sender, how mail goes). Plain functions, so a subprocess test and an in-process
test see the very same files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

from sync.backends.xlsx import XlsxWorkbook
from sync.config import Job, WorkbookConfig
from sync.starter import starter_tabs

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-26T08:00"  # the example's "today"
WORKBOOK = '[workbook]\npath = "team-metrics.xlsx"\n'  # the example, beside the config


def example_module() -> Any:
    """examples/make_example.py, the bundled example's generator, as a module."""
    spec = importlib.util.spec_from_file_location(
        "make_example", ROOT / "examples" / "make_example.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def demo_workbook(path: Path) -> Path:
    example_module().build(path)
    return path


def empty_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.save(path)
    return path


def starter_workbook(path: Path) -> Path:
    """A small workbook whose rows are all healthy: what ``metrics-sync init`` writes, dated
    today. For tests about running rather than alerting (no mails, no charts to render)."""
    empty_workbook(path)
    job = Job(WorkbookConfig(backend="xlsx", path=path, name=path.stem))
    XlsxWorkbook(path).write([], starter_tabs(job, dt.date.today()))
    return path


def config_text(
    workbooks: str = WORKBOOK,
    *,
    tabs: str = "",
    recipients: Sequence[str] = ("leads@example.com",),
    email: str = 'outbox = "outbox"',
    sender: str = "metrics-sync@example.com",
    extra: str = "",
) -> str:
    """The config every test and bench writes: the given workbook section(s) (headers and
    all), a ``[tabs]`` section when ``tabs`` has keys for it, the example's cycle, the alert
    ``recipients``, and ``[email]``: how mail goes (``email``: an outbox folder beside the
    config by default) and its ``sender``. ``extra`` comes last, so keys without a header of
    their own (``host``, ``port``...) land in ``[email]``."""
    tabs_section = f"[tabs]\n{tabs}\n\n" if tabs else ""
    listed = ", ".join(f'"{r}"' for r in recipients)
    return f"""{workbooks}
{tabs_section}[okr]
start = 2026-10-01
end = 2026-12-31

[alerts]
recipients = [{listed}]

[email]
{email}
from = "{sender}"
{extra}"""


def write_config(folder: Path, workbooks: str = WORKBOOK, extra: str = "") -> Path:
    """``config_text`` in ``folder``: the given workbook section(s), an outbox."""
    cfg = folder / "metrics-sync.toml"
    cfg.write_text(config_text(workbooks, extra=extra), encoding="utf-8")
    return cfg


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tabs(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def cli_env(lock_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for a ``metrics-sync`` subprocess: our locks in ``lock_dir``."""
    return {**os.environ, "METRICS_SYNC_LOCK_DIR": str(lock_dir), **extra}


def metrics_sync(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.Popen[str]:
    """The real command in a child process (``python -m sync``), stdout and stderr piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "sync", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )  # type: ignore[call-overload]
