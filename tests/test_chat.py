"""Chat alerts: what a channel reads, what each service is sent, and the run's guarantees.

Posts go through apprise to a chat server on loopback (tests/chat_server.py): plain JSON
webhooks directly, Slack's and Teams' own hosts through it as an HTTPS proxy, so each
assertion reads the request the library really makes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import chat_server
import openpyxl
import pytest
from chat_server import ChatServer
from workbooks import AS_OF, cli_env, config_text, demo_workbook

from sync import cli
from sync.config import parse
from sync.errors import ConfigError
from sync.notices import AlertItem, Digest
from sync.notify.chat import ChatPost, chat_post
from sync.notify.post import ChatSender

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#metrics"
TEAMS = "workflows://prod-00.westus.logic.azure.com/abcd1234/secretsig"


@pytest.fixture
def chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    state, server = chat_server.start(tmp_path)
    for key, value in state.env().items():
        monkeypatch.setenv(key, value)
    yield state
    server.shutdown()
    server.server_close()


def _item(name: str, status: str, reason: str = "new", **extra: object) -> AlertItem:
    return AlertItem(
        kind="kpi",
        name=name,
        status=status,
        previous="",
        reason=reason,  # type: ignore[arg-type]
        row=3,
        tab="KPIs",
        **extra,  # type: ignore[arg-type]
    )


def _digest(*items: AlertItem, url: str | None = None) -> Digest:
    return Digest("#ops", tuple(items), "Team metrics", url, NOW)


# -- what a channel reads ------------------------------------------------------------------


def test_a_post_puts_the_worst_rows_first_and_resolved_ones_last() -> None:
    post = chat_post(
        _digest(
            _item("Uptime", "OK", "resolved"),
            _item("Leads", "WARNING", value="470", threshold="warning 480"),
            _item("Churn", "CRITICAL", value="9 %", threshold="critical 5 %"),
        )
    )
    lines = post.body.splitlines()
    assert [line.split("**")[1] for line in lines] == ["CRITICAL", "WARNING", "RESOLVED (now OK)"]
    assert "Leads: 470 (warning 480)" in lines[1]
    assert post.title == "[metrics-sync] 1 critical, 1 warning, 1 resolved — Team metrics"


def test_a_long_post_stops_at_a_screenful_and_counts_the_rest() -> None:
    items = [_item(f"KPI {i:02}", "CRITICAL") for i in range(40)]
    lines = chat_post(_digest(*items), max_lines=15).body.splitlines()
    assert len(lines) == 16
    assert lines[-1] == "…and 25 more"


def test_a_post_links_to_the_workbook() -> None:
    url = "https://docs.google.com/spreadsheets/d/abc"
    body = chat_post(_digest(_item("Leads", "CRITICAL"), url=url)).body
    assert body.splitlines()[-1] == f"[Open Team metrics]({url})"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("[click](https://evil.example)", "\\[click\\](https://evil.example)"),
        ("@channel Leads", "\\@channel Leads"),
        ("<!here> *bold*", "\\<!here\\> \\*bold\\*"),
        ("Leads\nCRITICAL", "Leads CRITICAL"),
    ],
)
def test_sheet_text_cannot_add_links_mentions_or_lines_to_a_post(name: str, shown: str) -> None:
    body = chat_post(_digest(_item(name, "CRITICAL"))).body
    assert f"** {shown}" in body
    assert len(body.splitlines()) == 1


# -- what each service is sent -------------------------------------------------------------


def test_a_json_webhook_receives_the_title_and_the_markdown(chat: ChatServer) -> None:
    sender = ChatSender({"ops": f"json://{chat.url}/hook"})
    report = sender.send([("#ops", ChatPost("Title", "**CRITICAL** Leads"))])
    assert report.accepted == {"#ops"}
    [post] = chat.to("127.0.0.1")
    assert post.path == "/hook"
    assert post.body["title"] == "Title"
    assert post.body["message"] == "**CRITICAL** Leads"


def test_slack_receives_its_own_payload_on_its_own_webhook(chat: ChatServer) -> None:
    report = ChatSender({"ops": SLACK}).send([("#ops", ChatPost("Title", "**CRITICAL** Leads"))])
    assert report.accepted == {"#ops"}
    [post] = chat.to("hooks.slack.com")
    assert post.path == "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
    [attachment] = post.body["attachments"]
    assert attachment["title"] == "Title"
    assert attachment["text"] == "*CRITICAL* Leads"  # Slack's mrkdwn: one star is bold
    assert post.body["channel"] == "#metrics"
    assert attachment["footer"] == "metrics-sync"


def test_the_colour_a_service_draws_follows_the_worst_row(chat: ChatServer) -> None:
    critical = chat_post(_digest(_item("Leads", "CRITICAL")))
    resolved = chat_post(_digest(_item("Leads", "OK", "resolved")))
    ChatSender({"ops": SLACK}).send([("#ops", critical), ("#ops", resolved)])
    colours = [p.body["attachments"][0]["color"] for p in chat.to("hooks.slack.com")]
    assert (critical.tone, resolved.tone) == ("failure", "success")
    assert colours[0] != colours[1]


def test_teams_receives_an_adaptive_card_on_its_workflow(chat: ChatServer) -> None:
    report = ChatSender({"ops": TEAMS}).send([("#ops", ChatPost("Title", "**CRITICAL** Leads"))])
    assert report.accepted == {"#ops"}
    [post] = chat.to("prod-00.westus.logic.azure.com")
    assert post.path.startswith("/workflows/abcd1234/triggers/manual/paths/invoke?")
    [card] = post.body["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = [block.get("text", "") for block in card["content"]["body"]]
    assert "Title" in texts
    assert any("CRITICAL" in t and "Leads" in t for t in texts)


def test_a_refused_post_is_reported_without_the_channels_secret_url(chat: ChatServer) -> None:
    chat.statuses.append(500)
    report = ChatSender({"ops": SLACK}).send([("#ops", ChatPost("Title", "body"))])
    assert report.accepted == frozenset()
    assert "500" in report.failed["#ops"]
    assert "TIiajkdnlazkcOXrIdevi7" not in report.failed["#ops"]


# -- the config ----------------------------------------------------------------------------


def _config(extra: str, tmp_path: Path) -> str:
    return config_text(extra=extra)


def test_channels_may_keep_their_url_in_an_environment_variable(tmp_path: Path) -> None:
    text = config_text() + '\n[channels]\nops = { url_env = "OPS_HOOK" }\n'
    cfg = parse(_toml(text), tmp_path / "c.toml")
    assert cfg.channels["ops"].resolve({"OPS_HOOK": "json://127.0.0.1/x"}) == "json://127.0.0.1/x"
    assert cfg.channels["ops"].resolve({}) is None


def test_a_channel_list_may_only_name_defined_channels(tmp_path: Path) -> None:
    text = (
        config_text().replace("[alerts]\n", '[alerts]\nchannels = ["ops", "sales"]\n')
        + '\n[channels]\nops = "json://127.0.0.1/x"\n'
    )
    with pytest.raises(ConfigError) as err:
        parse(_toml(text), tmp_path / "c.toml")
    assert err.value.problems == [
        "alerts.channels = 'sales': expected a channel defined in [channels]"
    ]


def test_a_malformed_channel_never_echoes_its_value(tmp_path: Path) -> None:
    text = config_text() + '\n[channels]\nops = "T1JJ3T3L2-not-a-url"\n'
    with pytest.raises(ConfigError) as err:
        parse(_toml(text), tmp_path / "c.toml")
    assert "T1JJ3T3L2" not in str(err.value)
    assert "channels.ops" in str(err.value)


def _toml(text: str) -> dict[str, object]:
    import tomllib

    return tomllib.loads(text)


# -- a run ---------------------------------------------------------------------------------


def _own_rows(path: Path, owner: str) -> None:
    """Give every KPI row of the demo workbook the same Owner cell."""
    book = openpyxl.load_workbook(path)
    sheet = book["KPIs"]
    header = [c.value for c in sheet[1]]
    col = header.index("Owner") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 1).value:
            sheet.cell(row, col).value = owner
    book.save(path)


def _run(folder: Path, *extra: str) -> int:
    return cli.main(["run", "--once", "--config", str(folder / "metrics-sync.toml"), *extra])


def _setup(tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch, owner: str) -> Path:
    demo_workbook(tmp_path / "team-metrics.xlsx")
    _own_rows(tmp_path / "team-metrics.xlsx", owner)
    text = config_text() + f'\n[channels]\nops = "json://{chat.url}/hook"\n'
    (tmp_path / "metrics-sync.toml").write_text(text, encoding="utf-8")
    for key, value in cli_env(tmp_path / "locks").items():
        monkeypatch.setenv(key, value)
    return tmp_path


def test_rows_owned_by_a_channel_post_once_and_a_rerun_is_silent(
    tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _setup(tmp_path, chat, monkeypatch, "#ops")
    assert _run(folder, "--as-of", AS_OF) == 0
    [post] = chat.posts
    assert post.body["title"].startswith("[metrics-sync] ")
    assert "CRITICAL" in post.body["message"]
    assert _run(folder, "--as-of", "2026-11-26T09:00") == 0
    assert len(chat.posts) == 1


def test_a_channel_that_answers_500_is_posted_again_next_run(
    tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _setup(tmp_path, chat, monkeypatch, "#ops")
    chat.statuses.append(500)
    assert _run(folder, "--as-of", AS_OF) == 1
    assert _run(folder, "--as-of", "2026-11-26T09:00") == 0
    first, second = chat.posts
    assert first.body["message"] == second.body["message"]
    assert _run(folder, "--as-of", "2026-11-26T10:00") == 0
    assert len(chat.posts) == 2


def test_an_owner_naming_an_undefined_channel_fails_check_and_reaches_the_defaults(
    tmp_path: Path,
    chat: ChatServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = _setup(tmp_path, chat, monkeypatch, "#sales")
    assert cli.main(["check", "--config", str(folder / "metrics-sync.toml")]) == 2
    out = capsys.readouterr().out
    assert "Owner names #sales, which [channels] does not define" in out
    assert _run(folder, "--as-of", AS_OF) == 0
    assert chat.posts == []
    assert any((folder / "outbox").glob("*leads@example.com*"))


def test_a_url_typed_in_an_owner_cell_is_never_posted_to(
    tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _setup(tmp_path, chat, monkeypatch, f"json://{chat.url}/typed-in-the-sheet")
    assert _run(folder, "--as-of", AS_OF) == 0
    assert chat.posts == []


def test_a_dry_run_shows_what_the_channel_would_get_and_posts_nothing(
    tmp_path: Path,
    chat: ChatServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = _setup(tmp_path, chat, monkeypatch, "#ops")
    assert _run(folder, "--as-of", AS_OF, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "to #ops: '[metrics-sync] " in out
    assert "    🔴 **CRITICAL**" in out
    assert chat.posts == []


def test_the_weekly_summary_goes_to_its_channels_once_a_week(
    tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _setup(tmp_path, chat, monkeypatch, "leads@example.com")
    text = (folder / "metrics-sync.toml").read_text(encoding="utf-8")
    digest = '\n[digest]\nweekday = "thursday"\nat = "08:00"\nchannels = ["ops"]\n'
    (folder / "metrics-sync.toml").write_text(text + digest, encoding="utf-8")
    assert _run(folder, "--as-of", AS_OF) == 0  # Thursday 08:00 UTC
    [post] = chat.posts
    assert post.body["title"] == "[metrics-sync] Weekly summary — team-metrics"
    assert _run(folder, "--as-of", "2026-11-27T08:00") == 0
    assert len(chat.posts) == 1


def test_a_refused_post_is_retried_without_mailing_the_co_owner_again(
    tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _setup(tmp_path, chat, monkeypatch, "leads@example.com, #ops")
    chat.statuses.append(500)
    assert _run(folder, "--as-of", AS_OF) == 1
    mails = sorted((folder / "outbox").rglob("*.eml"))
    assert any("leads@example.com" in m.name for m in mails)
    assert _run(folder, "--as-of", "2026-11-26T09:00") == 0
    assert len(chat.posts) == 2  # refused, then taken
    assert sorted((folder / "outbox").rglob("*.eml")) == mails
    assert _run(folder, "--as-of", "2026-11-26T10:00") == 0
    assert len(chat.posts) == 2
    assert sorted((folder / "outbox").rglob("*.eml")) == mails


def test_a_channel_gets_a_reminder_after_repeat_after_and_a_resolved_post_on_recovery(
    tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _setup(tmp_path, chat, monkeypatch, "#ops")
    assert _run(folder, "--as-of", AS_OF) == 0
    assert "1 critical" in chat.posts[-1].body["title"]
    assert _run(folder, "--as-of", "2026-11-27T09:00") == 0  # 25 h later: a reminder
    assert "1 still critical" in chat.posts[-1].body["title"]
    book = openpyxl.load_workbook(folder / "team-metrics.xlsx")
    kpis = book["KPIs"]
    leads = next(
        r for r in range(2, kpis.max_row + 1) if kpis.cell(r, 1).value == "Qualified leads"
    )
    kpis.cell(leads, 21).value = 520  # the week of 2026-11-23: back above its thresholds
    book.save(folder / "team-metrics.xlsx")
    assert _run(folder, "--as-of", "2026-11-27T10:00") == 0
    assert len(chat.posts) == 3
    resolved = [line for line in chat.posts[-1].body["message"].splitlines() if "RESOLVED" in line]
    assert len(resolved) == 1
    assert "Qualified leads" in resolved[0]
