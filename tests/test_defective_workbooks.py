"""Every defective workbook of the corpus through the real command, on a real .xlsx file.

Each case of tests/data/make_corpus.py is built into the test's own folder (the corpus is a
generator, not committed binaries, so a case cannot drift from its description), then
``metrics-sync run --once`` runs on it. Whatever the defect: the exit code is the one the
case promises (0, 1 or 2), no traceback reaches stderr, the user is shown the message the
case names (on stderr, in the Note cells or on the Status tab: the tab, row or cell to fix),
and a snapshot of every cell before and after proves that nothing changed outside the
sync's own columns and its Status tab. A run that cannot go on (exit 2) leaves the file as
it was, byte for byte.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.read_only import ReadOnlyCell

from sync.cells import name_key as header_key
from sync.cli import main
from sync.config import OWNED_COLUMNS


def _corpus() -> ModuleType:
    path = Path(__file__).parent / "data" / "make_corpus.py"
    spec = importlib.util.spec_from_file_location("make_corpus", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# openpyxl (the independent reader these checks use) warns about a date it cannot show and
# reads that cell as #VALUE!, before and after the run alike: not this test's concern.
pytestmark = pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")
corpus = _corpus()
CASES = [d for d in corpus.CORPUS.values() if not d.big]
OWNED = {header_key(h) for h in OWNED_COLUMNS.values()}
SYNCED_TABS = {"kpis", "okrs"}  # the tabs whose own columns the sync writes
EXCEL_CELL_LIMIT = 32_767  # characters


@pytest.fixture(autouse=True)
def lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))


def sync(path: Path) -> int:
    config = path.with_suffix(".toml")
    config.write_text(corpus.config(path.name), encoding="utf-8")
    return main(["run", "--once", "--config", str(config), "--as-of", corpus.AS_OF])


Snapshot = dict[tuple[str, str], tuple[Any, str]]


def snapshot(path: Path) -> Snapshot:
    """Every non-empty cell of every tab: (tab, A1) -> (value, type); formulas as their text.

    Read as stored (read-only, past whatever size the file records), so a stray cell far out
    costs one cell, not the box up to it.
    """
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        cells: Snapshot = {}
        for ws in book.worksheets:
            ws.reset_dimensions()
            cells |= {
                (ws.title, c.coordinate): (c.value, c.data_type)
                for row in ws.iter_rows()
                for c in row
                if isinstance(c, ReadOnlyCell) and c.value is not None
            }
        return cells
    finally:
        book.close()


def owned_columns(path: Path) -> set[tuple[str, str]]:
    """(tab, column letter) of the sync's own columns: the first header of each owned name."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        owned = set()
        for ws in book.worksheets:
            if ws.title.strip().casefold() not in SYNCED_TABS:
                continue
            header = _header_row(ws)[1]
            first: dict[str, str] = {}
            for cell in header:
                key = header_key(cell.value)
                if key in OWNED and key not in first:
                    first[key] = cell.column_letter
            owned |= {(ws.title, letter) for letter in first.values()}
        return owned
    finally:
        book.close()


def shown(path: Path, stderr: str) -> str:
    """What a user is shown: the log lines, and every owned cell and Status tab cell."""
    after = snapshot(path)
    owned = owned_columns(path)
    cells = [
        str(v)
        for (tab, coord), (v, _) in sorted(after.items())
        if tab.strip().casefold() == "status" or (tab, _letters(coord)) in owned
    ]
    return "\n".join([stderr, *cells])


