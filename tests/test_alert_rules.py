"""The alert decision (sync.rules.alerts), driven run by run through the cells it reads and writes.

``Row`` plays the three cells a row keeps (``Status``, ``Since``, ``Last alert``) the way the
job does: read them, decide, write back what the run would write. No workbook, no clock.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from dataclasses import dataclass, field

import alert_oracle as oracle
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from sync.config import AlertsConfig
from sync.rules import alerts
from sync.rules import status as st
from sync.stamps import stamp

UTC = zoneinfo.ZoneInfo("UTC")
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
KPI = sorted(st.KPI_ALERTING)
STATUSES = sorted({*st.KPI_ORDER, *st.OKR_ORDER})


@dataclass
class Rows:
    """Several rows' own cells, carried from run to run, decided together as the job does."""

    n: int
    cfg: AlertsConfig = field(default_factory=AlertsConfig)
    alerting: frozenset[str] = st.KPI_ALERTING
    cells: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.cells = pd.DataFrame(
            {c: [None] * self.n for c in ("status", "since", "last_alert")}, dtype=object
        )

    def run(
        self,
        statuses: list[str],
        now: dt.datetime,
        *,
        muted: list[bool] | None = None,
        delivered: list[bool] | None = None,
    ) -> list[str]:
        """One run: the reason each row is mailed ("" for none), then the cells written."""
        states = alerts.read_states(
            pd.Series(statuses, dtype=object),
            self.cells,
            muted=pd.Series(muted or [False] * self.n),
            now=now,
            tz=UTC,
        )
        decided = [alerts.decide_row(row, now, self.cfg, self.alerting) for row in states]
        accepted = delivered or [True] * self.n
        records = [
            alerts.next_record(row, d, ok, now)
            for row, d, ok in zip(states, decided, accepted, strict=True)
        ]
        self.cells["status"] = statuses
        self.cells["since"] = [stamp(d.since, UTC) for d in decided]
        self.cells["last_alert"] = [
            cell if r is None else alerts.render_record(r, self.cfg.pending_runs, UTC)
            for cell, r in zip(self.cells["last_alert"], records, strict=True)
        ]
        return [d.reason for d in decided]


class Row(Rows):
    """One row, the way most examples read."""

    def __init__(
        self, cfg: AlertsConfig | None = None, alerting: frozenset[str] = st.KPI_ALERTING
    ) -> None:
        super().__init__(1, cfg or AlertsConfig(), alerting)

    @property
    def status(self) -> str | None:
        return self._cell("status")

    @property
    def since(self) -> str | None:
        return self._cell("since")

    @property
    def last_alert(self) -> str | None:
        return self._cell("last_alert")

    def _cell(self, column: str) -> str | None:
        value = self.cells.at[0, column]
        return None if value is None else str(value)

    def run_one(
        self, status: str, now: dt.datetime, *, muted: bool = False, delivered: bool = True
    ) -> str:
        return self.run([status], now, muted=[muted], delivered=[delivered])[0]

    def runs(
        self,
        *statuses: str,
        start: dt.datetime = START,
        step: dt.timedelta = DAY,
        muted: bool = False,
    ) -> list[str]:
        return [self.run_one(s, start + i * step, muted=muted) for i, s in enumerate(statuses)]


# -- when a mail goes out -----------------------------------------------------------------


@pytest.mark.parametrize("status", KPI)
def test_on_a_first_run_every_alerting_status_mails_as_new(status: str) -> None:
    assert Row().run_one(status, START) == "new"


@pytest.mark.parametrize("status", [st.OK, st.NO_DATA, st.NO_THRESHOLD])
def test_on_a_first_run_a_status_that_does_not_alert_mails_nothing(status: str) -> None:
    row = Row()
    assert row.run_one(status, START) == ""
    assert row.last_alert is None


def test_a_row_that_stays_breached_is_reminded_every_repeat_after_and_not_in_between() -> None:
    row = Row(AlertsConfig(repeat_after=dt.timedelta(hours=24)))
    hourly = row.runs(*[st.WARNING] * 50, step=dt.timedelta(hours=1))
    assert hourly[0] == "new"
    assert [i for i, r in enumerate(hourly) if r] == [0, 24, 48]
    assert set(hourly[1:]) == {"", "repeat"}


