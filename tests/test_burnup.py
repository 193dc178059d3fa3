"""Each objective's burn-up: the lines computed from its key results' dated values, and the
chart in the weekly summary and the key-result mails (one per objective per mail)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from typing import Any

import pandas as pd
import pytest

from sync.burnup import Burnup
from sync.config import OkrConfig
from sync.notices import AlertItem, Digest
from sync.notify.compose import compose
from sync.rules import status as st
from sync.rules.burnup_lines import burnups
from sync.rules.okr import Cycle, OkrResult

CYCLE = Cycle(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
TODAY = dt.date(2026, 10, 15)
DAY = dt.timedelta(days=1)


def okrs(*krs: dict[str, Any], forecast: float = 0.5) -> OkrResult:
    base = {
        "objective": "Grow",
        "start": 0.0,
        "target": 10.0,
        "milestone": False,
        "maintain": False,
        "higher": True,
        "kind": "committed",
        "due": pd.NaT,
        "status": st.ON_TRACK,
        "weight": 1.0,
    }
    frame = pd.DataFrame([{**base, **k} for k in krs], index=pd.RangeIndex(2, len(krs) + 2))
    return OkrResult(frame, pd.DataFrame({"objective": ["Grow"], "forecast": [forecast]}))


def test_actual_progress_is_the_weighted_mean_of_each_key_results_latest_value() -> None:
    result = okrs({"weight": 3.0}, {"milestone": True})
    points = {
        2: [(CYCLE.start + 2 * DAY, 2.0), (CYCLE.start + 9 * DAY, 4.0)],
        3: [(CYCLE.start, 0.0), (CYCLE.start + 5 * DAY, 1.0)],
    }
    line = burnups(result, points, CYCLE, TODAY, OkrConfig())["Grow"].actual
    assert line == (
        (CYCLE.start + 2 * DAY, (3 * 0.2 + 0) / 4),
        (CYCLE.start + 5 * DAY, (3 * 0.2 + 1) / 4),
        (CYCLE.start + 9 * DAY, (3 * 0.4 + 1) / 4),
    )


def test_the_expected_line_bends_at_each_due_date_and_ends_at_the_pace() -> None:
    result = okrs({"due": pd.Timestamp("2026-11-14")}, {"kind": "aspirational"})
    line = burnups(result, {}, CYCLE, TODAY, OkrConfig())["Grow"].expected
    assert [d for d, _ in line] == [CYCLE.start, dt.date(2026, 11, 14), CYCLE.end]
    assert line[1][1] == pytest.approx((1.0 + 0.7 * 45 / 92) / 2)
    assert line[-1][1] == pytest.approx((1.0 + 0.7) / 2)


def test_the_forecast_runs_from_today_to_the_last_due_date_and_none_once_the_cycle_ended() -> None:
    result = okrs({})
    points = {2: [(CYCLE.start, 1.0), (TODAY, 2.0)]}
    burn = burnups(result, points, CYCLE, TODAY, OkrConfig())["Grow"]
    assert burn.forecast == ((TODAY, 0.2), (CYCLE.end, 0.5))
    after = burnups(result, points, CYCLE, CYCLE.end + DAY, OkrConfig())["Grow"]
    assert after.forecast == ()


def test_an_objective_whose_key_results_are_all_errors_has_no_chart() -> None:
    assert burnups(okrs({"status": st.ERROR}), {}, CYCLE, TODAY, OkrConfig()) == {}


# -- in the mails --------------------------------------------------------------------------------

BURN = Burnup(
    "Grow",
    actual=((CYCLE.start, 0.0), (TODAY, 0.2)),
    expected=((CYCLE.start, 0.0), (CYCLE.end, 1.0)),
    forecast=((TODAY, 0.2), (CYCLE.end, 0.8)),
)


def item(kind: str, name: str, status: str = st.OFF_TRACK) -> AlertItem:
    reason = "repeat" if kind == "objective" else "new"
    return AlertItem(kind, name, status, "", reason, 0, "OKRs", burnup=BURN)  # type: ignore[arg-type]


def images(message: EmailMessage) -> list[bytes]:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    return [
        p.get_payload(decode=True) for p in parsed.walk() if p.get_content_type() == "image/png"
    ]


def test_the_weekly_summary_shows_each_objectives_burn_up() -> None:
    pytest.importorskip("matplotlib")
    now = dt.datetime(2026, 10, 15, 8, tzinfo=dt.UTC)
    summary = (item("objective", "Grow"),)
    mail = compose(Digest("lead@example.com", (), "Team", None, now, True, summary), "m@x.org")
    [png] = images(mail)
    assert png.startswith(b"\x89PNG")
    html = email.message_from_bytes(mail.as_bytes(), policy=email.policy.default)
    body = html.get_body(("html",))  # type: ignore[attr-defined]
    assert 'alt="progress of Grow over the cycle"' in body.get_content()


def test_two_key_results_of_one_objective_bring_its_chart_once() -> None:
    pytest.importorskip("matplotlib")
    now = dt.datetime(2026, 10, 15, 8, tzinfo=dt.UTC)
    krs = (item("key_result", "Grow › Close deals"), item("key_result", "Grow › Hire"))
    mail = compose(Digest("bo@example.com", krs, "Team", None, now), "m@x.org")
    assert len(images(mail)) == 1