def statuses(path: Path) -> list[Any]:
    """The values of the sync's Status columns on the KPIs and OKRs tabs."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [
            row[0].value
            for ws in book.worksheets
            if ws.title.strip().casefold() in SYNCED_TABS
            for row in ws.iter_rows(
                min_row=_header_row(ws)[0] + 1,
                min_col=_status_column(ws),
                max_col=_status_column(ws),
            )
        ]
    finally:
        book.close()


def _header_row(ws: Any) -> tuple[int, tuple[Any, ...]]:
    """The header a person sees: the first of the first 20 rows naming one of the sync's
    columns (the sync writes its own columns there), else row 1."""
    rows = list(ws.iter_rows(min_row=1, max_row=20))
    for i, row in enumerate(rows, start=1):
        if any(header_key(c.value) in OWNED for c in row):
            return i, tuple(row)
    return 1, tuple(rows[0]) if rows else ()


def _status_column(ws: Any) -> int:
    header = [header_key(c.value) for c in _header_row(ws)[1]]
    return header.index("status") + 1


def _letters(coord: str) -> str:
    return coord.rstrip("0123456789")


def changed_outside_owned(
    before: Snapshot, after: Snapshot, owned: set[tuple[str, str]]
) -> list[str]:
    def ours(tab: str, coord: str) -> bool:
        owned_tab = tab.strip().casefold() in ("status", "kr history")
        return owned_tab or (tab, _letters(coord)) in owned

    changed = [
        f"{tab}!{coord}: {before[(tab, coord)]!r} -> {after.get((tab, coord))!r}"
        for tab, coord in before
        if not ours(tab, coord) and after.get((tab, coord)) != before[(tab, coord)]
    ]
    added = [
        f"{tab}!{coord}: written {after[(tab, coord)]!r}"
        for tab, coord in after
        if (tab, coord) not in before and not ours(tab, coord)
    ]
    return changed + added


@pytest.mark.parametrize("case", CASES, ids=[d.name for d in CASES])
def test_a_defective_workbook_gets_a_clear_message_and_only_owned_cells_change(
    case: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "team.xlsx"
    case.build(path)
    raw = path.read_bytes()
    before = snapshot(path) if case.code != 2 else {}
    code = sync(path)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    assert code == case.code, err
    if code == 2:  # refused: the file as it was
        assert path.read_bytes() == raw
        text = err
    else:
        after = snapshot(path)
        assert changed_outside_owned(before, after, owned_columns(path)) == []
        new_formulas = [k for k, v in after.items() if v[1] == "f" and before.get(k) != v]
        assert new_formulas == []
        too_long = [
            k for k, (v, _) in after.items() if isinstance(v, str) and len(v) > EXCEL_CELL_LIMIT
        ]
        assert too_long == []
        assert ("ERROR" in statuses(path)) == (code == 1)  # exit 1 means rows in ERROR
        text = shown(path, err)
    missing = [fragment for fragment in case.expect if fragment not in text]
    assert missing == [], text[-3000:]


@pytest.mark.slow
def test_a_kpis_tab_of_50000_rows_is_synced_without_touching_the_users_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "team.xlsx"
    corpus.fifty_thousand_kpis(path)
    assert sync(path) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"KPIs {corpus.BIG_ROWS} OK" in err
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = book["KPIs"].iter_rows(values_only=True)
        assert next(rows) == (
            "KPI",
            "Warning",
            "Critical",
            "Current",
            "Status",
            "Note",
            "Since",
            "Last alert",
            "Checked",
        )
        for i, row in enumerate(rows):  # the user's four columns exactly as written
            assert row[:5] == (f"KPI {i:05d}", 90, 80, 95, "OK"), i
        assert i == corpus.BIG_ROWS - 1
        okrs = [
            [v if v != "" else None for v in r[: len(corpus.OKR_HEAD)]]
            for r in book["OKRs"].iter_rows(values_only=True)
        ]
        assert okrs == [[v if v != "" else None for v in r] for r in corpus.okrs()]
    finally:
        book.close()


def test_the_corpus_holds_fifty_defects_each_saying_what_a_user_sees() -> None:
    assert len(CASES) >= 50
    assert all(d.shows and d.code in (0, 1, 2) for d in corpus.CORPUS.values())
    assert sum(d.code == 2 for d in CASES) >= 10  # refused with a message
    assert sum(d.code == 1 for d in CASES) >= 10  # rows in ERROR, the rest computed


def test_the_generator_writes_every_workbook_with_a_config_and_an_index(tmp_path: Path) -> None:
    made = corpus.build_all(tmp_path / "corpus")
    assert len(made) == len(CASES)
    assert all(p.exists() and p.with_suffix(".toml").exists() for p in made)
    index = (tmp_path / "corpus" / "INDEX.txt").read_text(encoding="utf-8")
    assert all(d.name in index for d in CASES)
