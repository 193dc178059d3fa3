"""Runs never overlap: one OS file lock per workbook, contended by real processes."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from workbooks import AS_OF, ROOT, cli_env, demo_workbook, digest, metrics_sync, write_config

from sync.config import WorkbookConfig
from sync.errors import LockedError
from sync.lock import lock_path, workbook_lock

HOLDER = """
import sys
from pathlib import Path
from sync.config import WorkbookConfig
from sync.lock import workbook_lock
with workbook_lock(WorkbookConfig(backend="xlsx", path=Path(sys.argv[1]), name="team-metrics")):
    print("locked", flush=True)
    sys.stdin.read()  # hold the lock until the test closes our stdin
print("released", flush=True)
"""


def xlsx(path: Path, name: str = "team-metrics") -> WorkbookConfig:
    return WorkbookConfig(backend="xlsx", path=path, name=name)


@pytest.fixture(autouse=True)
def lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "locks"
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(folder))
    return folder


def hold_lock(workbook: Path, lock_dir: Path) -> subprocess.Popen[str]:
    """Another process holding the workbook's lock; returns once it has it (a pipe, no sleep)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(workbook)],
        cwd=ROOT,
        env=cli_env(lock_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n"
    return holder


def test_a_second_lock_on_the_same_workbook_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    wb = xlsx(tmp_path / "a.xlsx")
    locked = r"another run \(pid \d+\)"
    with workbook_lock(wb), pytest.raises(LockedError, match=locked) as err, workbook_lock(wb):
        pass
    assert err.value.exit_code == 3


def test_different_workbooks_do_not_wait_on_each_other(tmp_path: Path) -> None:
    a, b = xlsx(tmp_path / "a.xlsx", "a"), xlsx(tmp_path / "b.xlsx", "b")
    with workbook_lock(a), workbook_lock(b):
        assert lock_path(a) != lock_path(b)


def test_the_lock_is_free_again_after_the_run(tmp_path: Path) -> None:
    wb = xlsx(tmp_path / "a.xlsx")
    with workbook_lock(wb):
        pass
    with workbook_lock(wb) as path:
        assert path.parent == tmp_path / "locks"


def test_a_second_run_exits_3_at_once_while_another_process_holds_the_lock(
    tmp_path: Path, lock_dir: Path
) -> None:
    workbook = demo_workbook(tmp_path / "team-metrics.xlsx")
    config = write_config(tmp_path)
    before = digest(workbook)
    with hold_lock(workbook, lock_dir) as holder:
        with metrics_sync(
            "run", "--once", "--config", str(config), "--as-of", AS_OF, env=cli_env(lock_dir)
        ) as second:
            _, stderr = second.communicate(timeout=60)
        assert second.returncode == 3
        assert f"another run (pid {holder.pid}) is in progress" in stderr
        assert "skipped" in stderr
        assert digest(workbook) == before
        assert not (tmp_path / "outbox").exists()
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
    with workbook_lock(xlsx(workbook)):  # released: the next run may go
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path, lock_dir: Path) -> None:
    workbook = tmp_path / "team-metrics.xlsx"
    with hold_lock(workbook, lock_dir) as holder:
        holder.send_signal(signal.SIGKILL)
        assert holder.wait(timeout=30) == -signal.SIGKILL
    with workbook_lock(xlsx(workbook)):
        pass
