"""The layers of docs/architecture.md, checked on the source: imports point inwards only.

The core (vocabulary, cell parsing, frames, rules, alert decisions, write plan, Status tab)
never imports a gateway (sync.backends) or an edge (sync.notify), and each third-party
library is imported by the one module, or package, that wraps it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SYNC = Path(__file__).resolve().parent.parent / "sync"

# The shell: the modules that wire and order I/O, and the gateways and edges themselves.
SHELL = (
    "cli",
    "runner",
    "scheduler",
    "tick",
    "pacing",
    "job",
    "outbound",
    "checks",
    "starter",
    "lock",
    "sent_log",
    "monitor",
    "logs",
    "output",
    "terminal",
)
EDGES = ("backends", "notify")

# Each library, and where it may be imported (module or package paths under sync/).
LIBRARIES = {
    "gspread": ("backends.google",),
    "google": ("backends.google",),
    "openpyxl": ("backends.xlsx",),
    "python_calamine": ("backends.xlsx",),
    "lxml": ("backends.xlsx",),
    "apprise": ("notify.post",),
    "smtplib": ("notify.email",),
    "schedule": ("scheduler",),
    "jinja2": ("notify.compose",),
    "matplotlib": ("notify.chart",),
    "rich": ("terminal",),
}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SYNC.rglob("*.py")):
        parts = path.relative_to(SYNC).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__")
        out.append((name, path))
    return out


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _within(name: str, places: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in places)


def _core() -> list[tuple[str, Path]]:
    return [(n, p) for n, p in _modules() if n and not _within(n, SHELL + EDGES)]


def test_the_core_is_found_where_the_architecture_page_says() -> None:
    names = {n for n, _ in _core()}
    assert {"grid", "cells", "frames", "evaluate", "rules.kpi", "rules.okr"} <= names


@pytest.mark.parametrize(("module", "path"), _core(), ids=[n for n, _ in _core()])
def test_no_core_module_imports_a_backend_or_a_notifier(module: str, path: Path) -> None:
    outward = sorted(i for i in _imports(path) if _within(i, ("sync.backends", "sync.notify")))
    assert outward == [], f"sync/{path.relative_to(SYNC)} imports {outward}"


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_each_third_party_library_is_imported_in_one_place(library: str) -> None:
    allowed = LIBRARIES[library]
    offenders = [
        name
        for name, path in _modules()
        if any(_within(i, (library,)) for i in _imports(path)) and not _within(name, allowed)
    ]
    assert offenders == [], f"{library} imported outside {allowed}: {offenders}"


def test_pandas_stays_out_of_the_command_line_and_the_gateways() -> None:
    """The command starts the workbook's read before pandas is imported (readahead.py)."""
    places = ("cli", "backends", "lock", "monitor", "logs", "output")
    offenders = [
        name
        for name, path in _modules()
        if _within(name, places) and any(_within(i, ("pandas", "numpy")) for i in _imports(path))
    ]
    assert offenders == []
