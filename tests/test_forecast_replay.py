"""A 13-week cycle replayed on a real .xlsx file: weekly runs with ``--as-of``, each key
result's ``Current`` a random walk with drift, typed in before each run.

What a manager would check: the ``KR history`` tab holds one row per key result per week
its value or status changed, never a duplicate (a rerun, or a run killed part way, adds
nothing); and the ``Forecast`` column converges on where each key result ends. The error
at week 10 is reported in docs/okr-rules.md ("How well it forecasts").
"""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from sync.backends.xlsx import XlsxWorkbook
from sync.config import Job, load
from sync.job import run_once
from sync.notify.email import OutboxSender

SEED, WEEKS = 20261005, 13
START = dt.date(2026, 10, 5)  # a Monday; runs every Monday at 08:00
END = START + dt.timedelta(weeks=WEEKS - 1)  # the last run's day is the cycle's last
# (key result, start, target, drift a week, noise): a walk that ends near its target
KEY_RESULTS = [
    ("Reach 1,200 sign-ups", 0.0, 1200.0, 90.0, 30.0),
    ("Cut setup time to 20 minutes", 40.0, 20.0, -1.5, 0.6),
    ("Publish 50 posts", 0.0, 50.0, 3.0, 2.0),
]
FLAT_WEEK = 6  # the posts stall that week: same value as the week before