def test_warning_to_critical_is_an_escalation_mailed_at_once() -> None:
    row = Row()
    assert row.runs(st.WARNING, st.CRITICAL, step=dt.timedelta(hours=1)) == ["new", "worse"]
    assert row.last_alert == f"CRITICAL {stamp(START + dt.timedelta(hours=1), UTC)}"


def test_ok_then_stale_or_error_are_worse_and_mailed() -> None:
    assert Row().runs(st.OK, st.STALE) == ["", "new"]
    assert Row().runs(st.CRITICAL, st.ERROR, step=dt.timedelta(hours=1)) == ["new", "worse"]


def test_de_escalation_mails_nothing_but_a_later_re_escalation_is_mailed() -> None:
    row = Row()
    hour = dt.timedelta(hours=1)
    assert row.runs(st.CRITICAL, st.WARNING, step=hour) == ["new", ""]
    assert row.last_alert == f"CRITICAL {stamp(START, UTC)}; eased to WARNING"
    assert row.run_one(st.CRITICAL, START + 2 * hour) == "worse"
    assert row.last_alert == f"CRITICAL {stamp(START + 2 * hour, UTC)}"


def test_a_re_escalation_whose_mail_failed_is_retried_next_run() -> None:
    row = Row()
    hour = dt.timedelta(hours=1)
    row.runs(st.CRITICAL, st.WARNING, step=hour)
    assert row.run_one(st.CRITICAL, START + 2 * hour, delivered=False) == "worse"
    assert row.status == st.CRITICAL  # the state moved on ...
    assert row.last_alert == f"CRITICAL {stamp(START, UTC)}; eased to WARNING"  # ... not the record
    assert row.run_one(st.CRITICAL, START + 3 * hour) == "worse"


def test_a_failed_mail_is_retried_every_run_until_accepted() -> None:
    row = Row()
    assert [
        row.run_one(st.WARNING, START + i * dt.timedelta(minutes=15), delivered=False)
        for i in range(3)
    ] == ["new"] * 3
    assert row.last_alert is None
    assert row.run_one(st.WARNING, START + dt.timedelta(hours=1)) == "new"
    assert row.run_one(st.WARNING, START + dt.timedelta(hours=2)) == ""


def test_recovery_to_a_real_value_sends_a_resolved_notice_once() -> None:
    row = Row()
    assert row.runs(st.CRITICAL, st.OK, st.OK) == ["new", "resolved", ""]
    assert row.last_alert == f"OK {stamp(START + DAY, UTC)}"


def test_after_a_resolved_notice_a_new_breach_is_new_again() -> None:
    assert Row().runs(st.WARNING, st.OK, st.WARNING) == ["new", "resolved", "new"]


def test_a_breach_never_mailed_resolves_silently() -> None:
    row = Row()
    assert row.run_one(st.CRITICAL, START, muted=True) == ""
    assert row.run_one(st.OK, START + DAY) == ""


@pytest.mark.parametrize("gap", [st.NO_DATA, st.STALE, st.ERROR])
def test_missing_or_unreadable_data_never_resolves_a_breach(gap: str) -> None:
    row = Row(AlertsConfig(repeat_after=dt.timedelta(days=30)))
    reasons = row.runs(st.CRITICAL, gap, gap, st.CRITICAL)
    assert "resolved" not in reasons
    assert reasons[3] == ""  # still the breach that was mailed: nothing new to say
    assert row.run_one(st.OK, START + 4 * DAY) == "resolved"


def test_stale_data_does_not_ease_the_level_told() -> None:
    row = Row(AlertsConfig(repeat_after=dt.timedelta(days=30)))
    assert row.runs(st.CRITICAL, st.STALE, st.CRITICAL) == ["new", "", ""]
    assert "eased" not in (row.last_alert or "")


@pytest.mark.parametrize("recovered", sorted(alerts.RECOVERED))
def test_a_key_result_off_track_is_mailed_and_its_recovery_resolved(recovered: str) -> None:
    row = Row(alerting=st.OKR_ALERTING)
    assert row.runs(st.AT_RISK, st.OFF_TRACK, recovered) == ["", "new", "resolved"]


# -- mutes --------------------------------------------------------------------------------


