"""Mail to an SMTP server: one connection per run, refusals recorded per recipient.

Senders never raise for a delivery problem: each mail ends up in ``DeliveryReport.accepted``
or, with a reason a person can act on, in ``failed`` (and in ``refused`` when the refusal
is for good: a 5xx). A server that does not offer STARTTLS when it is expected gets nothing:
mail is never sent in clear text by surprise. Certificates are verified against the system
trust store unless the caller injects an ``ssl_context`` (the tests trust their own CA).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import time
from email.message import EmailMessage

from sync.config import EmailConfig
from sync.errors import ConfigError
from sync.logs import Redactor, mask_credentials
from sync.notices import DeliveryReport
from sync.notify.email.session import Session, Unreachable, Watchdog, close_quietly, seconds
from sync.notify.email.settings import MAIL_STEPS, Messages, clear_text_login, default_port

log = logging.getLogger("metrics_sync")


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
        session = Session(self._open)
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

    def _deliver(self, session: Session, recipient: str, message: EmailMessage) -> str | None:
        """None when the server accepted the message, else why not."""
        problem = address_problem(recipient)
        if problem:
            return _ForGood(problem)
        try:
            connection = session.connection(self._budget())
        except Unreachable as err:
            return str(err)
        budget = self._budget()
        with Watchdog(connection, budget) as watchdog:
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
        return f"{self.where} took longer than {seconds(budget)}"

    def _transmit(
        self, session: Session, connection: smtplib.SMTP, recipient: str, message: EmailMessage
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
            return f"the connection to {self.where} failed while sending: {describe(err)}"
        if recipient in refused:
            return _refusal(self.where, *refused[recipient])
        return None

    def _open(self, budget: float) -> smtplib.SMTP:
        """Connect, secure and log in within ``budget`` seconds; raise ``Unreachable``."""
        connection = self._unconnected(min(self._cfg.timeout, budget))
        slow = f"while opening a mail session with {self.where}, so nothing was sent"
        with Watchdog(connection, budget) as watchdog:
            try:
                self._greet(connection)
            except (Unreachable, OSError, smtplib.SMTPException) as err:
                close_quietly(connection)
                if watchdog.fired:
                    raise Unreachable(f"{self._too_slow(budget)} {slow}") from err
                if isinstance(err, Unreachable):
                    raise
                raise Unreachable(
                    f"could not open a mail session with {self.where}: {describe(err)}"
                ) from err
        if watchdog.fired:  # in time, but only just: the watchdog has shut the socket
            close_quietly(connection)
            raise Unreachable(f"{self._too_slow(budget)} {slow}")
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
            raise Unreachable(f"could not connect to {self.where}: {describe(err)}") from err
        if self._cfg.starttls and not self._cfg.ssl:
            self._starttls(connection)
        if self._cfg.username:
            self._login(connection, self._cfg.username)

    def _starttls(self, connection: smtplib.SMTP) -> None:
        connection.ehlo()
        if not connection.has_extn("starttls"):
            raise Unreachable(
                f"{self.where} does not offer STARTTLS, so nothing was sent (mail is never sent "
                "in clear text unless [email] starttls = false is set, for a trusted relay)"
            )
        connection.starttls(context=self._context)
        connection.ehlo()  # the capabilities may differ once encrypted (AUTH often appears)

    def _login(self, connection: smtplib.SMTP, username: str) -> None:
        try:
            connection.login(username, self._password or "")
        except smtplib.SMTPAuthenticationError as err:
            raise Unreachable(
                f"{self.where} refused the login of {username!r}: "
                f"{Redactor([self._password or '']).redact(_reply(err.smtp_code, err.smtp_error))}"
            ) from err
        except smtplib.SMTPNotSupportedError as err:
            raise Unreachable(
                f"{self.where} does not offer AUTH, but email.username is set"
            ) from err


class _ForGood(str):
    """Why a recipient was refused, when the refusal is permanent (``DeliveryReport.refused``)."""


def _refusal(where: str, code: int, text: bytes | str) -> str:
    reason = f"{where} refused the recipient: {_reply(code, text)}"
    return _ForGood(reason) if 500 <= code < 600 else reason


def _rejection(where: str, err: smtplib.SMTPException) -> str:
    """Why the server would not take a message it was offered."""
    if isinstance(err, smtplib.SMTPNotSupportedError):  # a non-ASCII address, no SMTPUTF8
        return _ForGood(f"{where} cannot take this address: {describe(err)}")
    if isinstance(err, smtplib.SMTPSenderRefused):
        return f"{where} refused the sender {err.sender}: {_reply(err.smtp_code, err.smtp_error)}"
    if isinstance(err, smtplib.SMTPDataError):
        return f"{where} rejected the message: {_reply(err.smtp_code, err.smtp_error)}"
    if isinstance(err, smtplib.SMTPResponseException):
        return f"{where} refused the message: {_reply(err.smtp_code, err.smtp_error)}"
    return f"{where} cannot take this message: {describe(err)}"


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


def describe(err: BaseException) -> str:
    """A library error as a short phrase a person can act on."""
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"the server's TLS certificate could not be verified ({err.verify_message})"
    if isinstance(err, TimeoutError):
        return "timed out"
    if isinstance(err, smtplib.SMTPResponseException):
        return _reply(err.smtp_code, err.smtp_error)
    return " ".join(str(err).split()) or type(err).__name__
