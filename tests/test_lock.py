"""Runs never overlap: one OS file lock per workbook, contended by real processes."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from workbooks import AS_OF, ROOT, cli_env, demo_workbook, digest, metrics_sync, write_config

from sync import cli
from sync.config import WorkbookConfig
from sync.errors import LockedError, SyncError
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


# -- a private folder, never a link ----------------------------------------------------------


def test_the_lock_folder_is_created_private_and_the_lock_file_is_the_owners_alone(
    tmp_path: Path, lock_dir: Path
) -> None:
    with workbook_lock(xlsx(tmp_path / "a.xlsx")) as path:
        assert stat.S_IMODE(lock_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert lock_dir.stat().st_uid == os.geteuid()


def test_without_a_configured_folder_the_lock_lives_in_the_home_not_in_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("METRICS_SYNC_LOCK_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with workbook_lock(xlsx(tmp_path / "a.xlsx")) as path:
        assert path.parent == tmp_path / "home" / ".cache" / "metrics-sync" / "locks"


def test_a_symbolic_link_planted_at_the_lock_path_is_never_followed(
    tmp_path: Path, lock_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = demo_workbook(tmp_path / "team-metrics.xlsx")
    config = write_config(tmp_path)
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    lock_dir.mkdir(mode=0o700)
    lock_path(xlsx(workbook)).symlink_to(victim)
    code = cli.main(["run", "--once", "--config", str(config), "--as-of", AS_OF])
    assert code == 2
    assert victim.read_text() == "keep me\n"
    err = capsys.readouterr().err
    assert "is a symbolic link: refused, never followed" in err
    assert "Traceback" not in err


def test_a_lock_folder_that_is_a_symbolic_link_is_refused(tmp_path: Path, lock_dir: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    lock_dir.symlink_to(elsewhere)
    with pytest.raises(SyncError, match="is a symbolic link"), workbook_lock(xlsx(tmp_path / "a")):
        pass
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o755, 0o770])
def test_a_lock_folder_other_users_can_reach_is_refused(
    mode: int, tmp_path: Path, lock_dir: Path
) -> None:
    lock_dir.mkdir()
    lock_dir.chmod(mode)
    with (
        pytest.raises(SyncError, match=f"mode is {mode:04o}: other users can reach it"),
        workbook_lock(xlsx(tmp_path / "a.xlsx")),
    ):
        pass
    assert list(lock_dir.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder away takes root")
def test_a_lock_folder_of_another_user_is_refused(tmp_path: Path, lock_dir: Path) -> None:
    lock_dir.mkdir(mode=0o700)
    os.chown(lock_dir, 4242, 4242)
    with pytest.raises(SyncError, match="belongs to user id 4242"), workbook_lock(xlsx(tmp_path)):
        pass


def test_a_run_whose_lock_folder_is_unsafe_exits_2_saying_which_folder(
    tmp_path: Path, lock_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_workbook(tmp_path / "team-metrics.xlsx")
    config = write_config(tmp_path)
    lock_dir.mkdir(mode=0o777)
    lock_dir.chmod(0o777)
    assert cli.main(["run", "--once", "--config", str(config), "--as-of", AS_OF]) == 2
    err = capsys.readouterr().err
    assert f"lock folder {lock_dir}: its mode is 0777" in err
    assert "Traceback" not in err
