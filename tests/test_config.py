"""The config: the shipped example and the README's minimal config load; bad ones list all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sync.cli import main
from sync.config import Job, load
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


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "c.toml"
    path.write_text('[workbook]\npath = "x.xlsx"\n' + text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    return caught.value.problems


def job_of(tmp_path: Path, text: str) -> Job:
    path = tmp_path / "c.toml"
    path.write_text('[workbook]\npath = "x.xlsx"\n' + text)
    return load(path).jobs[0]


def test_a_workbook_of_okrs_only_reads_no_kpi_log_either(tmp_path: Path) -> None:
    job = job_of(tmp_path, '[tabs]\nkpis = ""\n')
    assert job.tabs.to_read() == ["OKRs", "KR history", "Status"]


def test_a_workbook_with_neither_kpis_nor_okrs_is_refused(tmp_path: Path) -> None:
    assert problems_of(tmp_path, '[tabs]\nkpis = ""\nokrs = ""\n') == [
        'tabs.kpis and tabs.okrs are both "": expected at least one of them to name a tab'
    ]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("{ kpis = 0 }", "tabs.header_rows.kpis = 0: expected a row number from 1"),
        ('{ kpis = "4" }', "tabs.header_rows.kpis = '4': expected a row number from 1"),
        ("{ status = 2 }", "tabs.header_rows.status: unknown key"),
        ("4", "tabs.header_rows = 4: expected a table such as { kpis = 4 }"),
    ],
)
def test_a_header_row_must_name_a_tab_and_a_row(tmp_path: Path, rows: str, problem: str) -> None:
    found = problems_of(tmp_path, f"[tabs]\nheader_rows = {rows}\n")
    assert any(p.startswith(problem) for p in found), found


def test_a_tab_s_own_column_names_apply_to_that_tab_alone(tmp_path: Path) -> None:
    job = job_of(
        tmp_path,
        '[tabs]\nheader_rows = { kpis = 4 }\n[columns]\nkpi = "Metric"\n'
        '[columns.okrs]\nstart = "Base"\n[columns.kpi_log]\nkpi = "Key Result"\n',
    )
    assert job.header_rows == {"kpis": 4}
    assert (job.columns_for("kpis")["kpi"], job.columns_for("kpis")["start"]) == ("Metric", "Start")
    assert (job.columns_for("okrs")["kpi"], job.columns_for("okrs")["start"]) == ("Metric", "Base")
    assert job.columns_for("kpi_log")["kpi"] == "Key Result"


def test_a_clash_within_one_tab_s_names_is_refused_for_that_tab(tmp_path: Path) -> None:
    found = problems_of(tmp_path, '[columns.kpi_log]\nvalue = "date"\n[columns.okrs]\nbogus = 1\n')
    assert any(p.startswith("columns.kpi_log.value = 'date': expected a header") for p in found)
    assert any(p.startswith("columns.okrs.bogus: unknown key") for p in found)


def test_people_map_names_to_one_address_or_several(tmp_path: Path) -> None:
    job = job_of(tmp_path, '[people]\nTom = "tom@example.com"\n"Ana Lima" = ["a@example.com"]\n')
    assert job.people == {"tom": ("tom@example.com",), "ana lima": ("a@example.com",)}
    found = problems_of(tmp_path, '[people]\n"T. Jones" = "tom at example"\n')
    assert found == [
        "people.T. Jones = 'tom at example': expected an address or a list, such as "
        '"tom@example.com"'
    ]