def test_a_muted_row_gets_no_mail_of_any_kind_but_its_status_moves_on() -> None:
    row = Row()
    assert row.run_one(st.WARNING, START) == "new"
    assert row.runs(st.CRITICAL, st.CRITICAL, st.OK, start=START + DAY, muted=True) == [""] * 3
    assert row.status == st.OK


def test_a_kpi_still_breached_when_its_mute_ends_is_mailed() -> None:
    row = Row(AlertsConfig(repeat_after=dt.timedelta(days=7)))
    assert row.runs(st.CRITICAL, st.CRITICAL, muted=True) == ["", ""]
    assert row.run_one(st.CRITICAL, START + 2 * DAY) == "new"


def test_an_escalation_during_a_mute_is_mailed_when_it_ends() -> None:
    row = Row(AlertsConfig(repeat_after=dt.timedelta(days=7)))
    assert row.run_one(st.WARNING, START) == "new"
    assert row.run_one(st.CRITICAL, START + DAY, muted=True) == ""
    assert row.run_one(st.CRITICAL, START + 2 * DAY) == "worse"


def test_a_recovery_during_a_mute_is_announced_when_it_ends() -> None:
    row = Row()
    row.run_one(st.WARNING, START)
    assert row.run_one(st.OK, START + DAY, muted=True) == ""
    assert row.run_one(st.OK, START + 2 * DAY) == "resolved"


# -- pending runs -------------------------------------------------------------------------


def test_with_pending_runs_a_breach_is_mailed_only_on_its_nth_consecutive_run() -> None:
    row = Row(AlertsConfig(pending_runs=3))
    assert row.run_one(st.WARNING, START) == ""
    assert row.last_alert == "pending 1 of 3 runs"
    assert row.run_one(st.CRITICAL, START + DAY) == ""
    assert row.last_alert == "pending 2 of 3 runs"
    assert row.run_one(st.WARNING, START + 2 * DAY) == "new"
    assert row.last_alert == f"WARNING {stamp(START + 2 * DAY, UTC)}"


def test_a_run_within_bounds_resets_the_pending_count() -> None:
    row = Row(AlertsConfig(pending_runs=2))
    assert row.runs(st.WARNING, st.OK, st.WARNING, st.OK) == ["", "", "", ""]
    assert row.last_alert == ""


def test_an_escalation_also_waits_for_its_pending_runs() -> None:
    row = Row(AlertsConfig(pending_runs=2, repeat_after=dt.timedelta(days=7)))
    assert row.runs(st.WARNING, st.WARNING, st.CRITICAL, st.CRITICAL) == ["", "new", "", "worse"]


def test_a_resolved_notice_does_not_wait_for_pending_runs() -> None:
    row = Row(AlertsConfig(pending_runs=2))
    assert row.runs(st.WARNING, st.WARNING, st.OK) == ["", "new", "resolved"]


def test_a_reminder_due_during_a_pending_escalation_tells_the_status_now() -> None:
    row = Row(AlertsConfig(pending_runs=3, repeat_after=dt.timedelta(hours=24)))
    row.run_one(st.WARNING, START - 3 * DAY)
    row.run_one(st.WARNING, START - 2 * DAY)
    assert row.run_one(st.WARNING, START - DAY) == "new"
    assert row.run_one(st.CRITICAL, START) == "worse"  # a mail was due anyway: it says CRITICAL


# -- the Last alert cell ------------------------------------------------------------------

RECORD = hs.builds(
    alerts.Record,
    mailed=hs.sampled_from(["", *KPI, st.OK]),
    when=hs.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2030, 1, 1),
        timezones=hs.just(dt.UTC),
    ).map(lambda t: t.replace(second=0, microsecond=0)),
    eased=hs.sampled_from(["", st.WARNING, st.STALE]),
    pending=hs.integers(0, 5),
)


LATE = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)  # after every time RECORD holds


def parse(cell: object, tz: zoneinfo.ZoneInfo = UTC, now: dt.datetime = LATE) -> alerts.Record:
    return alerts.parse_records(pd.Series([cell], dtype=object), tz, now)[0]


@given(record=RECORD, pending_runs=hs.integers(1, 6))
def test_a_last_alert_cell_reads_back_as_written(record: alerts.Record, pending_runs: int) -> None:
    text = alerts.render_record(record, pending_runs, UTC)
    assert alerts.render_record(parse(text), pending_runs, UTC) == text


