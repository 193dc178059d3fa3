"""What the mail senders share: the (recipient, message) pairs they take, the protocol they
keep, and the settings read from ``[email]`` and the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from typing import Protocol

from sync.config import EmailConfig
from sync.errors import ConfigError
from sync.hosts import is_loopback
from sync.notices import DeliveryReport

Messages = Sequence[tuple[str, EmailMessage]]  # (envelope recipient, message)

PORT_STARTTLS = 587
PORT_SSL = 465
PORT_PLAIN = 25
# One mail is at most this many timeouts (MAIL FROM, RCPT TO, DATA, the end of the data), and
# so is opening a session (greeting, EHLO, STARTTLS, AUTH).
MAIL_STEPS = 4


class Sender(Protocol):
    """Delivers (recipient, message) pairs and tells which were accepted."""

    def send(self, messages: Messages) -> DeliveryReport:
        """Deliver every message; report, never raise, for delivery problems."""
        ...


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
