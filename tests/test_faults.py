"""Faults on the wire, on each request of a run in turn: nothing lost, nothing partial.

The request sequence of a fault-free first run (the Status tab is created, three people are
mailed) and of a steady run is recorded first; then each fault kind is injected on each of
those requests: once, on every request of one run (each retry must absorb its fault), and
on every attempt, one request per run (the retry budget runs out: every request of the
first run, the steady run's write). The Google backend is the real one over real HTTP (the
emulator), with a small budget (``open_google``'s seam: two attempts, a 0.3 s read timeout)
so that a run that gives up does so in well under a second.

After each run, either it succeeded and the spreadsheet equals the fault-free result, or it
raised a ``SyncError`` (exit code 2) naming the fault and the spreadsheet is as it was before
the run, give or take what Google applied atomically: an empty Status tab (its creation is a
separate ``spreadsheets.batchUpdate`` that precedes the values write), or, when the answer to
the values write was lost, the whole write. Never a part of one write. No cell outside the
sync's own columns ever changes, and a fault-free run afterwards ends where a fault-free run
would have, with every alert mailed and at most one duplicate, of the same Message-ID.
bench/reliability.py runs the same check (:func:`check_fault`) one request at a time, over
both runs, one more fault kind and three doses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_book import (
    FAST,
    LATER,
    NOW,
    RECIPIENTS,
    Book,
    Reference,
    config_text,
    mails_by_recipient,
    nth_of_kind,
    reference,
    without_owned,
)
from sheets_emulator import Fault, SheetsEmulator

from sync import cli
from sync.errors import SyncError

FIRST_RUN = (
    "values.batchGet",  # every tab: 400, the Status tab is not there yet
    "values.batchGet",  # every tab but the Status tab
    "get",  # the title, for the mails (then three mails go out)
    "get",  # the key cells of the rows about to be written, with their tabs' ids
    "batchUpdate",  # the Status tab and its colour rules
    "batchUpdate",
)  # every cell, in one write (always the last request)
STEADY_RUN = ("values.batchGet", "get", "batchUpdate")
WRITES = ("batchUpdate",)
FAULTS = {
    "429 with Retry-After": Fault.quota(retry_after="0"),
    "500": Fault.error(500),
    "503 HTML page": Fault.error(503, html=True),
    "connection reset": Fault.connection_reset(),
    "slower than the timeout": Fault.slow(60.0),  # held until the emulator stops
    "answer lost": Fault.lost_response(),  # applied by the server, the answer never arrives
}
CAUSES = {  # what the error names, per fault kind
    "429 with Retry-After": "HTTP 429",
    "500": "HTTP 500",
    "503 HTML page": "HTTP 503",
    "connection reset": "could not reach",
    "slower than the timeout": "could not reach",
    "answer lost": "could not reach",
}
STATUS = {"429 with Retry-After": 429, "500": 500, "503 HTML page": 503}  # others: 0, no answer
RUNS = {"first": FIRST_RUN, "steady": STEADY_RUN}
# Past the budget: every request of the first run, and the steady run's write (its reads are
# the first run's); bench/reliability.py adds the steady run's reads.
OUTLASTING = [
    pytest.param((run, i, kind), id=f"{run} run, request {i + 1} ({api}), {kind}")
    for run, sequence in RUNS.items()
    for i, api in enumerate(sequence)
    if run == "first" or api in WRITES
    for kind in FAULTS
]


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    with SheetsEmulator() as emulator:
        yield reference(emulator, tmp_path_factory.mktemp("reference"))


def book_for(run: str, sheets_emulator: SheetsEmulator, tmp_path: Path, ref: Reference) -> Book:
    if run == "first":
        return Book.first(sheets_emulator, tmp_path)
    return Book.steady(sheets_emulator, tmp_path, ref.first)


def inject(
    emulator: SheetsEmulator, sequence: tuple[str, ...], index: int, fault: Fault, *, attempts: int
) -> None:
    """``fault`` on request ``index`` of the run, and on its next ``attempts - 1`` retries
    (the client is sequential: the requests right after a failed one are its retries; a
    cell write's retries follow a check of the row keys, so only writes are hit)."""
    api, nth = nth_of_kind(sequence, index)
    path = r":batchUpdate$" if api == "batchUpdate" else None  # not the key check between

    def hit() -> Fault:
        if attempts > 1:
            emulator.fail(fault, times=attempts - 1, path=path)
        return fault

    emulator.before(api, hit, nth=nth)


def test_a_fault_free_first_run_and_steady_run_make_the_requests_the_faults_are_put_on(
    ref: Reference,
) -> None:
    assert ref.first_requests == FIRST_RUN
    assert ref.steady_requests == STEADY_RUN
    assert sorted(r for r, _ in ref.first_mails) == sorted(RECIPIENTS)
    assert without_owned(ref.first) == without_owned(ref.before)
    assert without_owned(ref.steady) == without_owned(ref.before)


@pytest.mark.parametrize("run", list(RUNS))
@pytest.mark.parametrize("kind", list(FAULTS))
def test_a_fault_on_each_request_in_turn_is_retried_and_the_run_ends_as_without_faults(
    kind: str, run: str, sheets_emulator: SheetsEmulator, tmp_path: Path, ref: Reference
) -> None:
    book = book_for(run, sheets_emulator, tmp_path, ref)
    sequence = RUNS[run]
    for index, api in enumerate(sequence):  # every request fails once, then its retry passes
        earlier = sequence[:index].count(api)
        emulator_nth = 2 * earlier + 1  # each earlier request of that kind took two attempts
        sheets_emulator.before(api, lambda fault=FAULTS[kind]: fault, nth=emulator_nth)
    report = book.run(NOW if run == "first" else LATER)
    assert report.exit_code == 0
    for api in set(sequence):
        assert faulted(sheets_emulator, api, kind) == sequence.count(api), api
    assert book.grids() == (ref.first if run == "first" else ref.steady)
    assert book.recorder.sent == (list(ref.first_mails) if run == "first" else [])


def lands_whole(run: str, kind: str, index: int) -> bool:
    """A first run's cell write (its last request) whose answer was lost did land: the check
    of the rows before its retry finds the header cells it created, so the run re-maps,
    finds nothing left to write and completes."""
    return (run, kind, index) == ("first", "answer lost", len(FIRST_RUN) - 1)


@pytest.mark.parametrize("case", OUTLASTING)
def test_a_fault_that_outlasts_the_retries_fails_the_run_with_nothing_partial_written(
    case: tuple[str, int, str], sheets_emulator: SheetsEmulator, tmp_path: Path, ref: Reference
) -> None:
    run, index, kind = case
    book = book_for(run, sheets_emulator, tmp_path, ref)
    attempts = int(FAST["max_attempts"])
    expected = "completed" if lands_whole(run, kind, index) else "failed cleanly"
    assert check_fault(book, ref, run, index, kind, attempts=attempts) == expected


def test_a_write_that_timed_out_and_lands_later_leaves_the_whole_result_never_a_part(
    sheets_emulator: SheetsEmulator, tmp_path: Path, ref: Reference
) -> None:
    book = Book.first(sheets_emulator, tmp_path)
    held = sheets_emulator.pause("batchUpdate", nth=2)  # Google still working on the write
    with pytest.raises(SyncError, match=r"could not reach .* writing"):
        book.run(NOW, max_attempts=1)
    assert held.arrived.is_set()
    assert book.grids() == {**ref.before, "Status": []}
    held.release()  # ... and now it lands, after the run gave up
    sheets_emulator.settle()
    assert book.grids() == ref.first
    assert book.run(NOW).exit_code == 0  # the next run finds everything recorded
    assert book.recorder.sent == list(ref.first_mails)  # so nobody is mailed twice


def test_the_command_exits_2_naming_the_fault_when_google_keeps_refusing_and_wrote_nothing(
    sheets_emulator: SheetsEmulator,
    tmp_path: Path,
    ref: Reference,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    book = Book.first(sheets_emulator, tmp_path)
    config = tmp_path / "metrics-sync.toml"
    config.write_text(config_text(sheets_emulator, book.key, None), encoding="utf-8")
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    # the CLI's own budget (120 s a request): a Retry-After beyond it ends the run at once
    sheets_emulator.before("batchUpdate", lambda: Fault.quota(retry_after="600"), nth=2)
    assert cli.main(["run", "--once", "--config", str(config), "--as-of", NOW.isoformat()]) == 2
    assert "HTTP 429 while writing" in capsys.readouterr().err
    assert book.grids() == {**ref.before, "Status": []}


def check_fault(
    book: Book,
    ref: Reference,
    run: str,
    index: int,
    kind: str,
    *,
    attempts: int,
    max_attempts: int = int(FAST["max_attempts"]),
    fault: Fault | None = None,
) -> str:
    """Put ``fault`` (by default ``FAULTS[kind]``) on request ``index`` of ``run`` for
    ``attempts`` attempts; check the run and the fault-free run after it. Returns
    "completed" or "failed cleanly"; any other outcome fails an assertion.

    The run completes if a retry is left (and no Retry-After overruns the budget); then the
    sheet and the mails are those of a fault-free run. Otherwise it raises a ``SyncError``
    naming the fault, the sheet is in the honest state (:func:`honest_state`), and the next
    run ends where a fault-free run ends, every alert mailed, a duplicate only of the same
    Message-ID.
    """
    fault = fault or FAULTS[kind]
    sequence, before = RUNS[run], book.grids()
    now, done = (NOW, ref.first) if run == "first" else (LATER, ref.steady)
    landed = lands_whole(run, kind, index)
    gives_up = (attempts >= max_attempts or beyond_budget(fault)) and not landed
    hits = 1 if beyond_budget(fault) or landed else min(attempts, max_attempts)
    inject(book.emulator, sequence, index, fault, attempts=hits)
    error: SyncError | None = None
    try:
        report = book.run(now, max_attempts=max_attempts)
    except SyncError as err:
        error = err
    if error is not None:
        assert gives_up, error
        assert error.exit_code == 2
        assert CAUSES[kind] in str(error), error
        outcome = "failed cleanly"
    else:
        assert not gives_up
        assert report.exit_code == 0
        outcome = "completed"
    assert faulted(book.emulator, sequence[index], kind) == hits
    after = book.grids()
    assert without_owned(after) == without_owned(before)
    if outcome == "completed":
        assert after == done
        assert book.recorder.sent == (list(ref.first_mails) if run == "first" else [])
        return outcome
    assert after == honest_state(run, index, kind, before, done)
    # the next run, without faults, ends where a fault-free run ends, and mails what is owed
    assert book.run(now).exit_code == 0
    assert book.grids() == done
    mails = mails_by_recipient(book.recorder.sent)
    if run == "first":
        assert sorted(mails) == sorted(RECIPIENTS)
        assert all(len(ids) <= 2 and len(set(ids)) == 1 for ids in mails.values()), mails
        assert set(book.recorder.sent) == set(ref.first_mails)
    else:
        assert mails == {}
    return outcome


def beyond_budget(fault: Fault) -> bool:
    """A Retry-After longer than the retry budget: the backend gives up at once."""
    return fault.retry_after is not None and float(fault.retry_after) > float(FAST["retry_budget"])


def faulted(emulator: SheetsEmulator, api: str, kind: str) -> int:
    """How many ``api`` requests the fault hit, by the emulator's log: proof it was there."""
    return sum(1 for r in emulator.requests if r.api == api and r.status == STATUS.get(kind, 0))


def honest_state(
    run: str,
    index: int,
    kind: str,
    before: dict[str, list[list[object]]],
    done: dict[str, list[list[object]]],
) -> dict[str, list[list[object]]]:
    """What the spreadsheet holds after a run that gave up on request ``index`` of the run.

    A write (the run's last request) whose answer was lost was applied whole (a
    spreadsheets.batchUpdate is atomic). On a first run, once the Status tab's creation went
    through (it precedes the write), the tab is there, empty: the one state that is neither
    "before" nor "done", and the next run fills it.
    """
    last = len(RUNS[run]) - 1
    if kind == "answer lost" and index == last:
        return done
    created = run == "first" and (index == last or (index == last - 1 and kind == "answer lost"))
    return {**before, "Status": []} if created else before