@pytest.mark.parametrize(
    "cell",
    [
        None,
        "",
        "called Sam about it",
        42,
        dt.datetime(2026, 1, 1),
        "CRITICAL sometime",
        float("nan"),
    ],
)
def test_anything_else_in_last_alert_reads_as_nothing_mailed(cell: object) -> None:
    parsed = parse(cell)
    assert parsed.mailed == ""
    assert parsed.pending == 0


def test_a_date_typed_by_a_person_in_last_alert_is_read_in_the_jobs_zone() -> None:
    parsed = parse("warning 2026-11-20 09:00", zoneinfo.ZoneInfo("Europe/Paris"))
    assert parsed.mailed == st.WARNING
    assert parsed.when == pd.Timestamp("2026-11-20 08:00", tz="UTC")


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("pending 99999999999999999999999 of 3 runs", "expected a count of runs"),
        (f"pending {2**63 - 1} of 3 runs", "expected a count of runs"),
        ("pending ² of 3 runs", "expected a count of runs"),
        ("CRITICAL 2099-01-01 08:00+00:00", "a time in the future"),
        ("CRITICAL 2026-13-45 08:00", "not a time"),
        ("eased to calm", "names no status"),
        ("CRITICAL sometime", "expected a status and the time it was mailed"),
        ("CRITICAL " + " " * 50_000 + "x", "longer than the 200 characters"),
    ],
)
def test_a_last_alert_the_sync_cannot_read_counts_as_nothing_told_and_says_why(
    cell: str, why: str
) -> None:
    record = parse(cell, now=START)
    assert (record.mailed, record.when, record.eased, record.pending) == ("", None, "", 0)
    assert why in record.unreadable


def test_a_future_dated_last_alert_does_not_hold_back_the_mail_and_is_reset() -> None:
    row = Row()
    row.cells.loc[0, ["status", "last_alert"]] = [st.CRITICAL, "CRITICAL 2099-01-01 08:00+00:00"]
    assert row.run_one(st.CRITICAL, START) == "new"
    assert row.last_alert == f"CRITICAL {stamp(START, UTC)}"


def test_an_unreadable_last_alert_is_reset_even_when_nothing_is_mailed() -> None:
    row = Row()
    row.cells.loc[0, "last_alert"] = f"WARNING 2026-11-01 08:00+00:00; pending {2**63 - 1}"
    assert row.run_one(st.OK, START) == ""
    assert row.last_alert == ""
    assert row.run_one(st.OK, START + DAY) == ""


def test_an_unreadable_cell_whose_mail_was_refused_is_reset_and_retried() -> None:
    row = Row()
    row.cells.loc[0, "last_alert"] = "called Sam about it"
    assert row.run_one(st.WARNING, START, delivered=False) == "new"
    assert row.last_alert == ""
    assert row.run_one(st.WARNING, START + DAY) == "new"


def test_a_future_since_is_reset_to_now_with_a_note() -> None:
    (state,) = alerts.read_states(
        pd.Series([st.WARNING]),
        pd.DataFrame(
            {"status": [st.WARNING], "since": ["2099-01-01 08:00+00:00"], "last_alert": [""]}
        ),
        muted=pd.Series([False]),
        now=START,
        tz=UTC,
    )
    assert state.since is None
    ((column, note),) = state.notes
    assert (column, note.split(";")[0]) == (
        "since",
        "'2099-01-01 08:00+00:00' is a time in the future",
    )
    assert alerts.decide_row(state, START, AlertsConfig(), st.KPI_ALERTING).since == START


HOSTILE = hs.one_of(
    hs.text(max_size=300),
    hs.none(),
    hs.integers(),
    hs.floats(),
    hs.sampled_from(["pending", "pending 1e99", "eased to", ";;;", "OK 9999-12-31 23:59+14:00"]),
    hs.builds(lambda n, c: c * n, hs.integers(0, 100_000), hs.sampled_from([" ", "a ", "1;", "-"])),
)


