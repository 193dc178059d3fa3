"""``status --as-of`` and ``check --as-of`` read the sheet at the same time as a run would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from workbooks import config_text

from sync.cli import main

AS_OF = "2026-11-20T09:00:00+00:00"


@pytest.fixture(autouse=True)
def lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))


def test_status_as_of_shows_what_a_run_as_of_the_same_time_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "KPIs"
    ws.append(["KPI", "Direction", "Warning", "Cadence", dt.datetime(2026, 11, 16)])
    ws.append(["Signups", "higher", 10, "weekly", 12])
    book.save(tmp_path / "team.xlsx")
    cfg = tmp_path / "metrics-sync.toml"
    cfg.write_text(config_text('[workbook]\npath = "team.xlsx"', tabs='okrs = ""\nkpi_log = ""'))
    assert main(["run", "--once", "--as-of", AS_OF, "--config", str(cfg)]) == 0
    assert openpyxl.load_workbook(tmp_path / "team.xlsx")["KPIs"]["F2"].value == "OK"
    capsys.readouterr()
    assert main(["status", "--as-of", AS_OF, "--config", str(cfg)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "Signups" in x)
    assert "OK" in line
    assert "STALE" not in line
    assert main(["status", "--as-of", "2027-03-01T09:00", "--config", str(cfg)]) == 0
    assert "STALE" in next(x for x in capsys.readouterr().out.splitlines() if "Signups" in x)
    assert main(["check", "--as-of", AS_OF, "--config", str(cfg)]) == 0
