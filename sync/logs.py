"""Logging for unattended runs: one line per event on stderr, secrets never shown.

Two formats: ``human`` (the default, ``2026-11-26T08:00:01Z INFO message``) and ``json``
(one JSON object per line, for log shippers). A ``Redactor`` removes the SMTP password (also
base64, and as an SMTP server may echo a login) and anything that looks like a private key
from every record before it is formatted,
and the CLI passes its own output (dry run, check) through the same redactor.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import re
import sys
import urllib.parse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TextIO

LogFormat = Literal["human", "json"]
LOGGER = "metrics_sync"
MASK = "[redacted]"

# A PEM block (also with literal "\n" as in a service-account JSON file), or its start when
# the end was cut off, and a bare base64 key body (PKCS#8/RSA keys start with "MII").
_PRIVATE_KEY = re.compile(
    r"-----BEGIN[A-Z ]*PRIVATE KEY-----.*?(?:-----END[A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL
)
_KEY_BODY = re.compile(r"MII[A-Za-z0-9+/=]{60,}(?:(?:\\n|\s)+[A-Za-z0-9+/=]{16,})*")
# The password of a URL's user:password@host (an endpoint through a proxy, a ping URL), with
# or without its scheme: errors name the URL or its host.
_URL_PASSWORD = re.compile(r"(?P<user>[^\s/@:'\"<>]+):[^\s/@'\"<>]+@(?P<host>[\w.-]+|\[[\w:.]+\])")


# What an SMTP server may echo in a refusal: the client's AUTH command with its credentials,
# or a base64 token that decodes to AUTH PLAIN's "\0user\0password".
_AUTH_COMMAND = re.compile(r"(?i)\b(AUTH\s+[A-Z0-9_-]+)\s+[A-Za-z0-9+/=]+")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{8,}={0,2}(?![A-Za-z0-9+/=])")


def mask_credentials(text: str) -> str:
    """``AUTH PLAIN <base64>`` and any base64 holding a NUL-separated login, masked."""
    text = _AUTH_COMMAND.sub(rf"\1 {MASK}", text)
    return _BASE64.sub(lambda m: MASK if _is_plain_login(m.group()) else m.group(), text)


def _is_plain_login(token: str) -> bool:
    try:
        decoded = binascii.a2b_base64(token, strict_mode=True)
    except binascii.Error:
        return False
    return b"\0" in decoded


class Redactor:
    """Replaces known secret values, and private keys wherever they appear, with a mask."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        """Also hide ``secret`` as repr, JSON and URL encoding would spell it."""
        if not secret:
            return
        forms = {
            secret,
            base64.b64encode(secret.encode()).decode(),  # as AUTH LOGIN sends it
            repr(secret)[1:-1],
            json.dumps(secret)[1:-1],
            urllib.parse.quote(secret, safe=""),
            urllib.parse.quote_plus(secret),
        }
        self._secrets = sorted({*self._secrets, *forms}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        text = mask_credentials(text)
        text = _PRIVATE_KEY.sub(MASK, text)
        text = _KEY_BODY.sub(MASK, text)
        text = _URL_PASSWORD.sub(rf"\g<user>:{MASK}@\g<host>", text)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with the secrets masked."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: self._value(v) for k, v in fields.items()}
        return True

    def _value(self, value: object) -> object:
        return self.redactor.redact(value) if isinstance(value, str) else value


def _utc(record: logging.LogRecord) -> str:
    when = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HumanFormatter(logging.Formatter):
    """``2026-11-26T08:00:01.123Z INFO team-metrics: 119 cells written``."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc(record)} {record.levelname} {record.getMessage()}"
        if record.exc_text:
            line = f"{line}\n{record.exc_text}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_text:
            data["exc"] = record.exc_text
        return json.dumps(data, default=str, ensure_ascii=False)


@contextmanager
def installed(
    fmt: LogFormat, *, verbose: bool, redactor: Redactor, stream: TextIO | None = None
) -> Iterator[logging.Handler]:
    """The one stderr handler on the root logger for the block; the logging set-up as it
    was afterwards (so ``main`` can be called more than once in a process, as tests do).

    Our own logger logs at INFO (DEBUG with ``--verbose``); libraries only from WARNING,
    so a verbose run does not print request URLs or headers of the HTTP libraries.
    """
    root, ours = logging.getLogger(), logging.getLogger(LOGGER)
    levels = root.level, ours.level
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter(redactor))
    handler.setFormatter(JsonFormatter() if fmt == "json" else HumanFormatter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    ours.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        ours.setLevel(levels[1])
