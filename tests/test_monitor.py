"""The heartbeat, against a real HTTP server: /start, success, /fail, and never a failed run."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ping_server import PingServer, ping_server
from workbooks import AS_OF, starter_workbook, write_config

from sync import cli
from sync.config import WorkbookConfig
from sync.lock import workbook_lock
from sync.monitor import Heartbeat


@pytest.fixture
def server() -> Iterator[PingServer]:
    with ping_server() as s:
        yield s


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_a_run_pings_start_then_success_with_one_run_id(server: PingServer) -> None:
    beat = Heartbeat(server.url, retries=0)
    beat.start()
    beat.success("team-metrics: 3 cells written")
    assert server.paths() == ["/start", "/"]
    assert server.pings[0].rid == server.pings[1].rid != ""
    assert server.pings[1].body == "team-metrics: 3 cells written"


def test_a_failed_run_pings_fail_with_the_reason_as_body(server: PingServer) -> None:
    beat = Heartbeat(server.url, retries=0)
    beat.start()
    beat.fail("team-metrics: the workbook file does not exist")
    assert server.paths() == ["/start", "/fail"]
    assert "does not exist" in server.pings[1].body


def test_without_a_ping_url_nothing_is_sent() -> None:
    beat = Heartbeat(None)
    beat.start()
    beat.success()
    beat.fail()


def test_an_error_status_is_logged_and_the_run_goes_on(
    server: PingServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.status = 404
    Heartbeat(server.url, retries=0).success()
    assert "answered HTTP 404" in caplog.text


def test_an_unreachable_monitor_is_logged_without_its_secret_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/ping/secret-check-uuid"
    Heartbeat(url, retries=0).start()
    assert "127.0.0.1" in caplog.text
    assert "refused the connection" in caplog.text
    assert "secret-check-uuid" not in caplog.text


def test_a_monitor_that_never_answers_costs_one_timeout(
    server: PingServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.hold = {server.path("/")}
    started = time.monotonic()
    Heartbeat(server.url, timeout=(1.0, 0.2), retries=0).success()
    assert time.monotonic() - started < 5
    assert "did not answer within 0.2s" in caplog.text


def test_a_cli_run_pings_start_and_success(
    server: PingServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    starter_workbook(tmp_path / "team-metrics.xlsx")
    config = write_config(tmp_path, extra=f'\n[monitor]\nping_url = "{server.url}"\n')
    with caplog.at_level(logging.INFO):
        assert cli.main(["run", "--once", "--config", str(config), "--as-of", AS_OF]) == 0
    assert server.paths() == ["/start", "/"]
    assert "team-metrics: KPIs 2 OK" in server.pings[1].body


def test_a_cli_run_whose_workbook_fails_pings_fail(server: PingServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, extra=f'\n[monitor]\nping_url = "{server.url}"\n')
    assert cli.main(["run", "--once", "--config", str(config)]) == 2
    assert server.paths() == ["/start", "/fail"]
    assert "does not exist" in server.pings[1].body


def test_a_dry_run_does_not_ping(server: PingServer, tmp_path: Path) -> None:
    starter_workbook(tmp_path / "team-metrics.xlsx")
    config = write_config(tmp_path, extra=f'\n[monitor]\nping_url = "{server.url}"\n')
    assert cli.main(["run", "--dry-run", "--config", str(config), "--as-of", AS_OF]) == 0
    assert server.pings == []


# -- a skipped run is not a success ------------------------------------------------------------


def test_a_run_skipped_because_the_lock_is_held_pings_neither_start_nor_success(
    server: PingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    workbook = starter_workbook(tmp_path / "team-metrics.xlsx")
    config = write_config(tmp_path, extra=f'\n[monitor]\nping_url = "{server.url}"\n')
    with workbook_lock(WorkbookConfig(backend="xlsx", path=workbook, name="team-metrics")):
        assert cli.main(["run", "--once", "--config", str(config), "--as-of", AS_OF]) == 3
    assert server.paths() == []
    assert cli.main(["run", "--once", "--config", str(config), "--as-of", AS_OF]) == 0
    assert server.paths() == ["/start", "/"]


def test_a_lock_held_longer_than_stuck_after_pings_fail_and_logs_an_error(
    server: PingServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    workbook = starter_workbook(tmp_path / "team-metrics.xlsx")
    monitor = f'\n[monitor]\nping_url = "{server.url}"\nstuck_after = "1h"\n'
    config = write_config(tmp_path, extra=monitor)
    wb = WorkbookConfig(backend="xlsx", path=workbook, name="team-metrics")
    with workbook_lock(wb) as path:
        two_hours_ago = time.time() - 2 * 3600
        os.utime(path, (two_hours_ago, two_hours_ago))  # as if taken two hours ago
        code = cli.main(["run", "--once", "--config", str(config), "--as-of", AS_OF])
    assert code == 3
    assert server.paths() == ["/fail"]
    assert "held for 2:00:00, longer than [monitor] stuck_after (1:00:00)" in server.pings[0].body
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("is the run holding it stuck?" in r.getMessage() for r in errors)
