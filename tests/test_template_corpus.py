"""Public KPI and OKR templates, recreated as published (tests/data/README.md cites each), run
with a config only: ``check`` passes, the run writes the statuses and progress computed by
hand, and no cell outside the sync's own columns and Status tab changes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sync.cells import name_key as header_key
from sync.cli import main
from sync.config import OWNED_COLUMNS, load

SPEC = importlib.util.spec_from_file_location(
    "make_corpus", Path(__file__).parent / "data" / "make_corpus.py"
)
assert SPEC is not None
assert SPEC.loader is not None
corpus = sys.modules.get("make_corpus") or importlib.util.module_from_spec(SPEC)
if "make_corpus" not in sys.modules:
    sys.modules["make_corpus"] = corpus  # dataclasses look their module up there
    SPEC.loader.exec_module(corpus)
TEMPLATES = list(corpus.TEMPLATES.values())
Cells = dict[tuple[str, str], Any]


@pytest.fixture(autouse=True)
def lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))


def cells(path: Path) -> Cells:
    book = openpyxl.load_workbook(path)
    return {
        (ws.title, c.coordinate): c.value
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }


def owned_headers(config: Path) -> dict[str, dict[str, str]]:
    """Per synced tab, the sync's own header texts (after renames) by column id."""
    job = load(config).jobs[0]
    tabs = {"kpis": job.tabs.kpis, "okrs": job.tabs.okrs}
    return {
        tab: {cid: header_key(job.columns_for(kind)[cid]) for cid in OWNED_COLUMNS}
        for kind, tab in tabs.items()
        if tab
    }


def sync_columns(path: Path, config: Path) -> dict[str, dict[str, str]]:
    """Tab -> column id -> letter of the sync's columns as written (on the header row)."""
    book = openpyxl.load_workbook(path)
    found: dict[str, dict[str, str]] = {}
    for tab, names in owned_headers(config).items():
        ws = book[tab]
        for line in ws.iter_rows(min_row=1, max_row=20):
            at = {header_key(c.value): c.column_letter for c in line if c.value is not None}
            if header_key(names["checked"]) in at:
                found[tab] = {cid: at[n] for cid, n in names.items() if n in at}
                break
    return found


@pytest.mark.parametrize("t", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_a_public_template_runs_with_a_config_only(
    t: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus.build_templates(tmp_path)
    path, config = tmp_path / f"{t.name}.xlsx", tmp_path / f"{t.name}.toml"
    before = cells(path)
    assert main(["check", "--as-of", t.as_of, "--config", str(config)]) == 0
    assert "ready to run" in capsys.readouterr().out
    code = main(["run", "--once", "--as-of", t.as_of, "--config", str(config)])
    assert code == t.code, capsys.readouterr().err
    after = cells(path)
    columns = sync_columns(path, config)
    ours = {(tab, letter) for tab, ids in columns.items() for letter in ids.values()}
    changed = [
        k
        for k in before.keys() | after.keys()
        if before.get(k) != after.get(k)
        and k[0] not in ("Status", "KR history")
        and (k[0], k[1].rstrip("0123456789")) not in ours
    ]
    assert changed == []
    book = openpyxl.load_workbook(path)
    for tab, rows in t.expect.items():
        ws, at = book[tab], columns[tab]
        for row, want in rows.items():
            status = ws[f"{at['status']}{row}"].value
            note = ws[f"{at['note']}{row}"].value if "note" in at else None
            if isinstance(want, tuple) and isinstance(want[1], str):
                assert (status, str(note)[: len(want[1])]) == want, (tab, row)
            elif isinstance(want, tuple):
                assert (status, ws[f"{at['progress']}{row}"].value) == want, (tab, row)
            else:
                assert status == want, (tab, row, note)
