"""The commands as ops use them: dry run, several workbooks, logs, check, status, init."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from conftest import SmtpServerFactory
from sheets_emulator import SheetsEmulator
from workbooks import AS_OF, demo_workbook, digest, empty_workbook, tabs, write_config

from sync import cli, runner

TWO_WORKBOOKS = """
[[workbooks]]
name = "growth"
path = "team-metrics.xlsx"

[[workbooks]]
name = "lost"
path = "nowhere.xlsx"
"""


@pytest.fixture(autouse=True)
def lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))


def run(config: Path, *args: str) -> int:
    return cli.main(["run", "--config", str(config), *args])


# -- run --dry-run ------------------------------------------------------------------------


def test_a_dry_run_lists_cells_and_mails_and_writes_and_sends_nothing(
    tmp_path: Path, smtp_server_factory: SmtpServerFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    server = smtp_server_factory(starttls=False)
    workbook = demo_workbook(tmp_path / "team-metrics.xlsx")
    config = write_config(
        tmp_path, extra=f'host = "{server.host}"\nport = {server.port}\nstarttls = false\n'
    )
    before = digest(workbook)
    assert run(config, "--dry-run", "--as-of", AS_OF) == 0
    out = capsys.readouterr().out
    assert "KPIs!V1: (empty) -> 'Status'" in out  # the header it would add
    assert "KPIs!V3: (empty) -> 'CRITICAL'" in out  # Qualified leads: tab, cell, old -> new
    assert "to sam@example.com: '" in out  # to, subject, items
    assert "item(s))" in out
    assert digest(workbook) == before
    assert server.handler.received == []
    # the same config without --dry-run does write and send: the dry run held them back
    assert run(config, "--once", "--as-of", AS_OF) == 0
    assert digest(workbook) != before
    assert {r for e in server.handler.received for r in e.rcpt_tos} >= {"sam@example.com"}


def test_as_of_needs_once_or_dry_run(tmp_path: Path) -> None:
    assert run(write_config(tmp_path), "--as-of", AS_OF) == 2


# -- several workbooks ------------------------------------------------------------------------


def test_a_failing_workbook_does_not_stop_the_others_and_the_worst_code_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = demo_workbook(tmp_path / "team-metrics.xlsx")
    config = write_config(tmp_path, workbooks=TWO_WORKBOOKS)
    assert run(config, "--once", "--as-of", AS_OF, "--log-format", "json") == 2
    assert "Status" in tabs(workbook)
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    by_workbook = {e["workbook"]: e for e in events if e.get("event") == "workbook_run"}
    assert by_workbook["growth"]["outcome"] == "done"
    assert by_workbook["growth"]["exit_code"] == 0
    assert by_workbook["lost"]["outcome"] == "failed"
    assert "nowhere.xlsx" in by_workbook["lost"]["message"]
    assert events[-1]["event"] == "run_finished"
    assert events[-1]["exit_code"] == 2


@pytest.mark.parametrize(
    ("codes", "worst"),
    [([], 0), ([0, 0], 0), ([0, 3], 3), ([3, 1], 1), ([1, 2, 3], 2), ([2, 0], 2)],
)
def test_the_exit_code_is_the_worst_a_failure_over_errors_over_a_skip(
    codes: list[int], worst: int
) -> None:
    assert runner.worst(codes) == worst


# -- logs ---------------------------------------------------------------------------------


def test_a_run_leaves_one_summary_line_with_counts_cells_mails_requests_and_duration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_workbook(tmp_path / "team-metrics.xlsx")
    assert run(write_config(tmp_path), "--once", "--as-of", AS_OF) == 0
    lines = capsys.readouterr().err.splitlines()
    summary = next(line for line in lines if " INFO team-metrics: KPIs " in line)
    assert "1 CRITICAL" in summary
    assert "cell(s) written" in summary
    assert "5 mail(s) sent, 0 failed" in summary
    assert "requests n/a" in summary  # .xlsx makes no HTTP requests
    assert summary.endswith("exit 0")
    assert any("run finished: 1 workbook(s), exit 0" in line for line in lines)


def test_json_logs_are_one_object_per_line_with_the_summary_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_workbook(tmp_path / "team-metrics.xlsx")
    assert run(write_config(tmp_path), "--once", "--as-of", AS_OF, "--log-format", "json") == 0
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    done = next(e for e in events if e.get("event") == "workbook_run")
    assert done["kpis"]["CRITICAL"] == 1
    assert done["mails_sent"] == 5
    assert done["requests"] is None
    assert done["duration_s"] >= 0
    assert {e["level"] for e in events} == {"INFO"}


# -- check ----------------------------------------------------------------------------------


def test_check_passes_a_sound_config_and_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = demo_workbook(tmp_path / "team-metrics.xlsx")
    before = digest(workbook)
    assert cli.main(["check", "--config", str(write_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "ok   team-metrics: tab 'KPIs': header on row 1, 13 row(s)" in out
    assert out.rstrip().endswith("0 problem(s), 0 warning(s): ready to run")
    assert digest(workbook) == before


def test_check_lists_every_layout_problem_with_its_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = demo_workbook(tmp_path / "team-metrics.xlsx")
    book = openpyxl.load_workbook(workbook)
    del book["OKRs"]
    book["KPIs"]["A1"] = "Metric"
    book.save(workbook)
    assert cli.main(["check", "--config", str(write_config(tmp_path))]) == 2
    out = capsys.readouterr().out
    assert "FAIL team-metrics: tab 'KPIs' has no column 'KPI' in its first 20 rows" in out
    assert '[columns] kpi = "<your header>"' in out
    assert "FAIL team-metrics: no tab 'OKRs'" in out
    assert "metrics-sync init" in out
    assert "2 problem(s)" in out


def test_check_warns_about_unreadable_cells_and_still_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = demo_workbook(tmp_path / "team-metrics.xlsx")
    book = openpyxl.load_workbook(workbook)
    book["KPIs"]["E2"] = "lots"  # Weekly active users' Warning
    book.save(workbook)
    assert cli.main(["check", "--config", str(write_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "warn team-metrics: KPIs row 2:" in out
    assert "E2" in out


def test_check_lists_every_config_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, extra='[schedule]\nevery = "soon"\ntimezone = "Mars/Olympus"')
    assert cli.main(["check", "--config", str(config)]) == 2
    out = capsys.readouterr().out
    assert "schedule.every = 'soon': expected a duration" in out
    assert "schedule.timezone = 'Mars/Olympus'" in out
    assert "2 problem(s)" in out


def test_check_fails_a_missing_credentials_file_before_any_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path,
        workbooks='[workbook]\nbackend = "google"\nspreadsheet = "1AbC"\ncredentials = "sa.json"\n',
    )
    assert cli.main(["check", "--config", str(config)]) == 2
    assert "sa.json does not exist" in capsys.readouterr().out


# -- status and init ------------------------------------------------------------------------


def test_status_prints_the_current_statuses_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = demo_workbook(tmp_path / "team-metrics.xlsx")
    before = digest(workbook)
    assert cli.main(["status", "--config", str(write_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "KPIs, worst first" in out
    assert "Qualified leads" in out
    assert "Objectives and key results" in out
    assert digest(workbook) == before


def test_init_sets_up_an_empty_workbook_that_then_runs_and_checks_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = empty_workbook(tmp_path / "team-metrics.xlsx")
    config = write_config(tmp_path)
    assert cli.main(["init", "--config", str(config)]) == 0
    assert {"KPIs", "OKRs"} <= set(tabs(workbook))
    kpis = openpyxl.load_workbook(workbook)["KPIs"]
    assert [c.value for c in kpis[1]][:3] == ["KPI", "Owner", "Unit"]
    assert kpis.max_row == 3  # the header and two example rows
    assert cli.main(["check", "--config", str(config)]) == 0
    assert "ready to run" in capsys.readouterr().out
    assert run(config, "--once") == 0


def test_init_creates_the_workbook_file_when_there_is_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert cli.main(["init", "--config", str(config)]) == 0
    assert "created" in capsys.readouterr().out
    workbook = tmp_path / "team-metrics.xlsx"
    assert tabs(workbook) == ["KPIs", "OKRs"]
    assert openpyxl.load_workbook(workbook)["OKRs"].max_row == 3
    assert run(config, "--once") == 0
    assert cli.main(["init", "--config", str(config)]) == 2  # and never over it again


def test_init_names_a_missing_folder_rather_than_creating_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, '[workbook]\npath = "no/such/folder/metrics.xlsx"\n')
    assert cli.main(["init", "--config", str(config)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_init_refuses_a_workbook_that_already_has_its_tabs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = demo_workbook(tmp_path / "team-metrics.xlsx")
    before = digest(workbook)
    assert cli.main(["init", "--config", str(write_config(tmp_path))]) == 2
    assert "never overwrites" in capsys.readouterr().err
    assert digest(workbook) == before


# -- on Google (the Sheets API emulator) ------------------------------------------------------


def test_on_google_init_check_and_a_steady_run_of_three_requests(
    tmp_path: Path, sheets_emulator: SheetsEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    key = sheets_emulator.create({"Sheet1": []})  # no KPI log: a log is read apart (4 requests)
    config = write_config(
        tmp_path,
        workbooks=f'[workbook]\nbackend = "google"\nspreadsheet = '
        f'"{key}"\nendpoint = "{sheets_emulator.url}"\n',
    )
    assert cli.main(["init", "--config", str(config)]) == 0
    assert sheets_emulator.tabs(key) == ["Sheet1", "KPIs", "OKRs"]
    assert cli.main(["check", "--config", str(config)]) == 0
    assert run(config, "--once", "--as-of", "2026-12-01T08:00") == 0
    capsys.readouterr()
    sheets_emulator.clear_log()
    assert run(config, "--once", "--as-of", "2026-12-01T09:00") == 0  # "Checked" changes
    summary = next(line for line in capsys.readouterr().err.splitlines() if ": KPIs 2 OK" in line)
    assert "; 3 request(s);" in summary, sheets_emulator.apis()
    assert cli.main(["init", "--config", str(config)]) == 2  # never over existing tabs