def walks(seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    out = []
    for k, (_, start, _, drift, noise) in enumerate(KEY_RESULTS):
        value, weeks = start, []
        for week in range(WEEKS):
            if not (k == 2 and week == FLAT_WEEK):
                value = value + drift + rng.gauss(0, noise)
            weeks.append(round(value, 1))
        out.append(weeks)
    return out


def write_workbook(folder: Path) -> tuple[Path, Path]:
    path = folder / "okrs.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "OKRs"
    ws.append(["Objective", "Key result", "Kind", "Start", "Target", "Current"])
    for i, (name, start, target, _, _) in enumerate(KEY_RESULTS):
        kind = "committed" if i < 2 else "aspirational"
        ws.append(["Grow the community" if i == 0 else None, name, kind, start, target, None])
    book.save(path)
    config = folder / "metrics-sync.toml"
    config.write_text(
        f'[workbook]\npath = "{path.name}"\n[tabs]\nkpis = ""\n'
        f"[okr]\nstart = {START}\nend = {END}\n"
        '[alerts]\nrecipients = ["leads@example.com"]\n[email]\noutbox = "outbox"\n',
        encoding="utf-8",
    )
    return path, config


def type_in(path: Path, values: list[float]) -> None:
    book = openpyxl.load_workbook(path)
    for k, value in enumerate(values):
        book["OKRs"].cell(row=2 + k, column=6).value = value
    book.save(path)


def okr_column(path: Path, header: str) -> list[object]:
    ws = openpyxl.load_workbook(path)["OKRs"]
    col = [c.value for c in ws[1]].index(header) + 1
    return [ws.cell(row=2 + k, column=col).value for k in range(len(KEY_RESULTS))]


def history(path: Path) -> list[tuple[object, ...]]:
    ws = openpyxl.load_workbook(path)["KR history"]
    return [tuple(r) for r in ws.iter_rows(min_row=2, values_only=True)]


def run(job: Job, path: Path, folder: Path, week: int, minutes: int = 0) -> None:
    now = dt.datetime.combine(START + dt.timedelta(weeks=week), dt.time(8, minutes), dt.UTC)
    run_once(job, XlsxWorkbook(path), OutboxSender(folder / "outbox"), "m@example.com", now)


def killed_run(config: Path, week: int) -> None:
    """``metrics-sync run --once`` killed (SIGKILL) as soon as it says it started."""
    as_of = f"{START + dt.timedelta(weeks=week)}T08:00"
    child = subprocess.Popen(  # our own interpreter and package
        [sys.executable, "-m", "sync", "run", "--once", "--config", str(config), "--as-of", as_of],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    for line in child.stderr:
        if "run started" in line:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stderr.close()


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("replay")
    path, config = write_workbook(folder)
    job, values = load(config).jobs[0], walks(SEED)
    forecasts, states, tabs = [], [], []
    for week in range(WEEKS):
        type_in(path, [values[k][week] for k in range(len(KEY_RESULTS))])
        if week == 7:
            killed_run(config, week)
        run(job, path, folder, week)
        tabs.append(history(path))
        run(job, path, folder, week, minutes=30)  # a rerun the same morning
        assert history(path) == tabs[-1], f"week {week}: a rerun changed the history"
        forecasts.append(okr_column(path, "Forecast"))
        states.append(
            list(zip(okr_column(path, "Current"), okr_column(path, "Status"), strict=True))
        )
    final = [okr_column(path, "Progress")]
    return {
        "values": values,
        "forecasts": forecasts,
        "states": states,
        "tabs": tabs,
        "final": final,
    }


def test_the_history_holds_one_row_per_key_result_per_week_it_changed(
    replay: dict[str, object],
) -> None:
    states: list[list[tuple[object, object]]] = replay["states"]  # type: ignore[assignment]
    rows = replay["tabs"][-1]  # type: ignore[index]
    for k, (name, *_) in enumerate(KEY_RESULTS):
        mine = [r for r in rows if r[2] == name]
        changed = [w for w in range(WEEKS) if w == 0 or states[w][k] != states[w - 1][k]]
        assert [r[0].date() for r in mine] == [START + dt.timedelta(weeks=w) for w in changed]
    assert len(rows) == len({(r[0], r[2]) for r in rows})  # no duplicate, killed run included


def test_the_stalled_week_adds_no_row_when_its_status_held(replay: dict[str, object]) -> None:
    states: list[list[tuple[object, object]]] = replay["states"]  # type: ignore[assignment]
    posts = [r for r in replay["tabs"][-1] if r[2] == "Publish 50 posts"]  # type: ignore[index]
    stalled = START + dt.timedelta(weeks=FLAT_WEEK)
    assert (states[FLAT_WEEK][2] == states[FLAT_WEEK - 1][2]) == all(
        r[0].date() != stalled for r in posts
    )


def test_the_forecast_appears_from_the_third_week_and_converges_on_the_final_progress(
    replay: dict[str, object],
) -> None:
    forecasts: list[list[object]] = replay["forecasts"]  # type: ignore[assignment]
    final: list[float] = replay["final"][0]  # type: ignore[index]
    assert all(f is None for f in forecasts[0] + forecasts[1])
    assert all(isinstance(f, float) for f in forecasts[2])
    errors = [
        max(abs(float(forecasts[w][k]) - final[k]) for k in range(len(KEY_RESULTS)))  # type: ignore[arg-type]
        for w in range(2, WEEKS - 1)
    ]
    week10 = errors[9 - 2]  # the 10th weekly run (index 9)
    print(f"forecast error at week 10: {week10:.3f} (weeks 3-12: {[round(e, 3) for e in errors]})")
    assert week10 < 0.15  # 0.104 for this seed: the walk's own noise over 3 weeks is ~0.05
    assert max(errors[-3:]) < max(errors[:3])


def test_an_on_track_key_result_heading_short_is_flagged_in_its_note_and_mails_no_one(
    tmp_path: Path,
) -> None:
    """Fast at first, stalled since: on track today, short at this pace; a flag, not a mail."""
    path = tmp_path / "okrs.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "OKRs"
    ws.append(["Objective", "Key result", "Owner", "Kind", "Start", "Target", "Current"])
    ws.append(["Grow", "Close 12 deals", "sam@example.com", "committed", 0, 12, 3.6])
    history = book.create_sheet("KR history")
    history.append(["Date", "Objective", "Key result", "Current", "Progress", "Status"])
    for week, value in enumerate([3.0, 3.4, 3.5, 3.6]):
        day = dt.datetime(2026, 10, 5) + dt.timedelta(weeks=week)
        history.append([day, "Grow", "Close 12 deals", value, value / 12, "ON TRACK"])
    book.save(path)
    config = tmp_path / "metrics-sync.toml"
    config.write_text(
        f'[workbook]\npath = "{path.name}"\n[tabs]\nkpis = ""\n'
        '[okr]\nstart = 2026-10-01\nend = 2026-12-31\n[email]\noutbox = "outbox"\n',
        encoding="utf-8",
    )
    now = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    report = run_once(
        load(config).jobs[0], XlsxWorkbook(path), OutboxSender(tmp_path / "outbox"), "m@x.org", now
    )
    assert report.key_results == {"ON TRACK": 1}
    assert report.mails == []
    status = openpyxl.load_workbook(path)["Status"]
    notes = [r[-1] for r in status.iter_rows(values_only=True) if r[0] == "    Close 12 deals"]
    assert notes == [
        "3.6 (from 0 to 12); off pace: 38 % by Dec 31 at this pace, short of its 100 % aim"
    ]
