"""The delivery edge: composed mails to an SMTP server, or to ``.eml`` files in an outbox.

The only module that imports smtplib. Senders never raise for a delivery problem: each mail
ends up in ``DeliveryReport.accepted`` or, with a reason a person can act on, in
``DeliveryReport.failed`` (and in ``refused`` when the refusal is for good: a 5xx). The
caller records "notified" for accepted or refused-for-good recipients only and picks the
exit code, so any other failed mail is simply retried on the next run (docs/alerts.md).

Security stance: with ``starttls`` (the default) a server that does not offer STARTTLS gets
nothing: mail is never sent in clear text by surprise. Certificates are verified against the
system trust store unless the caller injects an ``ssl_context`` (the tests trust their own CA).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from sync.config import EmailConfig
from sync.errors import ConfigError
from sync.notices import DeliveryReport

Messages = Sequence[tuple[str, EmailMessage]]  # (envelope recipient, message)

PORT_STARTTLS = 587
PORT_SSL = 465
PORT_PLAIN = 25


class Sender(Protocol):
    """Delivers (recipient, message) pairs and tells which were accepted."""

    def send(self, messages: Messages) -> DeliveryReport:
        """Deliver every message; report, never raise, for delivery problems."""
        ...


def make_sender(cfg: EmailConfig, environ: Mapping[str, str] | None = None) -> Sender:
    """SMTP when ``[email] host`` is set, else the outbox folder (SPEC §5, §6)."""
    if cfg.host is None:
        return OutboxSender(cfg.outbox)
    return SmtpSender(cfg, password_from_env(cfg, environ))


def password_from_env(cfg: EmailConfig, environ: Mapping[str, str] | None = None) -> str | None:
    """The SMTP password from the variable ``password_env`` names (the config never holds it).

    A named but unset variable is a config mistake caught before any mail is attempted.
    """
    if cfg.password_env is None:
        return None
    value = (os.environ if environ is None else environ).get(cfg.password_env)
    if not value:
        raise ConfigError(
            "[email]",
            [
                f"email.password_env = {cfg.password_env!r}: the environment variable "
                f"{cfg.password_env} is not set or empty; expected it to hold the SMTP password"
            ],
        )
    return value


def default_port(cfg: EmailConfig) -> int:
    """465 for implicit TLS, 587 for STARTTLS, 25 for an explicit clear-text relay."""
    if cfg.port is not None:
        return cfg.port
    if cfg.ssl:
        return PORT_SSL
    return PORT_STARTTLS if cfg.starttls else PORT_PLAIN


# -- SMTP ---------------------------------------------------------------------------------


class _Unreachable(Exception):
    """No usable session with the server; the message is the reason shown to the user."""


class SmtpSender:
    """One SMTP connection per run for all messages; refusals are recorded per recipient."""

    def __init__(
        self, cfg: EmailConfig, password: str | None, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        if cfg.host is None:
            raise ValueError("SmtpSender needs cfg.host; use OutboxSender without a host")
        if cfg.username and password is None:
            raise ConfigError(
                "[email]",
                [
                    f"email.username = {cfg.username!r}: set email.password_env to the name of "
                    "the environment variable holding its password"
                ],
            )
        self._cfg = cfg
        self._host = cfg.host
        self._port = default_port(cfg)
        self._password = password
        self._context = ssl_context or ssl.create_default_context()

    @property
    def where(self) -> str:
        return f"{self._host}:{self._port}"

    def send(self, messages: Messages) -> DeliveryReport:
        session = _Session(self._open)
        accepted: set[str] = set()
        failed: dict[str, str] = {}
        try:
            for recipient, message in messages:
                reason = self._deliver(session, recipient, message)
                if reason is None:
                    accepted.add(recipient)
                    failed.pop(recipient, None)
                elif recipient not in accepted:
                    failed[recipient] = reason
        finally:
            session.close()
        refused = frozenset(r for r, why in failed.items() if isinstance(why, _ForGood))
        return DeliveryReport(accepted=frozenset(accepted), failed=failed, refused=refused)

    def _deliver(self, session: _Session, recipient: str, message: EmailMessage) -> str | None:
        """None when the server accepted the message, else why not."""
        problem = address_problem(recipient)
        if problem:
            return _ForGood(problem)
        try:
            connection = session.connection()
        except _Unreachable as err:
            return str(err)
        return self._transmit(session, connection, recipient, message)

    def _transmit(
        self, session: _Session, connection: smtplib.SMTP, recipient: str, message: EmailMessage
    ) -> str | None:
        try:
            refused = connection.send_message(
                message, from_addr=self._cfg.sender, to_addrs=[recipient]
            )
        except smtplib.SMTPServerDisconnected:
            session.drop()
            return (
                f"{self.where} closed the connection before confirming the message "
                "(it may have arrived; it is sent again next run with the same Message-ID)"
            )
        except smtplib.SMTPRecipientsRefused as err:
            return _refusal(self.where, *err.recipients[recipient])
        except smtplib.SMTPException as err:  # the connection is still usable (smtplib RSETs)
            return _rejection(self.where, err)
        except OSError as err:
            session.drop()
            return f"the connection to {self.where} failed while sending: {_describe(err)}"
        if recipient in refused:
            return _refusal(self.where, *refused[recipient])
        return None

    def _open(self) -> smtplib.SMTP:
        """Connect, secure and log in; raise ``_Unreachable`` with a reason on any failure."""
        try:
            connection = self._connect()
        except (OSError, smtplib.SMTPException) as err:
            raise _Unreachable(f"could not connect to {self.where}: {_describe(err)}") from err
        try:
            if self._cfg.starttls and not self._cfg.ssl:
                self._starttls(connection)
            if self._cfg.username:
                self._login(connection, self._cfg.username)
        except _Unreachable:
            _close(connection)
            raise
        except (OSError, smtplib.SMTPException) as err:
            _close(connection)
            raise _Unreachable(
                f"could not open a mail session with {self.where}: {_describe(err)}"
            ) from err
        return connection

    def _connect(self) -> smtplib.SMTP:
        """TCP (or TLS) connection and greeting; the host is given here for SNI and checks."""
        if self._cfg.ssl:
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._cfg.timeout, context=self._context
            )
        return smtplib.SMTP(self._host, self._port, timeout=self._cfg.timeout)

    def _starttls(self, connection: smtplib.SMTP) -> None:
        connection.ehlo()
        if not connection.has_extn("starttls"):
            raise _Unreachable(
                f"{self.where} does not offer STARTTLS, so nothing was sent (mail is never sent "
                "in clear text unless [email] starttls = false is set, for a trusted relay)"
            )
        connection.starttls(context=self._context)
        connection.ehlo()  # the capabilities may differ once encrypted (AUTH often appears)

    def _login(self, connection: smtplib.SMTP, username: str) -> None:
        try:
            connection.login(username, self._password or "")
        except smtplib.SMTPAuthenticationError as err:
            raise _Unreachable(
                f"{self.where} refused the login of {username!r}: "
                f"{_reply(err.smtp_code, err.smtp_error)}"
            ) from err
        except smtplib.SMTPNotSupportedError as err:
            raise _Unreachable(
                f"{self.where} does not offer AUTH, but email.username is set"
            ) from err


class _Session:
    """The run's one connection, opened on first use and re-opened after a drop.

    If opening fails, the reason sticks: every later message fails with it at once rather
    than waiting for one more connection timeout each.
    """

    def __init__(self, opener: Callable[[], smtplib.SMTP]) -> None:
        self._opener = opener
        self._connection: smtplib.SMTP | None = None
        self._unreachable: _Unreachable | None = None

    def connection(self) -> smtplib.SMTP:
        if self._unreachable is not None:
            raise self._unreachable
        if self._connection is None:
            try:
                self._connection = self._opener()
            except _Unreachable as err:
                self._unreachable = err
                raise
        return self._connection

    def drop(self) -> None:
        """Forget a connection in an unknown state; the next message opens a new one."""
        if self._connection is not None:
            _close(self._connection)
        self._connection = None

    def close(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.quit()
        except (OSError, smtplib.SMTPException):
            _close(self._connection)
        self._connection = None


def _close(connection: smtplib.SMTP) -> None:
    """Close without the QUIT dialogue (the connection may already be gone)."""
    with contextlib.suppress(OSError):
        connection.close()


class _ForGood(str):
    """Why a recipient was refused, when the refusal is permanent (``DeliveryReport.refused``)."""


def _refusal(where: str, code: int, text: bytes | str) -> str:
    reason = f"{where} refused the recipient: {_reply(code, text)}"
    return _ForGood(reason) if 500 <= code < 600 else reason


def _rejection(where: str, err: smtplib.SMTPException) -> str:
    """Why the server would not take a message it was offered."""
    if isinstance(err, smtplib.SMTPNotSupportedError):  # a non-ASCII address, no SMTPUTF8
        return _ForGood(f"{where} cannot take this address: {_describe(err)}")
    if isinstance(err, smtplib.SMTPSenderRefused):
        return f"{where} refused the sender {err.sender}: {_reply(err.smtp_code, err.smtp_error)}"
    if isinstance(err, smtplib.SMTPDataError):
        return f"{where} rejected the message: {_reply(err.smtp_code, err.smtp_error)}"
    if isinstance(err, smtplib.SMTPResponseException):
        return f"{where} refused the message: {_reply(err.smtp_code, err.smtp_error)}"
    return f"{where} cannot take this message: {_describe(err)}"


_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")


def address_problem(recipient: str) -> str | None:
    """Why a recipient cannot go into an SMTP envelope, or None (no CR/LF ever reaches it)."""
    if _ADDRESS.match(recipient) and recipient.isprintable():
        return None
    return f"not an e-mail address: {recipient!r}"


def _reply(code: int, text: bytes | str) -> str:
    """An SMTP reply as one readable line: ``550 5.1.1 no such user``."""
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}".strip()


def _describe(err: BaseException) -> str:
    """A library error as a short phrase a person can act on."""
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"the server's TLS certificate could not be verified ({err.verify_message})"
    if isinstance(err, TimeoutError):
        return "timed out"
    if isinstance(err, smtplib.SMTPResponseException):
        return _reply(err.smtp_code, err.smtp_error)
    return " ".join(str(err).split()) or type(err).__name__


# -- outbox -------------------------------------------------------------------------------


class OutboxSender:
    """Writes each mail as an ``.eml`` file, for setups without SMTP (SPEC §5).

    Files are named ``<timestamp>-<recipient>-<id>.eml``, ``id`` being a hash of the
    Message-ID: writing the same mail again (a retry) replaces its file instead of adding one.
    Each write is atomic (temp file + rename), so a reader never sees half a mail.
    """

    def __init__(
        self, folder: Path, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    ) -> None:
        self.folder = folder
        self._clock = clock  # only for a message without a Date header

    def send(self, messages: Messages) -> DeliveryReport:
        accepted: set[str] = set()
        failed: dict[str, str] = {}
        for recipient, message in messages:
            try:
                self.write(recipient, message)
            except OSError as err:
                failed[recipient] = f"could not write to the outbox {self.folder}: {_describe(err)}"
            else:
                accepted.add(recipient)
                failed.pop(recipient, None)
        return DeliveryReport(accepted=frozenset(accepted), failed=failed)

    def write(self, recipient: str, message: EmailMessage) -> Path:
        """Write one mail atomically; return its file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self._path_for(recipient, message)
        descriptor, temp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp).replace(target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return target

    def _path_for(self, recipient: str, message: EmailMessage) -> Path:
        """The existing file of this Message-ID if any, else a new name."""
        identity = str(message.get("Message-ID", "")) or message.as_string()
        short = hashlib.sha256(f"{recipient}\n{identity}".encode()).hexdigest()[:12]
        existing = sorted(self.folder.glob(f"*-{short}.eml"))
        if existing:
            return existing[0]
        stamp = self._timestamp(message).strftime("%Y%m%dT%H%M%SZ")
        safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", recipient)[:64] or "unknown"
        return self.folder / f"{stamp}-{safe}-{short}.eml"

    def _timestamp(self, message: EmailMessage) -> dt.datetime:
        """The mail's own Date (so a name does not depend on when it was written)."""
        try:
            moment = parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError):
            moment = self._clock()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)
