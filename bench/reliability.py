"""The exhaustive reliability sweep behind docs/reliability.md: every fault on every request,
a kill at every step, every concurrent edit; what was lost (nothing) and what was duplicated.

Not a test (it takes a couple of minutes): run it by hand, from the repository root::

    .venv/bin/python bench/reliability.py [--only faults|crashes|edits] [--json FILE]

It judges each case with the very checks the tests use (tests/test_faults.py,
tests/test_crashes.py, tests/test_concurrent_edits.py, on the workbook of
tests/reliability_book.py): the tests run a subset that covers each fault kind and each kill
step; this runs the full product.

- Faults: each request of a first run (6) and a steady run (3) x 7 fault kinds (429 with a
  Retry-After of 0 s, 429 with one beyond the retry budget, 500, 503 with Google's HTML page,
  a connection reset, an answer slower than the timeout, an answer lost after the server
  applied the request) x 3 doses (on the first attempt of 2; on the first two of 3; on every
  attempt). Each case: the run completes with the fault-free result, or fails with a clear
  error and nothing partial; the next run completes; every alert is mailed.
- Kills: the real command SIGKILLed at each step of a first run (10 steps) and of a run that
  mails reminders (8 steps); the next run completes, no alert lost.
- Edits: rows inserted, deleted, sorted; columns moved, inserted, deleted; the Status tab
  deleted; rows moving twice; all between a run's read and its key check, as the tests do.
  Then the same edits in the window the check cannot see (after the check, before the write,
  one round trip), reported apart as the known limit they are.

Exit status 1 if any case broke a guarantee (the window aside), else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import io
import json
import os
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

import test_concurrent_edits as edits  # noqa: E402 - after the path is set
import test_crashes as crashes  # noqa: E402
import test_faults as faults  # noqa: E402
from conftest import SmtpServerController  # noqa: E402
from reliability_book import (  # noqa: E402
    EXPECTED_KPI_STATUS,
    FAST,
    NOW,
    Book,
    Grids,
    Reference,
    column,
    reference,
    without_owned,
)
from sheets_emulator import Fault, SheetsEmulator  # noqa: E402

KINDS: dict[str, tuple[str, Fault]] = {  # label: (the kind the checks know it as, the fault)
    **{kind: (kind, fault) for kind, fault in faults.FAULTS.items()},
    "429 with Retry-After beyond the budget": (
        "429 with Retry-After",
        Fault.quota(retry_after="60"),
    ),
}
DOSES = {"once": (1, 2), "twice": (2, 3), "every attempt": (2, 2)}  # (faulted, attempts)
REMINDER_AT = NOW + dt.timedelta(hours=25)  # every alerting row is due its reminder


@dataclass
class Tally:
    """Cases by outcome, and what broke a guarantee (with the case's name)."""

    outcomes: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    broken: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def cases(self) -> int:
        return sum(self.outcomes.values()) + len(self.broken)


def judged(tally: Tally, name: str, case: Callable[[], tuple[str, int]]) -> None:
    """Run one case; its outcome and duplicates are tallied, an assertion is a broken case."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # the runs' own log lines
            outcome, duplicates = case()
    except Exception as err:
        last = traceback.format_exception_only(err)[-1].strip()
        tally.broken.append(f"{name}: {last[:300]}")
        print(f"  BROKEN {name}: {last[:300]}", flush=True)
        return
    tally.outcomes[outcome] += 1
    tally.duplicates += duplicates


@contextlib.contextmanager
def emulator() -> Iterator[SheetsEmulator]:
    with SheetsEmulator() as em:
        yield em
        violations = em.take_violations()
    assert not violations, violations


def sent_twice(book: Book) -> int:
    return len(book.recorder.sent) - len({r for r, _ in book.recorder.sent})


# -- faults ----------------------------------------------------------------------------------
def sweep_faults(ref: Reference, folder: Path) -> Tally:
    tally = Tally()
    for run, sequence in faults.RUNS.items():
        for index, api in enumerate(sequence):
            for label, (kind, fault) in KINDS.items():
                for dose, (hits, attempts) in DOSES.items():
                    name = f"{run} run, request {index + 1} ({api}), {label}, {dose}"
                    judged(
                        tally,
                        name,
                        functools.partial(
                            fault_case,
                            ref,
                            folder / _slug(name),
                            run=run,
                            index=index,
                            kind=kind,
                            fault=fault,
                            hits=hits,
                            attempts=attempts,
                        ),
                    )
    return tally


def fault_case(
    ref: Reference,
    folder: Path,
    *,
    run: str,
    index: int,
    kind: str,
    fault: Fault,
    hits: int,
    attempts: int,
) -> tuple[str, int]:
    with emulator() as em:
        book = faults.book_for(run, em, folder, ref)
        outcome = faults.check_fault(
            book, ref, run, index, kind, attempts=hits, max_attempts=attempts, fault=fault
        )
        return outcome, sent_twice(book)


# -- kills -----------------------------------------------------------------------------------
R = crashes.request
REMINDER_STEPS = [
    # the title is remembered (sync/tab_memory.py): the mails follow the read directly
    crashes.Step("after evaluating", crashes.mail(1, accepted=False)),
    *(crashes.Step(f"after mail {k}", crashes.mail(k, accepted=True), mailed=k) for k in (1, 2, 3)),
    crashes.Step("before writing", R("get"), crashes.DROPPED, mailed=3),
    crashes.Step("while writing the cells", R("batchUpdate"), crashes.DROPPED, mailed=3),
    crashes.Step(
        "after writing the cells", R("batchUpdate"), crashes.APPLIED, written=True, mailed=3
    ),
]


def sweep_crashes(ref: Reference, folder: Path) -> Tally:
    tally = Tally()
    plans: list[tuple[str, crashes.Step, Grids | None]] = [
        ("first run", step, None) for step in crashes.STEPS
    ]
    plans += [("reminder run", step, ref.first) for step in REMINDER_STEPS]
    for label, step, tabs in plans:
        name = f"{label}: {step.name}"

        def case(
            step: crashes.Step = step, tabs: Grids | None = tabs, name: str = name
        ) -> tuple[str, int]:
            handler = crashes.HoldingHandler()
            controller = SmtpServerController(handler)
            controller.start()
            try:
                with emulator() as em:
                    scene = crashes.make_scene(
                        em, (handler, controller.port), _folder(folder / _slug(name)), tabs
                    )
                    if tabs is not None:
                        scene.at, scene.then = REMINDER_AT, REMINDER_AT + (scene.then - scene.at)
                    os.environ["METRICS_SYNC_LOCK_DIR"] = str(scene.lock_dir)
                    return "completed by the next run", crashes.check_crash(scene, step)
            finally:
                handler.released.set()
                controller.stop()

        judged(tally, name, case)
    return tally


# -- edits -----------------------------------------------------------------------------------
def sweep_edits(ref: Reference, folder: Path) -> Tally:
    tally = Tally()
    cases: list[tuple[str, Callable[[SheetsEmulator, Path], None]]] = []
    for edit in edits.ROW_EDITS:
        for run in ("first", "steady"):
            cases.append(
                (
                    f"{edit}, {run} run",
                    lambda em, f, e=edit, r=run: (
                        edits.test_rows_moved_between_read_and_write_get_their_own_status_by_name(
                            r, e, em, f, ref
                        )
                    ),
                )
            )
    for edit, (_, runs) in edits.COLUMN_EDITS.items():
        for run in runs:
            cases.append(
                (
                    f"{edit}, {run} run",
                    lambda em, f, e=edit, r=run: (
                        edits.test_columns_moved_between_read_and_write_get_statuses_under_their_own_headers(
                            e, r, em, f, ref
                        )
                    ),
                )
            )
    for run in ("first", "steady"):
        cases.append(
            (
                f"rows moving twice, {run} run",
                lambda em, f, r=run: (
                    edits.test_rows_that_move_again_during_the_re_mapping_stop_the_run_with_nothing_written(
                        r, em, f, ref
                    )
                ),
            )
        )
    cases.append(
        (
            "the Status tab deleted, steady run",
            lambda em, f: edits.test_the_status_tab_deleted_between_read_and_write_is_created_again(
                em, f, ref
            ),
        )
    )
    for name, body in cases:

        def case(
            body: Callable[[SheetsEmulator, Path], None] = body, name: str = name
        ) -> tuple[str, int]:
            with emulator() as em:
                body(em, _folder(folder / _slug(name)))
            return "right rows and columns, or stopped cleanly", 0

        judged(tally, name, case)
    return tally


def sweep_window(ref: Reference, folder: Path) -> Tally:
    """The same edits after the key check, just before the write: what the check cannot see."""
    tally = Tally()
    every = {**edits.ROW_EDITS, **{e: f for e, (f, _) in edits.COLUMN_EDITS.items()}}
    for edit, change in every.items():
        for run in ("first", "steady"):
            if edit in edits.COLUMN_EDITS and run not in edits.COLUMN_EDITS[edit][1]:
                continue
            name = f"{edit}, {run} run, after the key check"

            def case(
                change: edits.Edit = change, run: str = run, name: str = name
            ) -> tuple[str, int]:
                with emulator() as em:
                    book = edits.book_for(run, em, _folder(folder / _slug(name)), ref)
                    write = 2 if run == "first" else 1  # a first run creates the Status tab first
                    em.before("batchUpdate", lambda: change(em, book.key), nth=write)
                    book.run(edits.when(run))
                    left = _edited(run, ref, change)
                    after = book.grids()
                    kept = without_owned(after) == without_owned(left)
                    verdict = (
                        "statuses right, user cells kept"
                        if right(after) and kept
                        else "user cells kept, statuses misplaced until the next run"
                        if kept
                        else "user cells overwritten"
                    )
                    print(f"  {verdict}: {name}", flush=True)
                    return verdict, 0

            judged(tally, name, case)
    return tally


def right(grids: dict[str, list[list[object]]]) -> bool:
    """Every KPI still there has its own status under the Status header."""
    if "Status" not in grids["KPIs"][0]:
        return False
    names = column(grids["KPIs"], "KPI", "KPI")
    statuses = column(grids["KPIs"], "Status")
    return all(statuses.get(k) == v for k, v in EXPECTED_KPI_STATUS.items() if k in names)


def _edited(run: str, ref: Reference, change: edits.Edit) -> dict[str, list[list[object]]]:
    """The sheet as the person left it: their edit on the sheet as it was before the run."""
    with emulator() as em:
        key = em.create(ref.before if run == "first" else ref.first, title="Team")
        change(em, key)
        return {t: em.grid(key, t) for t in ("KPIs", "OKRs")}


# -- the report -------------------------------------------------------------------------------
def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)[:80]


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def report(tallies: dict[str, Tally]) -> str:
    lines = [
        "| sweep | cases | outcomes | duplicates (same Message-ID) | broken | seconds |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for name, t in tallies.items():
        outcomes = "; ".join(f"{n} {o}" for o, n in t.outcomes.most_common())
        lines.append(
            f"| {name} | {t.cases} | {outcomes} | {t.duplicates} | {len(t.broken)} "
            f"| {t.seconds:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("faults", "crashes", "edits"))
    parser.add_argument("--json", type=Path, help="also write the tallies to this file")
    args = parser.parse_args(argv)
    sweeps: dict[str, Callable[[Reference, Path], Tally]] = {
        "faults": sweep_faults,
        "kills (SIGKILL)": sweep_crashes,
        "edits before the key check": sweep_edits,
        "edits after the key check (known limit)": sweep_window,
    }
    chosen = {
        n: s
        for n, s in sweeps.items()
        if args.only is None
        or n.split()[0].rstrip("s") == args.only.rstrip("s")
        or (args.only == "crashes" and n.startswith("kills"))
    }
    tallies: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with emulator() as em:
            ref = reference(em, _folder(folder / "reference"))
        for name, sweep in chosen.items():
            print(f"{name} ...", flush=True)
            started = time.monotonic()
            tallies[name] = sweep(ref, folder / _slug(name))
            tallies[name].seconds = time.monotonic() - started
    print()
    print(
        f"budget per request: {FAST['retry_budget']} s, read timeout {FAST['timeout'][1]} s "
        "(the run's own defaults are 120 s and 60 s)"
    )
    print(report(tallies))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    n: {
                        "cases": t.cases,
                        "outcomes": dict(t.outcomes),
                        "duplicates": t.duplicates,
                        "broken": t.broken,
                        "seconds": round(t.seconds, 1),
                    }
                    for n, t in tallies.items()
                },
                indent=2,
            )
        )
    guaranteed = [t for n, t in tallies.items() if "known limit" not in n]
    return 1 if any(t.broken for t in guaranteed) else 0


if __name__ == "__main__":
    sys.exit(main())
