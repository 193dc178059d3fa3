"""Delivery against a real SMTP server (aiosmtpd) and a real outbox folder."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import socket
import ssl
import time
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sync.config import EmailConfig
from sync.errors import ConfigError
from sync.notices import AlertItem, Digest
from sync.notify.compose import compose
from sync.notify.email import (
    OutboxSender,
    SmtpSender,
    default_port,
    make_sender,
    password_from_env,
)

if TYPE_CHECKING:
    from tests.conftest import SmtpServer, SmtpServerFactory

NOW = dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC)
ANA, BO, CY = "ana@example.com", "bo@example.com", "cy@example.com"


def mail_for(recipient: str, *names: str, status: str = "CRITICAL") -> tuple[str, EmailMessage]:
    items = tuple(
        AlertItem(
            kind="kpi",
            name=n,
            status=status,
            previous="",
            reason="new",
            row=2,
            tab="KPIs",
            value="412",
            threshold="critical 450",
        )
        for n in names
    )
    digest = Digest(recipient=recipient, items=items, workbook="Team metrics", url=None, now=NOW)
    return recipient, compose(digest, "metrics@example.com")


def sender_for(server: SmtpServer, **overrides: object) -> SmtpSender:
    password = overrides.pop("password", None)
    assert password is None or isinstance(password, str)
    return SmtpSender(server.config(**overrides), password, ssl_context=server.client_context)


# -- routing ---------------------------------------------------------------------------------


def test_each_recipient_gets_one_mail_of_their_own_over_one_connection(
    smtp_server: SmtpServer,
) -> None:
    report = sender_for(smtp_server).send([mail_for(ANA, "Signups"), mail_for(BO, "Churn")])
    assert report.accepted == {ANA, BO}
    assert report.failed == {}
    received = smtp_server.handler.received
    assert [e.rcpt_tos for e in received] == [(ANA,), (BO,)]
    assert {e.mail_from for e in received} == {"metrics@example.com"}
    assert len({e.peer for e in received}) == 1


def test_the_mail_travels_encrypted_after_starttls(smtp_server: SmtpServer) -> None:
    sender_for(smtp_server).send([mail_for(ANA, "Signups")])
    [envelope] = smtp_server.handler.received
    assert envelope.tls


def test_what_arrives_is_the_composed_digest(smtp_server: SmtpServer) -> None:
    sender_for(smtp_server).send([mail_for(ANA, "Signups", "<script>x</script>\r\nBcc: evil@x")])
    [mail] = smtp_server.handler.messages
    assert mail["Subject"] == "[metrics-sync] 2 critical — Team metrics"
    assert mail["To"] == ANA
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Bcc"] is None
    html = mail.get_body(("html",))
    text = mail.get_body(("plain",))
    assert html is not None
    assert text is not None
    assert "&lt;script&gt;" in html.get_content()
    assert "<script>" not in html.get_content()
    assert "Signups" in text.get_content()


def test_the_same_alerts_sent_twice_carry_the_same_message_id(smtp_server: SmtpServer) -> None:
    sender = sender_for(smtp_server)
    sender.send([mail_for(ANA, "Signups")])
    sender.send([mail_for(ANA, "Signups")])
    first, second = smtp_server.handler.messages
    assert first["Message-ID"] == second["Message-ID"]


# -- refusals --------------------------------------------------------------------------------


def test_a_refused_recipient_is_the_only_one_reported_failed(smtp_server: SmtpServer) -> None:
    smtp_server.handler.refuse.add(BO)
    report = sender_for(smtp_server).send(
        [mail_for(ANA, "Signups"), mail_for(BO, "Churn"), mail_for(CY, "Latency")]
    )
    assert report.accepted == {ANA, CY}
    assert set(report.failed) == {BO}
    assert "refused the recipient: 550" in report.failed[BO]
    assert [e.rcpt_tos for e in smtp_server.handler.received] == [(ANA,), (CY,)]


def test_a_server_refusing_everyone_fails_every_recipient_without_raising(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.handler.refuse_all = True
    report = sender_for(smtp_server).send([mail_for(ANA, "Signups"), mail_for(BO, "Churn")])
    assert report.accepted == frozenset()
    assert set(report.failed) == {ANA, BO}


def test_a_connection_dropped_during_data_fails_that_mail_and_the_next_one_still_goes(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.handler.drop_during_data.add(ANA)
    report = sender_for(smtp_server).send([mail_for(ANA, "Signups"), mail_for(BO, "Churn")])
    assert report.accepted == {BO}
    assert "closed the connection before confirming" in report.failed[ANA]
    assert [e.rcpt_tos for e in smtp_server.handler.received] == [(BO,)]


def test_an_address_with_a_line_break_never_reaches_the_envelope(smtp_server: SmtpServer) -> None:
    evil = "ana@example.com\r\nRCPT TO:<evil@x>"
    report = sender_for(smtp_server).send([(evil, mail_for(ANA, "Signups")[1])])
    assert report.failed[evil].startswith("not an e-mail address")
    assert smtp_server.handler.received == []


# -- transport security ----------------------------------------------------------------------


def test_a_server_without_starttls_gets_nothing_and_the_reason_says_so(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(starttls=False)
    sender = SmtpSender(server.config(starttls=True), None, ssl_context=server.client_context)
    report = sender.send([mail_for(ANA, "Signups"), mail_for(BO, "Churn")])
    assert report.accepted == frozenset()
    assert set(report.failed) == {ANA, BO}
    assert "does not offer STARTTLS" in report.failed[ANA]
    assert server.handler.received == []


def test_starttls_false_sends_in_clear_only_when_explicitly_configured(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(starttls=False)
    report = SmtpSender(server.config(starttls=False), None).send([mail_for(ANA, "Signups")])
    assert report.accepted == {ANA}
    assert not server.handler.received[0].tls


def test_implicit_tls_delivers_over_an_encrypted_socket(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(implicit_tls=True)
    report = sender_for(server).send([mail_for(ANA, "Signups")])
    assert report.accepted == {ANA}
    assert server.handler.received[0].tls


def test_an_untrusted_certificate_is_refused_not_ignored(smtp_server: SmtpServer) -> None:
    report = SmtpSender(smtp_server.config(), None, ssl_context=ssl.create_default_context()).send(
        [mail_for(ANA, "Signups")]
    )
    assert "certificate could not be verified" in report.failed[ANA]
    assert smtp_server.handler.received == []


def test_login_happens_when_a_username_is_set(smtp_server_factory: SmtpServerFactory) -> None:
    server = smtp_server_factory(users={"robot": "s3cret"})
    report = sender_for(server, username="robot", password="s3cret").send(
        [mail_for(ANA, "Signups")]
    )
    assert report.accepted == {ANA}
    assert server.handler.received[0].login == "robot"


def test_a_wrong_password_is_reported_for_every_mail_and_never_shown(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(users={"robot": "s3cret"})
    report = sender_for(server, username="robot", password="wrong-pw").send(
        [mail_for(ANA, "Signups"), mail_for(BO, "Churn")]
    )
    assert set(report.failed) == {ANA, BO}
    assert "refused the login of 'robot'" in report.failed[ANA]
    assert "wrong-pw" not in " ".join(report.failed.values())


def test_nobody_listening_is_reported_for_every_recipient(smtp_server: SmtpServer) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    report = SmtpSender(EmailConfig(host="127.0.0.1", port=port, timeout=2), None).send(
        [mail_for(ANA, "Signups"), mail_for(BO, "Churn")]
    )
    assert set(report.failed) == {ANA, BO}
    assert f"could not connect to 127.0.0.1:{port}" in report.failed[BO]


# -- config helpers --------------------------------------------------------------------------


def test_the_password_comes_from_the_named_environment_variable() -> None:
    cfg = EmailConfig(host="smtp.example.com", username="robot", password_env="SMTP_PW")
    assert password_from_env(cfg, {"SMTP_PW": "s3cret"}) == "s3cret"
    assert password_from_env(EmailConfig(host="smtp.example.com"), {}) is None


def test_a_named_but_unset_password_variable_is_a_config_error_naming_it() -> None:
    cfg = EmailConfig(host="smtp.example.com", username="robot", password_env="SMTP_PW")
    with pytest.raises(ConfigError, match="SMTP_PW"):
        password_from_env(cfg, {})


def test_a_username_without_a_password_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="password_env"):
        SmtpSender(EmailConfig(host="smtp.example.com", username="robot"), None)


@pytest.mark.parametrize(
    ("cfg", "port"),
    [
        (EmailConfig(host="h"), 587),
        (EmailConfig(host="h", ssl=True, starttls=False), 465),
        (EmailConfig(host="h", starttls=False), 25),
        (EmailConfig(host="h", port=2525), 2525),
    ],
)
def test_the_port_defaults_to_the_one_the_security_mode_uses(cfg: EmailConfig, port: int) -> None:
    assert default_port(cfg) == port


def test_without_an_smtp_host_mail_goes_to_the_outbox(tmp_path: Path) -> None:
    sender = make_sender(EmailConfig(outbox=tmp_path / "outbox"))
    assert isinstance(sender, OutboxSender)
    cfg = EmailConfig(host="smtp.example.com", username="u", password_env="PW")
    assert isinstance(make_sender(cfg, {"PW": "x"}), SmtpSender)


# -- outbox ----------------------------------------------------------------------------------


def test_outbox_files_are_written_one_per_recipient_and_parse_back(tmp_path: Path) -> None:
    outbox = tmp_path / "new" / "outbox"
    report = OutboxSender(outbox).send([mail_for(ANA, "Signups"), mail_for(BO, "Churn")])
    assert report.accepted == {ANA, BO}
    files = sorted(outbox.glob("*.eml"))
    assert [f.name.split("-")[1] for f in files] == [ANA, BO]
    assert all(f.name.startswith("20261116T080000Z-") for f in files)
    mail = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert mail["Subject"] == "[metrics-sync] 1 critical — Team metrics"
    assert mail.get_body(("plain",)) is not None
    assert mail.get_body(("html",)) is not None


def test_writing_the_same_mail_again_replaces_its_file(tmp_path: Path) -> None:
    sender = OutboxSender(tmp_path)
    sender.send([mail_for(ANA, "Signups")])
    sender.send([mail_for(ANA, "Signups")])
    sender.send([mail_for(ANA, "Signups", "Churn")])
    assert len(list(tmp_path.glob("*.eml"))) == 2
    assert list(tmp_path.glob(".*")) == []


def test_an_outbox_that_cannot_be_written_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be")
    report = OutboxSender(blocker).send([mail_for(ANA, "Signups")])
    assert report.accepted == frozenset()
    assert "could not write to the outbox" in report.failed[ANA]


def test_temp_files_a_killed_run_left_in_the_outbox_are_swept_and_fresh_ones_kept(
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    left = outbox / ".a1b2c3.tmp"  # what a run killed in the middle of a write leaves
    left.write_bytes(b"x" * 100_000)
    an_hour_ago = time.time() - 3600
    os.utime(left, (an_hour_ago, an_hour_ago))
    writing = outbox / ".d4e5f6.tmp"  # another process's write, in progress
    writing.write_bytes(b"y")
    report = OutboxSender(outbox).send([mail_for(ANA, "Signups")])
    assert report.accepted == {ANA}
    assert not left.exists()
    assert writing.exists()
    assert len(list(outbox.glob("*.eml"))) == 1
