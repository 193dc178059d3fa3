"""compose(): what a recipient of an alert or weekly mail sees, checked on the parsed mail."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import sys
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.notices import AlertItem, Digest
from sync.notify import chart
from sync.notify.compose import MAX_DETAILED, compose, duration

NOW = dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC)
SENDER = "Metrics <metrics@example.com>"
URL = "https://docs.google.com/spreadsheets/d/abc123"


def item(name: str = "Signups", status: str = "CRITICAL", **fields: Any) -> AlertItem:
    values: dict[str, Any] = {
        "kind": "kpi",
        "previous": "WARNING",
        "reason": "worse",
        "row": 5,
        "tab": "KPIs",
        "value": "412",
        "threshold": "critical 450",
        "change": "-17.6 % since 2026-11-09",
        "note": "412 < critical 450 (lower than 500 last week, -17.6%)",
        "owner": "ana@example.com",
        "since": NOW - dt.timedelta(days=3),
    }
    return AlertItem(name=name, status=status, **{**values, **fields})


def digest(*items: AlertItem, **fields: Any) -> Digest:
    values: dict[str, Any] = {
        "recipient": "lead@example.com",
        "workbook": "Team metrics",
        "url": URL,
        "now": NOW,
    }
    return Digest(items=tuple(items), **{**values, **fields})


def parsed(message: EmailMessage) -> EmailMessage:
    """The mail as a client reads it after transport."""
    result = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(result, EmailMessage)
    return result


def text_of(message: EmailMessage) -> str:
    part = parsed(message).get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = parsed(message).get_body(("html",))
    assert part is not None
    return str(part.get_content())


def images_of(message: EmailMessage) -> list[EmailMessage]:
    return [p for p in parsed(message).walk() if p.get_content_type() == "image/png"]


MIXED = (
    item("Churn", "WARNING", previous="", reason="new"),
    item("Latency", "OK", previous="CRITICAL", reason="resolved"),
    item("Signups", "CRITICAL"),
    item(
        "Grow › 10k users",
        "OFF TRACK",
        kind="key_result",
        previous="",
        reason="new",
        tab="OKRs",
        threshold="expected 60 %",
    ),
    item("Revenue", "CRITICAL", reason="repeat"),
)


# -- subject ---------------------------------------------------------------------------------


def test_the_subject_counts_each_status_worst_first_and_resolved_last() -> None:
    mail = parsed(compose(digest(*MIXED), SENDER))
    assert mail["Subject"] == (
        "[metrics-sync] 1 critical, 1 still critical, 1 warning, 1 off track, 1 resolved — "
        "Team metrics"
    )


def test_a_mail_of_reminders_says_the_rows_are_still_alerting() -> None:
    reminders = digest(
        item("Revenue", "CRITICAL", reason="repeat"),
        item("Churn", "WARNING", reason="repeat"),
        item("Signups", "CRITICAL", reason="repeat"),
    )
    assert parsed(compose(reminders, SENDER))["Subject"] == (
        "[metrics-sync] 2 still critical, 1 still warning — Team metrics"
    )


def test_a_weekly_digest_has_a_summary_subject() -> None:
    weekly = digest(weekly=True, summary=MIXED)
    assert parsed(compose(weekly, SENDER))["Subject"] == (
        "[metrics-sync] Weekly summary — Team metrics"
    )


def test_line_breaks_in_the_workbook_title_cannot_add_headers() -> None:
    mail = parsed(compose(digest(*MIXED, workbook="Team\r\nBcc: evil@x\n\tmetrics"), SENDER))
    assert mail["Bcc"] is None
    assert mail["Subject"].endswith("— Team Bcc: evil@x metrics")


# -- body ------------------------------------------------------------------------------------


def test_the_text_part_comes_first_and_the_html_part_second() -> None:
    mail = parsed(compose(digest(*MIXED), SENDER))
    assert mail.get_content_type() == "multipart/alternative"
    types = [p.get_content_type() for p in mail.iter_parts()]
    assert types[0] == "text/plain"
    assert types[1] in ("text/html", "multipart/related")


def test_each_item_shows_what_a_reader_needs_to_act() -> None:
    text = text_of(compose(digest(item()), SENDER))
    for expected in (
        "CRITICAL",
        "Signups",
        "was WARNING",
        "for 3 days",
        "value 412",
        "critical 450",
        "-17.6 % since 2026-11-09",
        "ana@example.com",
        "lower than 500 last week",
        "KPIs row 5",
        URL,
    ):
        assert expected in text


def test_the_html_part_shows_the_same_facts_and_links_to_the_sheet() -> None:
    html = html_of(compose(digest(item()), SENDER))
    for expected in (
        "CRITICAL",
        "Signups",
        "was WARNING",
        "for 3 days",
        "critical 450",
        "ana@example.com",
        "KPIs row 5",
    ):
        assert expected in html
    assert f'href="{URL}"' in html


def test_the_most_severe_items_come_first_and_resolved_ones_last() -> None:
    text = text_of(compose(digest(*MIXED), SENDER))
    order = [text.index(name) for name in ("Revenue", "Signups", "Churn", "Grow", "Latency")]
    assert order == sorted(order)
    assert "RESOLVED  Latency: now OK, was CRITICAL" in text


def test_a_script_tag_in_a_kpi_name_is_escaped_in_the_html() -> None:
    html = html_of(compose(digest(item("<script>alert(1)</script>")), SENDER))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_javascript_url_is_never_made_a_link() -> None:
    html = html_of(compose(digest(item(), url="javascript:alert(1)"), SENDER))
    assert "javascript:" not in html


def test_a_line_break_in_a_kpi_name_adds_no_header_and_stays_on_one_line() -> None:
    mail = compose(digest(item("Signups\r\nBcc: evil@x")), SENDER)
    assert parsed(mail)["Bcc"] is None
    assert "Signups Bcc: evil@x" in text_of(mail)
    assert "\nBcc:" not in text_of(mail)


def test_only_fifty_items_are_detailed_and_the_rest_are_counted() -> None:
    many = [item(f"KPI {n:03d}", "WARNING") for n in range(MAX_DETAILED + 3)]
    mail = compose(digest(*many), SENDER)
    text, html = text_of(mail), html_of(mail)
    assert "KPI 049" in text
    assert "KPI 050" not in text
    assert "+3 more" in text
    assert "+3 more" in html
    assert parsed(mail)["Subject"].startswith("[metrics-sync] 53 warning —")


def test_a_weekly_digest_lists_every_row_of_the_summary() -> None:
    text = text_of(compose(digest(weekly=True, summary=MIXED), SENDER))
    for name in ("Churn", "Latency", "Signups", "Grow", "Revenue"):
        assert name in text
    assert text.startswith("Weekly summary of Team metrics")


def test_an_empty_digest_still_makes_a_readable_mail() -> None:
    mail = parsed(compose(digest(), SENDER))
    assert mail["Subject"] == "[metrics-sync] nothing to report — Team metrics"


# -- headers ---------------------------------------------------------------------------------


def test_the_mail_says_it_is_automatic_so_auto_responders_stay_quiet() -> None:
    mail = parsed(compose(digest(item()), SENDER))
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["Precedence"] == "bulk"


def test_the_date_is_the_digest_time_and_the_addresses_are_set() -> None:
    mail = parsed(compose(digest(item()), SENDER))
    assert mail["Date"].datetime == NOW
    assert mail["To"] == "lead@example.com"
    assert mail["From"].addresses[0].addr_spec == "metrics@example.com"


def test_the_message_id_is_the_same_when_the_same_alerts_are_composed_again() -> None:
    first = compose(digest(*MIXED), SENDER)
    again = compose(digest(*reversed(MIXED), now=NOW + dt.timedelta(minutes=15)), SENDER)
    assert first["Message-ID"] == again["Message-ID"]
    assert str(first["Message-ID"]).endswith("@example.com>")


def test_the_message_id_differs_for_another_alert_set_or_recipient() -> None:
    base = compose(digest(*MIXED), SENDER)["Message-ID"]
    assert compose(digest(*MIXED[:-1]), SENDER)["Message-ID"] != base
    assert compose(digest(*MIXED, recipient="bo@example.com"), SENDER)["Message-ID"] != base
    worse = (replace(MIXED[0], status="CRITICAL"), *MIXED[1:])
    assert compose(digest(*worse), SENDER)["Message-ID"] != base


def test_a_repeat_reminder_gets_a_new_message_id_so_it_is_not_dropped_as_a_duplicate() -> None:
    mailed = NOW - dt.timedelta(hours=24)
    first = compose(digest(item(reason="repeat", last_alert=mailed)), SENDER)
    next_day = compose(digest(item(reason="repeat", last_alert=NOW)), SENDER)
    assert first["Message-ID"] != next_day["Message-ID"]


def test_weekly_summaries_of_two_weeks_have_different_message_ids() -> None:
    week1 = compose(digest(weekly=True, summary=MIXED), SENDER)
    week2 = compose(digest(weekly=True, summary=MIXED, now=NOW + dt.timedelta(days=7)), SENDER)
    assert week1["Message-ID"] != week2["Message-ID"]


# -- charts ----------------------------------------------------------------------------------

HISTORY = tuple(
    (dt.date(2026, 10, 19) + dt.timedelta(weeks=n), v)
    for n, v in enumerate((530.0, 515.0, 500.0, 412.0))
)
CHARTED = item(history=HISTORY, warning=480.0, critical=450.0)


def test_a_breached_kpi_with_history_gets_an_inline_chart_with_matplotlib() -> None:
    pytest.importorskip("matplotlib")
    mail = compose(digest(CHARTED), SENDER)
    html_part = parsed(mail).get_body(("related",))
    assert html_part is not None
    assert html_part.get_content_type() == "multipart/related"
    [image] = images_of(mail)
    assert image.get_content().startswith(b"\x89PNG")
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html_of(mail)


def test_without_charts_the_mail_has_no_image_and_no_trace_of_one() -> None:
    mail = compose(digest(CHARTED), SENDER, charts=False)
    assert images_of(mail) == []
    assert "cid:" not in html_of(mail)
    assert parsed(mail).get_body(("html",)) is not None


def test_without_matplotlib_installed_the_mail_simply_has_no_chart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules is Python's documented way to make an import fail; chart.py
    # imports the top-level package first precisely so that this stops it.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert not chart.available()
    mail = compose(digest(CHARTED), SENDER)
    assert images_of(mail) == []
    assert "cid:" not in html_of(mail)
    assert "matplotlib" not in text_of(mail) + html_of(mail)


def test_a_kpi_charted_in_two_mails_is_drawn_once() -> None:
    """A first run of a big sheet mails hundreds of charts at ~13 ms each; the owner's and the
    managers' mails show the same KPI's chart, so it is drawn once."""
    pytest.importorskip("matplotlib")
    chart._drawn.cache_clear()
    owner = compose(digest(CHARTED, recipient="ana@example.com"), SENDER)
    lead = compose(digest(CHARTED, recipient="lead@example.com"), SENDER)
    assert images_of(owner)[0].get_content() == images_of(lead)[0].get_content()
    assert chart._drawn.cache_info().misses == 1


def test_resolved_items_and_key_results_get_no_chart() -> None:
    pytest.importorskip("matplotlib")
    resolved = replace(CHARTED, status="OK", reason="resolved")
    key_result = replace(CHARTED, kind="key_result", status="OFF TRACK")
    assert images_of(compose(digest(resolved, key_result), SENDER)) == []


# -- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (dt.timedelta(seconds=20), "for less than a minute"),
        (dt.timedelta(minutes=1), "for 1 minute"),
        (dt.timedelta(minutes=59), "for 59 minutes"),
        (dt.timedelta(hours=1), "for 1 hour"),
        (dt.timedelta(hours=47), "for 47 hours"),
        (dt.timedelta(days=3, hours=5), "for 3 days"),
    ],
)
def test_how_long_a_status_has_held_is_said_in_its_largest_whole_unit(
    ago: dt.timedelta, expected: str
) -> None:
    assert duration(NOW - ago, NOW) == expected


def test_an_unknown_or_future_start_says_nothing_about_duration() -> None:
    assert duration(None, NOW) == ""
    assert duration(NOW + dt.timedelta(hours=1), NOW) == ""


def test_a_naive_since_is_read_as_utc_rather_than_breaking_the_mail() -> None:
    assert duration(dt.datetime(2026, 11, 13, 8, 0), NOW) == "for 3 days"


@given(st.datetimes(), st.datetimes(timezones=st.just(dt.UTC)))
def test_a_duration_is_always_empty_or_a_for_phrase(since: dt.datetime, now: dt.datetime) -> None:
    said = duration(since, now)
    assert said == "" or said.startswith("for ")


@settings(max_examples=60, deadline=None)
@given(name=st.text(), title=st.text(), note=st.text())
def test_no_sheet_text_can_add_a_header_or_raw_html(name: str, title: str, note: str) -> None:
    mail = parsed(compose(digest(item(name, note=note), workbook=title), SENDER))
    assert set(mail.keys()) == {
        "Subject",
        "From",
        "To",
        "Date",
        "Message-ID",
        "Auto-Submitted",
        "X-Auto-Response-Suppress",
        "Precedence",
        "MIME-Version",
        "Content-Type",
    }
    assert "<script" not in html_of(compose(digest(item(f"<script>{name}")), SENDER))