@settings(max_examples=150, deadline=None)
@given(
    status=hs.sampled_from(STATUSES),
    cells=hs.tuples(HOSTILE, HOSTILE, HOSTILE),
    pending_runs=hs.integers(1, 4),
)
def test_any_text_in_the_owned_cells_gives_a_decision_and_a_cell_the_sync_reads_back(
    status: str, cells: tuple[object, object, object], pending_runs: int
) -> None:
    cfg = AlertsConfig(pending_runs=pending_runs)
    frame = pd.DataFrame([cells], columns=["status", "since", "last_alert"], dtype=object)
    (state,) = alerts.read_states(
        pd.Series([status]), frame, muted=pd.Series([False]), now=START, tz=UTC
    )
    decision = alerts.decide_row(state, START, cfg, st.KPI_ALERTING)
    assert decision.reason in ("", *alerts.REASONS)
    record = alerts.next_record(state, decision, True, START)
    if record is not None:  # what is written reads back without a note
        assert not parse(alerts.render_record(record, pending_runs, UTC), now=START).unreadable


def test_a_long_last_alert_is_parsed_in_linear_time() -> None:
    started = time.perf_counter()
    for cell in ("CRITICAL" + " " * 200_000 + "x", "a " * 100_000, "1;" * 100_000):
        assert parse(cell, now=START).unreadable
    assert time.perf_counter() - started < 1.0  # the old pattern took 19.7 s for 50,000 spaces


def test_rows_are_decided_independently_in_one_frame() -> None:
    n = 4
    states = alerts.read_states(
        pd.Series([st.CRITICAL, st.OK, st.WARNING, st.NO_DATA]),
        pd.DataFrame(
            {
                "status": [st.WARNING, st.CRITICAL, st.WARNING, st.CRITICAL],
                "since": [None] * n,
                "last_alert": [
                    "WARNING 2026-11-02 08:00+00:00",
                    "CRITICAL 2026-11-02 08:00+00:00",
                    "WARNING 2026-11-02 07:00+00:00",
                    "CRITICAL 2026-11-02",
                ],
            },
            dtype=object,
        ),
        muted=pd.Series([False] * n),
        now=START + dt.timedelta(hours=1),
        tz=UTC,
    )
    now = START + dt.timedelta(hours=1)
    decided = [alerts.decide_row(s, now, AlertsConfig(), st.KPI_ALERTING) for s in states]
    assert [d.reason for d in decided] == ["worse", "resolved", "", ""]
    assert [d.told for d in decided] == [st.WARNING, st.CRITICAL, st.WARNING, st.CRITICAL]


# -- properties: many rows at once, each with its own history ---------------------------

HISTORIES = hs.lists(
    hs.lists(hs.sampled_from(list(st.KPI_ORDER)), min_size=12, max_size=12), min_size=1, max_size=30
)


@settings(max_examples=8, deadline=None)
@given(histories=HISTORIES)
def test_a_rerun_with_nothing_changed_never_mails(histories: list[list[str]]) -> None:
    rows = Rows(len(histories))
    for step in range(12):
        now = START + step * dt.timedelta(hours=7)
        statuses = [h[step] for h in histories]
        rows.run(statuses, now)
        cells = rows.cells.copy()
        assert set(rows.run(statuses, now + dt.timedelta(minutes=5))) == {""}
        pd.testing.assert_frame_equal(rows.cells, cells)


@settings(max_examples=8, deadline=None)
@given(histories=HISTORIES, pending_runs=hs.integers(1, 3))
def test_every_alerting_run_is_mailed_pending_or_already_told(
    histories: list[list[str]], pending_runs: int
) -> None:
    rows = Rows(
        len(histories), AlertsConfig(pending_runs=pending_runs, repeat_after=dt.timedelta(days=365))
    )
    for step in range(12):
        statuses = [h[step] for h in histories]
        reasons = rows.run(statuses, START + step * DAY)
        records = alerts.parse_records(rows.cells["last_alert"], UTC, LATE)
        assert all(r.pending < pending_runs for r in records)
        for status, reason, record in zip(statuses, reasons, records, strict=True):
            if reason == "resolved":
                assert status in alerts.RECOVERED
            if status in st.KPI_ALERTING and not reason:
                assert record.pending > 0 or record.mailed in st.KPI_ALERTING


# -- the per-row decision agrees with the vectorised one it replaced (tests/alert_oracle.py) --

NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
MOMENTS = hs.none() | hs.integers(-4 * 24, 2 * 24).map(lambda h: NOW + h * dt.timedelta(hours=1))


