"""The config's own checks: schedule, quota, mail, heartbeat, chat channels."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sync.checks.finding import Finding
from sync.config import Config, EmailConfig
from sync.errors import ConfigError
from sync.monitor import clear_text_url
from sync.notify.email import clear_text_login, password_from_env
from sync.pacing import Limits, shortfalls
from sync.scheduler import describe
from sync.tick import interval


def check_config(cfg: Config) -> list[Finding]:
    names = ", ".join(j.workbook.name for j in cfg.jobs)
    return [
        Finding(
            "ok",
            f"config {cfg.source}: {len(cfg.jobs)} workbook(s) ({names}); "
            f"the worker runs {describe(cfg.schedule)}",
        ),
        *check_email(cfg.email),
        *[
            Finding("warn", w, "use the https:// URL the monitoring service gives")
            for w in [clear_text_url(cfg.monitor.ping_url)]
            if w
        ],
        *check_channels(cfg),
        *[
            Finding("warn", f"quota too small for the schedule: {problem}")
            for problem in shortfalls(
                cfg.jobs,
                Limits(cfg.google.reads_per_minute, cfg.google.writes_per_minute),
                interval(cfg.schedule),
            )
        ],
    ]


def check_channels(cfg: Config, environ: Mapping[str, str] | None = None) -> list[Finding]:
    """Each ``[channels]`` entry by name and service; its URL is a secret and never shown."""
    env = os.environ if environ is None else environ
    found = []
    for name, channel in cfg.channels.items():
        url = channel.resolve(env)
        if url is None:
            found.append(
                Finding(
                    "FAIL",
                    f"channel #{name}: ${channel.url_env} is not set",
                    f"export {channel.url_env}=<the channel's notification URL> where it runs",
                )
            )
            continue
        service = url.split("://", 1)[0]
        found.append(Finding("ok", f"channel #{name}: {service}:// (URL not shown)"))
    return found


def check_email(email: EmailConfig, environ: Mapping[str, str] | None = None) -> list[Finding]:
    if email.host is None:
        return [_outbox(email.outbox)]
    try:
        password_from_env(email, environ)
    except ConfigError as err:
        return [
            Finding(
                "FAIL",
                err.problems[0],
                f"export {email.password_env}=... in the "
                "environment that runs metrics-sync (a systemd EnvironmentFile, a "
                "Kubernetes Secret)",
            )
        ]
    if email.username and not email.password_env:
        return [
            Finding(
                "FAIL",
                f"email.username = {email.username!r} but no email.password_env",
                "set email.password_env to the NAME of the variable holding the password",
            )
        ]
    ok = Finding("ok", f"mail: SMTP {email.host} as {email.sender} (not contacted by check)")
    clear = clear_text_login(email)
    if clear:
        return [ok, Finding("warn", clear, "set [email] starttls = true, or ssl = true")]
    return [ok]


def _outbox(folder: Path) -> Finding:
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is None or not os.access(existing, os.W_OK):
        return Finding(
            "FAIL",
            f"mail: the outbox folder {folder} cannot be created",
            "set [email] outbox to a writable folder, or [email] host to send mail",
        )
    return Finding("ok", f"mail: no [email] host, mails are written to {folder}")
