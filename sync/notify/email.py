"""The delivery edge: composed mails to an SMTP server, or to ``.eml`` files in an outbox.

The only module that imports smtplib. Senders never raise for a delivery problem: each mail
ends up in ``DeliveryReport.accepted`` or, with a reason a person can act on, in
``DeliveryReport.failed`` (and in ``refused`` when the refusal is for good: a 5xx). The
caller records "notified" for accepted or refused-for-good recipients only and picks the
exit code, so any other failed mail is simply retried on the next run (docs/alerts.md).

Time: ``[email] timeout`` bounds each socket operation, which a server trickling one byte
at a time never trips. So a watchdog cuts the connection when a mail (or opening the
session) takes longer than ``MAIL_STEPS`` timeouts, and when the run's ``[email] deadline``
passes; the mails not sent by then are left for the next run (docs/reliability.md).

Security stance: with ``starttls`` (the default) a server that does not offer STARTTLS gets
nothing: mail is never sent in clear text by surprise. Certificates are verified against the
system trust store unless the caller injects an ``ssl_context`` (the tests trust their own CA).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import smtplib
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from sync.config import EmailConfig
from sync.errors import ConfigError
from sync.hosts import is_loopback
from sync.logs import Redactor, mask_credentials
from sync.notices import DeliveryReport

Messages = Sequence[tuple[str, EmailMessage]]  # (envelope recipient, message)

PORT_STARTTLS = 587
PORT_SSL = 465
PORT_PLAIN = 25
# One mail is at most this many timeouts (MAIL FROM, RCPT TO, DATA, the end of the data), and
# so is opening a session (greeting, EHLO, STARTTLS, AUTH).
MAIL_STEPS = 4

STALE_TEMP = 900  # seconds: an outbox temp file this old was left by a killed run

log = logging.getLogger("metrics_sync")


class Sender(Protocol):
    """Delivers (recipient, message) pairs and tells which were accepted."""

    def send(self, messages: Messages) -> DeliveryReport:
        """Deliver every message; report, never raise, for delivery problems."""
        ...


def make_sender(cfg: EmailConfig, environ: Mapping[str, str] | None = None) -> Sender:
    """SMTP when ``[email] host`` is set, else the outbox folder (README, Config)."""
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


def clear_text_login(cfg: EmailConfig) -> str | None:
    """A warning when the SMTP password would cross a network unencrypted, else None."""
    if cfg.host is None or not cfg.username or cfg.starttls or cfg.ssl or is_loopback(cfg.host):
        return None
    return (
        f"mail: email.starttls = false with email.username set: the password for "
        f"{cfg.username!r} travels in clear text to {cfg.host}, a host off this machine"
    )


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
    """One SMTP connection per run for all messages; refusals are recorded per recipient.

    The run's deadline starts with the first ``send`` and holds for every later one (the
    alert mails, then the weekly digest): a sender is made for one workbook's run.
    """

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
        self._ends: float | None = None  # time.monotonic() when the run's deadline passes
        warning = clear_text_login(cfg)
        if warning:
            log.warning("%s; set starttls = true or ssl = true", warning)

    @property
    def where(self) -> str:
        return f"{self._host}:{self._port}"

    def send(self, messages: Messages) -> DeliveryReport:
        if self._ends is None:
            self._ends = time.monotonic() + self._cfg.deadline
        session = _Session(self._open)
        accepted: set[str] = set()
        failed: dict[str, str] = {}
        try:
            for done, (recipient, message) in enumerate(messages):
                if self._left() <= 0:
                    self._overdue(messages, done, accepted, failed)
                    break
                reason = self._deliver(session, recipient, message)
                if reason is None:
                    accepted.add(recipient)
                    failed.pop(recipient, None)
                elif recipient not in accepted:
                    failed[recipient] = reason
        finally:
            session.close(self._budget())
        refused = frozenset(r for r, why in failed.items() if isinstance(why, _ForGood))
        return DeliveryReport(accepted=frozenset(accepted), failed=failed, refused=refused)

    def _left(self) -> float:
        assert self._ends is not None
        return self._ends - time.monotonic()

    def _budget(self) -> float:
        """The seconds the next step may take: a mail's share, within the run's deadline."""
        return max(0.0, min(self._cfg.timeout * MAIL_STEPS, self._left()))

    def _overdue(
        self, messages: Messages, done: int, accepted: set[str], failed: dict[str, str]
    ) -> None:
        """The deadline passed: what is left waits for the next run, with one log line."""
        why = (
            f"not sent: the [email] deadline of {self._cfg.deadline:g}s for a run's mail "
            f"had passed ({self.where} too slow)"
        )
        left = {r for r, _ in messages[done:] if r not in accepted}
        failed.update(dict.fromkeys(sorted(left), why))
        log.warning(
            "mail: the [email] deadline of %gs passed after trying %d of %d mail(s) to %s; "
            "%d recipient(s) left for the next run",
            self._cfg.deadline,
            done,
            len(messages),
            self.where,
            len(left),
        )

    def _deliver(self, session: _Session, recipient: str, message: EmailMessage) -> str | None:
        """None when the server accepted the message, else why not."""
        problem = address_problem(recipient)
        if problem:
            return _ForGood(problem)
        try:
            connection = session.connection(self._budget())
        except _Unreachable as err:
            return str(err)
        budget = self._budget()
        with _Watchdog(connection, budget) as watchdog:
            reason = self._transmit(session, connection, recipient, message)
        if not watchdog.fired:
            return reason
        session.drop()  # cut, maybe just after the server's answer: not to be used again
        if reason is None:
            return None
        return (
            f"{self._too_slow(budget)} over this mail, so it was cut off (it may have "
            "arrived; it is sent again next run with the same Message-ID)"
        )

    def _too_slow(self, budget: float) -> str:
        """Which limit a cut connection reached: the run's deadline or one step's share."""
        if self._left() <= 0:
            return f"the [email] deadline of {self._cfg.deadline:g}s passed"
        return f"{self.where} took longer than {_seconds(budget)}"

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

    def _open(self, budget: float) -> smtplib.SMTP:
        """Connect, secure and log in within ``budget`` seconds; raise ``_Unreachable``."""
        connection = self._unconnected(min(self._cfg.timeout, budget))
        slow = f"while opening a mail session with {self.where}, so nothing was sent"
        with _Watchdog(connection, budget) as watchdog:
            try:
                self._greet(connection)
            except (_Unreachable, OSError, smtplib.SMTPException) as err:
                _close(connection)
                if watchdog.fired:
                    raise _Unreachable(f"{self._too_slow(budget)} {slow}") from err
                if isinstance(err, _Unreachable):
                    raise
                raise _Unreachable(
                    f"could not open a mail session with {self.where}: {_describe(err)}"
                ) from err
        if watchdog.fired:  # in time, but only just: the watchdog has shut the socket
            _close(connection)
            raise _Unreachable(f"{self._too_slow(budget)} {slow}")
        return connection

    def _unconnected(self, timeout: float) -> smtplib.SMTP:
        """The client object before it connects, so the watchdog can reach its socket."""
        connection = (
            smtplib.SMTP_SSL(timeout=timeout, context=self._context)
            if self._cfg.ssl
            else smtplib.SMTP(timeout=timeout)
        )
        # What smtplib sets when given the host: the TLS server name (SNI, certificate checks).
        # No public way before connecting; typeshed does not declare it.
        connection._host = self._host  # type: ignore[attr-defined]
        return connection

    def _greet(self, connection: smtplib.SMTP) -> None:
        """TCP (or TLS) connection, greeting, STARTTLS and login; the host is given here
        for SNI and certificate checks."""
        try:
            code, text = connection.connect(self._host, self._port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, text)
        except (OSError, smtplib.SMTPException) as err:
            raise _Unreachable(f"could not connect to {self.where}: {_describe(err)}") from err
        if self._cfg.starttls and not self._cfg.ssl:
            self._starttls(connection)
        if self._cfg.username:
            self._login(connection, self._cfg.username)

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
                f"{Redactor([self._password or '']).redact(_reply(err.smtp_code, err.smtp_error))}"
            ) from err
        except smtplib.SMTPNotSupportedError as err:
            raise _Unreachable(
                f"{self.where} does not offer AUTH, but email.username is set"
            ) from err


class _Watchdog:
    """Shuts a connection's socket down when ``seconds`` pass before the block ends.

    The blocked read or write then fails at once, with whatever error smtplib makes of it;
    ``fired`` tells the caller that the time limit, not the server, was the cause.
    """

    def __init__(self, connection: smtplib.SMTP, seconds: float) -> None:
        self._connection = connection
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self.fired = False

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def _cut(self) -> None:
        self.fired = True
        sock = getattr(self._connection, "sock", None)  # None until it connects
        if sock is not None:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown, below TLS: it also wakes an SSL read.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Session:
    """The run's one connection, opened on first use and re-opened after a drop.

    If opening fails, the reason sticks: every later message fails with it at once rather
    than waiting for one more connection timeout each.
    """

    def __init__(self, opener: Callable[[float], smtplib.SMTP]) -> None:
        self._opener = opener
        self._connection: smtplib.SMTP | None = None
        self._unreachable: _Unreachable | None = None

    def connection(self, budget: float) -> smtplib.SMTP:
        """The open connection, or a new one opened within ``budget`` seconds."""
        if self._unreachable is not None:
            raise self._unreachable
        if self._connection is None:
            try:
                self._connection = self._opener(budget)
            except _Unreachable as err:
                self._unreachable = err
                raise
        return self._connection

    def drop(self) -> None:
        """Forget a connection in an unknown state; the next message opens a new one."""
        if self._connection is not None:
            _close(self._connection)
        self._connection = None

    def close(self, budget: float) -> None:
        """QUIT politely within ``budget`` seconds, else just close."""
        if self._connection is None:
            return
        with _Watchdog(self._connection, budget):
            try:
                self._connection.quit()
            except (OSError, smtplib.SMTPException):
                _close(self._connection)
        self._connection = None


def _seconds(value: float) -> str:
    return f"{round(value, 1):g}s"


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
    """An SMTP reply as one readable line: ``550 5.1.1 no such user``; credentials a server
    echoes back (``535 ... AUTH PLAIN <base64>``) are masked before anyone logs it."""
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return mask_credentials(f"{code} {' '.join(words.split())}".strip())


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
    """Writes each mail as an ``.eml`` file, for setups without SMTP (README, Alerts).

    Files are named ``<timestamp>-<recipient>-<id>.eml``, ``id`` being a hash of the
    Message-ID: writing the same mail again (a retry) replaces its file instead of adding one.
    Each write is atomic (temp file + rename), so a reader never sees half a mail; the temp
    files of a run killed midway are removed by a later run.
    """

    def __init__(
        self, folder: Path, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    ) -> None:
        self.folder = folder
        self._clock = clock  # only for a message without a Date header

    def send(self, messages: Messages) -> DeliveryReport:
        self._sweep()
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

    def _sweep(self) -> None:
        """Remove the temp files of writes killed midway: a write takes milliseconds, so one
        older than ``STALE_TEMP`` seconds has no writer left (several workbooks may share
        the folder, so a fresh one may be another run's)."""
        limit = time.time() - STALE_TEMP
        for temp in self.folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):  # gone already, or not ours to remove
                if temp.lstat().st_mtime < limit:
                    temp.unlink()

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
