"""Shared fixtures.

smtp_server*: a real SMTP server (aiosmtpd) on a free loopback port, recording what it
receives and able to misbehave on request (refuse a recipient, refuse everyone, drop the
connection during DATA, offer no STARTTLS, require AUTH). Real protocol, no mocks.
Every test keeps its run locks in its own folder, never in the user's home. Hypothesis has
no per-example deadline: a loaded 2-core machine must not turn slowness into a failure.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from hypothesis import settings

from sync.config import EmailConfig

settings.register_profile("metrics-sync", deadline=None)
settings.load_profile("metrics-sync")


@pytest.fixture(autouse=True)
def _private_lock_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Locks in a folder of the test session's own, unless a test sets its own."""
    folder = tmp_path_factory.getbasetemp() / "locks"
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(folder))


# -- smtp_server ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpServerEnvelope:
    """One mail as the server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: Any  # (host, port) of the client: the same port means the same connection
    tls: bool  # whether the session was encrypted when DATA arrived
    login: str | None  # who authenticated, if anyone

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpServerHandler:
    """aiosmtpd handler: records envelopes; misbehaves when told to."""

    received: list[SmtpServerEnvelope] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550 (for good)
    refuse_all: bool = False
    defer: set[str] = field(default_factory=set)  # recipients answered with 450 (try later)
    defer_all: bool = False
    drop_during_data: set[str] = field(default_factory=set)  # recipients whose DATA is cut
    users: dict[str, str] = field(default_factory=dict)  # login -> password (for AUTH)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.refuse_all or address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if self.defer_all or address in self.defer:
            return f"450 4.2.1 <{address}>: mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.drop_during_data & set(envelope.rcpt_tos):
            assert server.transport is not None
            server.transport.close()  # the client never sees a reply to its DATA
            return "421 closing"
        assert isinstance(envelope.content, bytes)
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        assert server.transport is not None
        tls = server.transport.get_extra_info("ssl_object") is not None  # STARTTLS or implicit
        self.received.append(
            SmtpServerEnvelope(
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=envelope.content,
                peer=session.peer,
                tls=tls,
                login=login,
            )
        )
        return "250 2.0.0 OK: queued"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        # handled=False: aiosmtpd sends the 235/535 reply itself
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    @property
    def messages(self) -> list[EmailMessage]:
        return [e.message for e in self.received]


class SmtpServerController(Controller):
    """A Controller on a socket bound to port 0 first: a free port, without a race."""

    def __init__(self, handler: SmtpServerHandler, **kwargs: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        super().__init__(
            handler,
            hostname="127.0.0.1",
            port=self._socket.getsockname()[1],
            server_hostname="localhost",
            **kwargs,
        )

    def _create_server(self) -> Any:  # aiosmtpd's documented override point
        return self.loop.create_server(
            self._factory_invoker, sock=self._socket, ssl=self.ssl_context
        )


@dataclass
class SmtpServer:
    """A running server and how to reach it."""

    handler: SmtpServerHandler
    host: str
    port: int
    starttls: bool
    implicit_tls: bool
    client_context: ssl.SSLContext  # trusts the test CA

    def config(self, **overrides: Any) -> EmailConfig:
        """An ``[email]`` config pointing at this server."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "starttls": self.starttls and not self.implicit_tls,
            "ssl": self.implicit_tls,
            "sender": "metrics@example.com",
            "timeout": 5.0,
        }
        return EmailConfig(**{**values, **overrides})


SmtpServerFactory = Callable[..., SmtpServer]


@pytest.fixture(scope="session")
def smtp_server_tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context): a throwaway CA made at test time (trustme)."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


@pytest.fixture
def smtp_server_factory(
    smtp_server_tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> Iterator[SmtpServerFactory]:
    """Starts servers on demand: ``start(starttls=True, implicit_tls=False, users=None)``."""
    server_context, client_context = smtp_server_tls
    running: list[SmtpServerController] = []

    def start(
        *, starttls: bool = True, implicit_tls: bool = False, users: dict[str, str] | None = None
    ) -> SmtpServer:
        handler = SmtpServerHandler(users=dict(users or {}))
        kwargs: dict[str, Any] = {}
        if implicit_tls:
            kwargs["ssl_context"] = server_context
        elif starttls:
            kwargs["tls_context"] = server_context
        if users:
            kwargs.update(authenticator=handler.authenticate, auth_required=True)
        controller = SmtpServerController(handler, **kwargs)
        controller.start()
        running.append(controller)
        return SmtpServer(
            handler, "127.0.0.1", controller.port, starttls, implicit_tls, client_context
        )

    yield start
    for controller in running:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_server_factory: SmtpServerFactory) -> SmtpServer:
    """The usual server: STARTTLS offered, no AUTH, accepts everyone."""
    return smtp_server_factory()


# -- sheets_emulator ------------------------------------------------------------------------
from sheets_emulator import SheetsEmulator  # noqa: E402 - kept beside its fixture, additively


@pytest.fixture
def sheets_emulator() -> Iterator[SheetsEmulator]:
    """A Google Sheets API v4 emulator on a free loopback port (see tests/sheets_emulator).

    Fails the test at teardown if any request broke Google's published schema or used
    something the emulator does not model: a passing test never relied on leniency.
    """
    with SheetsEmulator() as emulator:
        yield emulator
        violations = emulator.take_violations()
    assert not violations, "requests Google would refuse:\n" + "\n".join(violations)
