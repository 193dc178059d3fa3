"""The run's one SMTP connection, and the watchdog that bounds how long a step may take.

``[email] timeout`` bounds each socket operation, which a server trickling one byte at a
time never trips; the watchdog shuts the socket down when a whole step (a mail, opening the
session, the QUIT) runs past its share of the run's ``[email] deadline``.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import threading
from collections.abc import Callable


class Unreachable(Exception):
    """No usable session with the server; the message is the reason shown to the user."""


class Watchdog:
    """Shuts a connection's socket down when ``seconds`` pass before the block ends.

    The blocked read or write then fails at once, with whatever error smtplib makes of it;
    ``fired`` tells the caller that the time limit, not the server, was the cause.
    """

    def __init__(self, connection: smtplib.SMTP, seconds: float) -> None:
        self._connection = connection
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self.fired = False

    def __enter__(self) -> Watchdog:
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


class Session:
    """The run's one connection, opened on first use and re-opened after a drop.

    If opening fails, the reason sticks: every later message fails with it at once rather
    than waiting for one more connection timeout each.
    """

    def __init__(self, opener: Callable[[float], smtplib.SMTP]) -> None:
        self._opener = opener
        self._connection: smtplib.SMTP | None = None
        self._unreachable: Unreachable | None = None

    def connection(self, budget: float) -> smtplib.SMTP:
        """The open connection, or a new one opened within ``budget`` seconds."""
        if self._unreachable is not None:
            raise self._unreachable
        if self._connection is None:
            try:
                self._connection = self._opener(budget)
            except Unreachable as err:
                self._unreachable = err
                raise
        return self._connection

    def drop(self) -> None:
        """Forget a connection in an unknown state; the next message opens a new one."""
        if self._connection is not None:
            close_quietly(self._connection)
        self._connection = None

    def close(self, budget: float) -> None:
        """QUIT politely within ``budget`` seconds, else just close."""
        if self._connection is None:
            return
        with Watchdog(self._connection, budget):
            try:
                self._connection.quit()
            except (OSError, smtplib.SMTPException):
                close_quietly(self._connection)
        self._connection = None


def seconds(value: float) -> str:
    return f"{round(value, 1):g}s"


def close_quietly(connection: smtplib.SMTP) -> None:
    """Close without the QUIT dialogue (the connection may already be gone)."""
    with contextlib.suppress(OSError):
        connection.close()
