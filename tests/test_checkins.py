"""OKR check-ins: the newest one on or before the as-of day is the key result's current value."""

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
JOB = Job(
    workbook=WorkbookConfig(backend="xlsx"),
    tabs=Tabs(kpis="", checkins="Check-ins"),
    tab_columns={"checkins": {"key_result": "Key Result", "current": "Value"}},
)
OKR_HEAD: list[Cell] = ["Objective", "Key result", "Start", "Target", "Current"]
CHECKIN_HEAD: list[Cell] = ["Date", "Objective", "Key Result", "Value", "Confidence", "Note"]


def run(okrs: Grid, checkins: Grid) -> dict[int, float]:
    ev = evaluate({"OKRs": okrs, "Check-ins": checkins}, NOW, JOB)
    result: dict[int, float] = ev.okrs.key_results["progress"].to_dict()
    return result


def test_the_newest_check_in_up_to_as_of_fills_an_empty_current() -> None:
    okrs: Grid = [OKR_HEAD, ["Grow", "Leads", 0, 100, None], [None, "Deals", 0, 10, 4]]
    checkins: Grid = [
        CHECKIN_HEAD,
        [dt.datetime(2026, 11, 2), "Grow", "Leads", 30, 0.6, ""],
        [dt.datetime(2026, 11, 16), "Grow", "Leads", 45, 0.7, "on plan"],
        [dt.datetime(2026, 11, 27), "Grow", "Leads", 90, 0.9, "after as-of: not yet"],
        [dt.datetime(2026, 11, 16), "Grow", "Deals", 9, 0.9, "Current is filled: kept"],
    ]
    assert run(okrs, checkins) == {2: 0.45, 3: 0.4}


def test_an_okrs_tab_with_no_current_column_takes_every_value_from_check_ins() -> None:
    okrs: Grid = [OKR_HEAD[:4], ["Grow", "Leads", 0, 100], ["Keep", "Leads", 0, 50]]
    checkins: Grid = [
        CHECKIN_HEAD,
        ["2026-11-10", "grow", "leads", 20, None, ""],
        ["2026-11-12", "Keep", "Leads", 25, None, ""],
    ]
    assert run(okrs, checkins) == {2: 0.2, 3: 0.5}


def test_check_ins_that_match_no_key_result_or_several_are_named() -> None:
    okrs: Grid = [OKR_HEAD, ["Grow", "Leads", 0, 100, None], ["Keep", "Leads", 0, 50, None]]
    checkins: Grid = [
        ["Date", "Key Result", "Value"],
        ["2026-11-10", "Leads", 20],
        ["2026-11-10", "Churn", 2],
    ]
    ev = evaluate({"OKRs": okrs, "Check-ins": checkins}, NOW, JOB)
    assert ev.problems == (
        "tab 'Check-ins' row 2: key result 'leads' is under several objectives; add an "
        "Objective column to the check-ins tab",
        "tab 'Check-ins' row 3: no key result 'churn' on the OKRs tab",
    )


def test_check_names_a_check_ins_tab_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "OKRs"
    ws.append(OKR_HEAD)
    ws.append(["Grow", "Leads", 0, 100, None])
    book.save(tmp_path / "team.xlsx")
    cfg = tmp_path / "metrics-sync.toml"
    tabs = 'kpis = ""\ncheckins = "Check-ins"'
    cfg.write_text(config_text('[workbook]\npath = "team.xlsx"', tabs=tabs))
    assert main(["check", "--config", str(cfg)]) == 2
    assert "FAIL team: no tab 'Check-ins'" in capsys.readouterr().out
