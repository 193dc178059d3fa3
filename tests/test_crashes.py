"""The real command killed (SIGKILL) at each step of a run; the next run loses nothing.

``metrics-sync run --once`` runs as a child process against the Sheets emulator and a real
SMTP server (aiosmtpd). The step to die at is an I/O point held open until the test has
killed the child, so no sleep decides when it dies:

- an HTTP request held by the emulator on arrival (:meth:`SheetsEmulator.pause`), then
  dropped (the request never reached Google) or applied with its answer lost (it reached
  Google, the client died before hearing back);
- a mail held by the SMTP server in DATA, before it accepts the message (nothing delivered)
  or after it has (delivered, the client never saw the 250 reply).

Between the read and the first request after it, the run only computes (evaluate, decide,
compose): a kill anywhere in that span leaves the world as a kill at that next request does,
which is how "after reading" and "after evaluating" are reached. After each kill, a fresh
run without faults must succeed; every alert reaches every recipient at least once, at most
twice, and a second copy carries the first one's Message-ID; statuses and ``Last alert``
stand on the right rows, and no cell outside the sync's own columns has changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from conftest import SmtpServerController, SmtpServerHandler
from reliability_book import (
    EXPECTED_KPI_STATUS,
    EXPECTED_KR_STATUS,
    KPIS,
    LATER,
    NOW,
    OKRS,
    RECIPIENTS,
    column,
    config_text,
    without_owned,
)
from sheets_emulator import Fault, SheetsEmulator
from workbooks import cli_env, metrics_sync

from sync import cli

HOLD_TIMEOUT = 30.0  # seconds a step may take to be reached before the test fails


class HoldingHandler(SmtpServerHandler):
    """Records mails as the shared handler does; holds the DATA of the ``at``-th message
    (before accepting it or after) until :meth:`release`."""

    def __init__(self) -> None:
        super().__init__()
        self.at: int | None = None
        self.accept_first = True
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.seen = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.seen += 1
        if self.seen != self.at:
            return await super().handle_DATA(server, session, envelope)
        reply = (
            await super().handle_DATA(server, session, envelope)
            if self.accept_first
            else ("451 4.3.0 not taken")
        )
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.released.wait, HOLD_TIMEOUT)
        return reply

    def release(self, fault: Fault | None = None) -> None:
        self.released.set()


@pytest.fixture
def smtp() -> Iterator[tuple[HoldingHandler, int]]:
    handler = HoldingHandler()
    controller = SmtpServerController(handler)
    controller.start()
    yield handler, controller.port
    handler.released.set()
    controller.stop()


class Hold:
    """Where the child is stopped: something with ``arrived`` and ``release(fault)``."""

    arrived: threading.Event

    def release(self, fault: Fault | None = None) -> None: ...


@dataclass(frozen=True)
class Step:
    """A point of the run to kill the child at, and what becomes of the held request."""

    name: str
    hold: Callable[[SheetsEmulator, HoldingHandler], Hold]
    then: Fault | None = None  # the held HTTP request: dropped (reset) or applied (answer lost)
    written: bool = False  # whether the run's cells were written before it died
    mailed: int = 0  # mails the SMTP server accepted before the child died
    recorded: bool = False  # the accepted mails were noted in the local record (sent_log.py)


def request(api: str, nth: int = 1) -> Callable[[SheetsEmulator, HoldingHandler], Hold]:
    return lambda emulator, _: emulator.pause(api, nth=nth)


def mail(k: int, *, accepted: bool) -> Callable[[SheetsEmulator, HoldingHandler], Hold]:
    def hold(_: SheetsEmulator, handler: HoldingHandler) -> Hold:
        handler.at, handler.accept_first = k, accepted
        return handler

    return hold


DROPPED, APPLIED = Fault.connection_reset(), Fault.lost_response()
STEPS = [
    Step("after reading (at the title request that follows)", request("get"), DROPPED),
    Step(
        "after evaluating (at the first mail, before the server takes it)", mail(1, accepted=False)
    ),
    *(
        Step(
            f"after mail {k} (taken by the server, its reply unheard)",
            mail(k, accepted=True),
            mailed=k,
        )
        for k in (1, 2, 3)
    ),
    Step(
        "before writing (at the check of the key cells)",
        request("get", 2),
        DROPPED,
        mailed=3,
        recorded=True,
    ),
    Step("while creating the Status tab", request("batchUpdate"), DROPPED, mailed=3, recorded=True),
    Step("after creating the Status tab", request("batchUpdate"), APPLIED, mailed=3, recorded=True),
    Step("while writing the cells", request("batchUpdate", 2), DROPPED, mailed=3, recorded=True),
    Step(
        "after writing the cells",
        request("batchUpdate", 2),
        APPLIED,
        written=True,
        mailed=3,
        recorded=True,
    ),
]


@dataclass
class Scene:
    """A spreadsheet, a config for it and an SMTP server; ``at`` is the killed run's clock,
    ``then`` the next run's."""

    emulator: SheetsEmulator
    handler: HoldingHandler
    config: Path
    key: str
    lock_dir: Path
    at: dt.datetime = NOW
    then: dt.datetime = LATER


