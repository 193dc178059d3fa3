"""The sections shared by every workbook of a run: mail, schedule, digest, heartbeat,
Google quota and chat channels."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sync.config.fields import (
    CHANNEL_NAME,
    EMAIL,
    MAX_MAIL_DEADLINE,
    MAX_SMTP_TIMEOUT,
    VARIABLE_NAME,
    Fields,
)
from sync.config.model import (
    WEEKDAYS,
    Channel,
    DigestConfig,
    EmailConfig,
    GoogleConfig,
    MonitorConfig,
    ScheduleConfig,
)


class RunSections(Fields):
    """Reads the sections that hold for the whole run."""

    def email(self, data: Mapping[str, Any]) -> EmailConfig:
        self.unknown_keys(
            "email",
            data,
            {
                "host",
                "port",
                "starttls",
                "ssl",
                "username",
                "password_env",
                "from",
                "outbox",
                "timeout",
                "deadline",
            },
        )
        host = self.opt(data, "email.host", str, "an SMTP host name")
        port = self.opt(data, "email.port", int, "a TCP port number")
        if port is not None and not 0 < port < 65536:
            self.fail("email.port", port, "a TCP port number from 1 to 65535")
        ssl = bool(self.opt(data, "email.ssl", bool, "true or false"))
        starttls = self.opt(data, "email.starttls", bool, "true or false")
        if ssl and starttls:
            self.fail("email.starttls", starttls, "false or absent when email.ssl = true")
        password_env = self.opt(
            data,
            "email.password_env",
            str,
            "the NAME of an environment variable holding the password",
        )
        if password_env is not None and not VARIABLE_NAME.match(password_env):
            self.fail(  # never the value: it may well be the password itself
                "email.password_env",
                "<hidden>",
                "the NAME of an environment variable, in capitals, such as SMTP_PASSWORD "
                "(capitals, digits, _), not the password",
            )
            password_env = None
        sender = self.opt(data, "email.from", str, "an e-mail address") or "metrics-sync@localhost"
        if "from" in data and not EMAIL.match(sender):
            self.fail("email.from", sender, "an e-mail address")
        timeout = self.seconds(data, "email.timeout", 30.0, most=MAX_SMTP_TIMEOUT)
        deadline = self.seconds(data, "email.deadline", 300.0, most=MAX_MAIL_DEADLINE)
        outbox = self.path(data, "email.outbox") or self.base / "outbox"
        tls = not ssl if starttls is None else starttls
        return EmailConfig(
            host=host or None,
            port=port,
            starttls=tls,
            ssl=ssl,
            username=self.opt(data, "email.username", str, "a user name"),
            password_env=password_env,
            sender=sender,
            outbox=outbox,
            timeout=timeout,
            deadline=deadline,
        )

    def monitor(self, data: Mapping[str, Any]) -> MonitorConfig:
        self.unknown_keys("monitor", data, {"ping_url", "stuck_after"})
        ping = self.opt(data, "monitor.ping_url", str, "a URL")
        if ping is not None and not re.match(r"^https?://", ping):
            self.fail("monitor.ping_url", ping, "an http:// or https:// URL")
        stuck = self.duration(data, "monitor.stuck_after") or dt.timedelta(hours=1)
        return MonitorConfig(ping_url=ping, stuck_after=stuck)

    def google(self, data: Mapping[str, Any]) -> GoogleConfig:
        self.unknown_keys("google", data, set(GoogleConfig.__dataclass_fields__))
        ints = {}
        for name, most in (
            ("reads_per_minute", 100_000),
            ("writes_per_minute", 100_000),
            ("workers", 32),
        ):
            default = getattr(GoogleConfig, name)
            value = self.number(data, f"google.{name}", f"a whole number from 1 to {most}")
            if value is not None and not (value.is_integer() and 1 <= value <= most):
                self.fail(f"google.{name}", data[name], f"a whole number from 1 to {most}")
                value = None
            ints[name] = int(value) if value is not None else default
        base = self.seconds(data, "google.retry_base", 0.5, most=60.0)
        return GoogleConfig(**ints, retry_base=base)

    def schedule(self, data: Mapping[str, Any]) -> ScheduleConfig:
        self.unknown_keys("schedule", data, {"every", "at", "timezone", "deadline"})
        every = self.duration(data, "schedule.every")
        at = self.time(data, "schedule.at")
        if every is not None and at is not None:
            self.fail("schedule.at", data["at"], "either schedule.every or schedule.at, not both")
        if every is not None and every < dt.timedelta(minutes=1):
            self.fail("schedule.every", data["every"], "at least 1 minute")
        tz = self.timezone(data, "schedule.timezone")
        if every is None and at is None:
            every = dt.timedelta(minutes=15)
        deadline = self.duration(data, "schedule.deadline")
        return ScheduleConfig(every=every, at=at, timezone=tz, deadline=deadline)

    def digest(self, data: Mapping[str, Any]) -> DigestConfig:
        self.unknown_keys(
            "digest", data, {"weekday", "at", "time", "timezone", "recipients", "channels"}
        )
        weekday = (self.opt(data, "digest.weekday", str, "a weekday name") or "monday").lower()
        if weekday not in WEEKDAYS:
            self.fail("digest.weekday", weekday, "a weekday name such as monday")
        at = self.time(data, "digest.at") or self.time(data, "digest.time") or dt.time(8, 0)
        recipients = self.addresses(data, "digest.recipients")
        channels = self.channel_names(data, "digest.channels")
        if not recipients and not channels:
            self.problems.append("digest.recipients: missing; expected the managers' addresses")
        tz = self.timezone(data, "digest.timezone")
        return DigestConfig(weekday, at, tz, recipients, channels)

    def channels(self, data: Mapping[str, Any]) -> dict[str, Channel]:
        """``ops = "slack://..."`` or ``ops = { url_env = "OPS_WEBHOOK" }``; URLs are secrets,
        so a problem names the channel and never echoes the URL."""
        out: dict[str, Channel] = {}
        for name, value in data.items():
            key = f"channels.{name}"
            if not CHANNEL_NAME.match(name):
                self.fail(key, name, "a channel name of letters, digits, '-', '_' or '.'")
            elif isinstance(value, str) and "://" in value:
                out[name] = Channel(name, url=value.strip())
            elif isinstance(value, Mapping) and set(value) == {"url_env"}:
                var = value["url_env"]
                if isinstance(var, str) and VARIABLE_NAME.match(var):
                    out[name] = Channel(name, url_env=var)
                else:
                    self.problems.append(f"{key}.url_env: expected the name of a variable")
            else:
                self.problems.append(
                    f"{key}: expected a notification URL (slack://..., json://...)"
                    ' or { url_env = "VARIABLE" }'
                )
        self.defined_channels = set(out)
        return out
