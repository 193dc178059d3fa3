"""Notes on figures that read fine but are probably not what the team meant: notes, not guesses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from workbooks import config_text

from sync.cli import main
from sync.config import Job, Tabs, WorkbookConfig
from sync.evaluate import evaluate
from sync.grid import Cell, Grid

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
JOB = Job(workbook=WorkbookConfig(backend="xlsx"), tabs=Tabs(okrs="", kpi_log=""))
HEAD: list[Cell] = ["KPI", "Unit", "Warning", "Critical", "Current"]


def notes(*rows: list[Cell]) -> list[str]:
    return list(evaluate({"KPIs": [HEAD, *rows]}, NOW, JOB).problems)


def test_a_percent_typed_as_a_whole_number_is_noted_and_its_status_left_alone() -> None:
    ev = evaluate({"KPIs": [HEAD, ["Uptime", "%", 0.999, 0.995, 99.62]]}, NOW, JOB)
    assert ev.kpis.at[2, "status"] == "OK"
    assert ev.problems == (
        "tab 'KPIs' row 2: KPI 'Uptime' is a % KPI whose value 99.62 is about 100 times its "
        "thresholds or target (up to 0.999); Sheets stores 99.6 % as 0.996, so a figure "
        "typed as 99.6 reads as 9,960 %: type it with its % sign",
    )


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(["Uptime", "%", 0.999, 0.995, 0.9962], id="a fraction"),
        pytest.param(["Conversion", "%", 5, 3, 4.2], id="percent points against point limits"),
        pytest.param(["Revenue", "$", 100, 90, 9500], id="not a % KPI"),
    ],
)
def test_plausible_figures_get_no_note(row: list[Cell]) -> None:
    assert notes(row) == []


@pytest.mark.parametrize("name", ["Total", "Grand total", "Overall Performance", "Note: draft"])
def test_rows_that_read_as_totals_or_notes_are_named(name: str) -> None:
    assert notes([name, "", 1, 2, 3]) == [
        f"tab 'KPIs' row 2: {name!r} reads as a total or a note rather than a KPI; it is "
        "computed as a KPI (move it to another tab if it is not one)"
    ]


def test_check_guides_a_newcomer_through_the_sheet_it_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Plan"
    rows: Grid = [["(Year: 2026)"], ["Metric", "Warning", "Sep", "Oct", "Q5"], ["Leads", 5, 6, 7]]
    for row in rows:
        ws.append(row)
    book.save(tmp_path / "team.xlsx")
    cfg = tmp_path / "metrics-sync.toml"
    tabs = 'kpis = "Plan"\nokrs = ""\nkpi_log = ""'
    cfg.write_text(
        config_text('[workbook]\npath = "team.xlsx"', tabs=tabs) + '[columns]\nkpi = "Metric"\n'
    )
    assert main(["check", "--as-of", NOW.isoformat(), "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "tab 'Plan' (header row 2) reads kpi = A 'Metric', warning = B 'Warning'" in out
    assert "2 history column(s), from C 'Sep' (2026-09-30) to D 'Oct' (2026-10-31)" in out
    assert "header 'Q5' (column E) looks like a period or a date but cannot be placed" in out
    assert "creates F 'Status', G 'Note', H 'Since', I 'Last alert', J 'Checked' on row 2" in out