def make_scene(
    emulator: SheetsEmulator,
    smtp: tuple[HoldingHandler, int],
    folder: Path,
    tabs: Mapping[str, Sequence[Sequence[object]]] | None = None,
) -> Scene:
    """A scene on ``tabs`` (by default the workbook before its first run)."""
    handler, port = smtp
    key = emulator.create(tabs or {"KPIs": KPIS, "OKRs": OKRS}, title="Team")
    config = folder / "metrics-sync.toml"
    config.write_text(config_text(emulator, key, port), encoding="utf-8")
    return Scene(emulator, handler, config, key, folder / "locks")


@pytest.fixture
def scene(
    sheets_emulator: SheetsEmulator,
    smtp: tuple[HoldingHandler, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Scene:
    made = make_scene(sheets_emulator, smtp, tmp_path)
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(made.lock_dir))  # the in-process run's
    return made


def run_and_kill(scene: Scene, hold: Hold, then: Fault | None) -> int:
    """Start the command, wait until it reaches the held step, SIGKILL it, let the step go."""
    child = metrics_sync(
        "run",
        "--once",
        "--config",
        str(scene.config),
        "--as-of",
        scene.at.isoformat(),
        env=cli_env(scene.lock_dir),
    )
    try:
        while not hold.arrived.wait(0.05):  # polls only to notice a child that ended first
            if child.poll() is not None:
                raise AssertionError(
                    f"the run ended (exit {child.returncode}) before the "
                    f"step: {child.communicate()[1]}"
                )
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=HOLD_TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
        hold.release(then)
    scene.emulator.settle()
    return child.returncode


def grids(scene: Scene) -> dict[str, list[list[object]]]:
    tabs = scene.emulator.tabs(scene.key)
    return {t: scene.emulator.grid(scene.key, t) for t in ("KPIs", "OKRs", "Status") if t in tabs}


def received(handler: SmtpServerHandler) -> dict[str, list[str]]:
    """Message-IDs by envelope recipient, in order of arrival."""
    out: dict[str, list[str]] = {}
    for envelope in handler.received:
        for rcpt in envelope.rcpt_tos:
            out.setdefault(rcpt, []).append(str(envelope.message["Message-ID"]))
    return out


def check_crash(scene: Scene, step: Step) -> int:
    """Kill the run at ``step``, run again, check; returns the duplicate mails received."""
    before = grids(scene)
    hold = step.hold(scene.emulator, scene.handler)
    assert run_and_kill(scene, hold, step.then) == -signal.SIGKILL
    assert len(scene.handler.received) == step.mailed
    killed = grids(scene)
    assert without_owned(killed) == without_owned(before)
    if not step.written:
        assert killed["KPIs"] == before["KPIs"]
        assert killed["OKRs"] == before["OKRs"]
    # the next run (the lock the child held died with it) completes and mails what is owed
    assert (
        cli.main(
            ["run", "--once", "--config", str(scene.config), "--as-of", scene.then.isoformat()]
        )
        == 0
    )
    after = grids(scene)
    assert column(after["KPIs"], "Status") == EXPECTED_KPI_STATUS
    assert column(after["OKRs"], "Status", "Key result") == EXPECTED_KR_STATUS
    told = column(after["KPIs"], "Last alert")  # recorded: a further run mails nobody
    assert {k for k, v in told.items() if v} == {"Signups", "Churn", "Uptime"}
    assert after["Status"][0] == ["metrics-sync status"]
    assert without_owned(after) == without_owned(before)
    mails = received(scene.handler)
    assert sorted(mails) == sorted(RECIPIENTS)  # nobody's alert was lost
    for recipient, ids in mails.items():  # at most one duplicate, and it is the same mail
        assert len(ids) <= 2, recipient
        assert len(set(ids)) == 1, recipient
    duplicates = sum(len(ids) for ids in mails.values()) - len(RECIPIENTS)
    # mails the run saw accepted are in its local record: not sent again though unwritten
    assert duplicates == (0 if step.written or step.recorded else step.mailed)
    return duplicates


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_a_run_killed_at_any_step_is_completed_by_the_next_without_losing_an_alert(
    step: Step, scene: Scene
) -> None:
    check_crash(scene, step)
