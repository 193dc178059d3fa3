"""The delivery edge: composed mails to an SMTP server, or to ``.eml`` files in an outbox.

The only package that imports smtplib. The caller records "notified" for recipients whose
mail was accepted (or refused for good) and picks the exit code, so any other failed mail
is retried on the next run (docs/alerts.md); a watchdog and ``[email] deadline`` bound the
time a slow server can take (docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from sync.config import EmailConfig
from sync.notify.email.outbox import OutboxSender
from sync.notify.email.settings import (
    Messages,
    Sender,
    clear_text_login,
    default_port,
    password_from_env,
)
from sync.notify.email.smtp import SmtpSender, address_problem

__all__ = [
    "Messages",
    "OutboxSender",
    "Sender",
    "SmtpSender",
    "address_problem",
    "clear_text_login",
    "default_port",
    "make_sender",
    "password_from_env",
]


def make_sender(cfg: EmailConfig, environ: Mapping[str, str] | None = None) -> Sender:
    """SMTP when ``[email] host`` is set, else the outbox folder (README, Config)."""
    if cfg.host is None:
        return OutboxSender(cfg.outbox)
    return SmtpSender(cfg, password_from_env(cfg, environ))
