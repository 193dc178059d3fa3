"""The config: the shipped example and SPEC's minimal config load; bad ones list every problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sync.cli import main
from sync.config import load
from sync.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """
[workbook]
backend = "xlsx"                 # or "google", with spreadsheet = "<key or URL>" and ...
path = "team-metrics.xlsx"       # relative paths are relative to the config file

[okr]
start = 2026-10-01               # the cycle; default: the current calendar quarter
end = 2026-12-31

[alerts]
recipients = ["leads@example.com"]   # for rows with no Owner
repeat_after = "24h"

[email]
outbox = "outbox"                # no SMTP host given: mails are written here as .eml files
"""


def test_the_shipped_example_config_loads() -> None:
    cfg = load(ROOT / "config.example.toml")
    job = cfg.jobs[0]
    assert job.workbook.backend == "xlsx"
    assert job.workbook.path == ROOT / "examples" / "team-metrics.xlsx"
    assert job.okr.start == dt.date(2026, 10, 1)
    assert cfg.schedule.every == dt.timedelta(minutes=15)


def test_the_minimal_config_of_the_spec_works_as_it_stands(tmp_path: Path) -> None:
    path = tmp_path / "metrics-sync.toml"
    path.write_text(MINIMAL)
    cfg = load(path)
    job = cfg.jobs[0]
    assert job.workbook.path == tmp_path / "team-metrics.xlsx"
    assert job.alerts.recipients == ("leads@example.com",)
    assert job.alerts.repeat_after == dt.timedelta(hours=24)
    assert cfg.email.host is None
    assert cfg.email.outbox == tmp_path / "outbox"
    assert job.tabs.kpis == "KPIs"
    assert job.columns["max_change"] == "Max change %"


def test_a_bad_config_lists_every_problem_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("""
[workbook]
backend = "excel"
[okr]
start = 2026-12-31
end = 2026-10-01
[alerts]
recipients = ["not-an-address"]
repeat_after = "sometimes"
[schedule]
timezone = "Mars/Olympus"
[emial]
host = "smtp"
""")
    with pytest.raises(ConfigError) as caught:
        load(path)
    text = str(caught.value)
    for expected in (
        "workbook.backend = 'excel'",
        "okr.end = '2026-10-01'",
        "alerts.recipients = 'not-an-address'",
        "alerts.repeat_after = 'sometimes'",
        "schedule.timezone = 'Mars/Olympus'",
        "emial: unknown key",
    ):
        assert expected in text
    assert len(caught.value.problems) >= 6


def test_a_password_in_password_env_is_refused_without_being_echoed(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[workbook]\npath = "x.xlsx"\n[email]\npassword_env = "hunter2!secret"\n')
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert "hunter2" not in str(caught.value)
    assert "email.password_env" in str(caught.value)


def test_the_cli_exits_2_with_one_message_and_no_traceback_on_a_bad_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[workbook]\nbackend = "google"\n')
    code = main(["run", "--once", "--config", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "workbook.spreadsheet: missing" in err
    assert "Traceback" not in err


def test_a_missing_config_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--once", "--config", str(tmp_path / "nope.toml")])
    assert code == 2
    assert "nope.toml: 1 problem(s) in the config" in capsys.readouterr().err


def test_several_workbooks_each_take_their_own_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("""
[alerts]
recipients = ["all@example.com"]
[[workbooks]]
name = "sales"
path = "sales.xlsx"
[workbooks.alerts]
recipients = ["sales@example.com"]
[[workbooks]]
name = "eng"
path = "eng.xlsx"
""")
    cfg = load(path)
    assert [j.workbook.name for j in cfg.jobs] == ["sales", "eng"]
    assert cfg.jobs[0].alerts.recipients == ("sales@example.com",)
    assert cfg.jobs[1].alerts.recipients == ("all@example.com",)