@hs.composite
def row_states(draw: hs.DrawFn) -> alerts.RowState:
    when = draw(MOMENTS)
    return alerts.RowState(
        status=draw(hs.sampled_from(STATUSES)),
        previous=draw(hs.sampled_from(["", *STATUSES])),
        since=draw(MOMENTS),
        record=alerts.Record(
            mailed="" if when is None else draw(hs.sampled_from(["", *STATUSES])),
            when=when,
            eased=draw(hs.sampled_from(["", *STATUSES])),
            pending=draw(hs.integers(0, 5)),
        ),
        muted=draw(hs.booleans()),
    )


def oracle_frame(rows: list[alerts.RowState]) -> pd.DataFrame:
    def moments(values: list[dt.datetime | None]) -> pd.Series:
        return pd.Series(values, dtype="datetime64[ns, UTC]")

    return pd.DataFrame(
        {
            "status": pd.Series([r.status for r in rows], dtype=object),
            "previous": pd.Series([r.previous for r in rows], dtype=object),
            "since": moments([r.since for r in rows]),
            "mailed": pd.Series([r.record.mailed for r in rows], dtype=object),
            "when": moments([r.record.when for r in rows]),
            "eased": pd.Series([r.record.eased for r in rows], dtype=object),
            "pending": pd.Series([r.record.pending for r in rows], dtype="int64"),
            "muted": pd.Series([r.muted for r in rows], dtype=bool),
        }
    )


def as_oracle_rows(decided: list[alerts.Decision]) -> list[tuple[object, ...]]:
    return [(d.reason, pd.Timestamp(d.since), d.told, d.eased, d.pending) for d in decided]


@settings(max_examples=400, deadline=None)
@given(
    rows=hs.lists(row_states(), min_size=1, max_size=40),
    okr=hs.booleans(),
    pending_runs=hs.integers(1, 4),
    repeat_hours=hs.sampled_from([1, 24, 72]),
)
def test_each_row_is_decided_as_the_vectorised_oracle_decided_it(
    rows: list[alerts.RowState], okr: bool, pending_runs: int, repeat_hours: int
) -> None:
    alerting = st.OKR_ALERTING if okr else st.KPI_ALERTING
    cfg = AlertsConfig(pending_runs=pending_runs, repeat_after=dt.timedelta(hours=repeat_hours))
    expected = oracle.decide(oracle_frame(rows), NOW, cfg, alerting)
    decided = [alerts.decide_row(r, NOW, cfg, alerting) for r in rows]
    assert as_oracle_rows(decided) == list(expected.itertuples(index=False, name=None))


LAST_ALERTS = hs.one_of(
    hs.just(""),
    hs.builds(alerts.render_record, RECORD, hs.integers(1, 4), hs.just(UTC)),
    hs.sampled_from(["CRITICAL 2026-11-02", "pending 9 of 3 runs", "eased to critical", "OK"]),
    hs.text(max_size=30),
)


@settings(max_examples=25, deadline=None)
@given(
    histories=HISTORIES,
    first=hs.lists(LAST_ALERTS, min_size=30, max_size=30),
    mutes=hs.lists(hs.booleans(), min_size=12, max_size=12),
    pending_runs=hs.integers(1, 3),
    repeat_hours=hs.sampled_from([5, 24, 72]),
)
def test_generated_histories_are_decided_run_by_run_as_the_oracle_decided_them(
    histories: list[list[str]],
    first: list[str],
    mutes: list[bool],
    pending_runs: int,
    repeat_hours: int,
) -> None:
    cfg = AlertsConfig(pending_runs=pending_runs, repeat_after=dt.timedelta(hours=repeat_hours))
    rows = Rows(len(histories), cfg)
    rows.cells["last_alert"] = first[: len(histories)]
    for step in range(12):
        now = START + step * dt.timedelta(hours=7)
        statuses = pd.Series([h[step] for h in histories], dtype=object)
        muted = pd.Series([mutes[step] and i % 2 == 0 for i in range(len(histories))])
        states = alerts.read_states(statuses, rows.cells, muted=muted, now=now, tz=UTC)
        expected = oracle.decide(oracle_frame(states), now, cfg, st.KPI_ALERTING)
        decided = [alerts.decide_row(s, now, cfg, st.KPI_ALERTING) for s in states]
        assert as_oracle_rows(decided) == list(expected.itertuples(index=False, name=None))
        rows.run(statuses.tolist(), now, muted=muted.tolist())
