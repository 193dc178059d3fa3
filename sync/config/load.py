"""Config: TOML read with ``tomllib`` and validated into frozen dataclasses.

Validation collects every problem before failing, so that a user fixes a config in
one edit rather than one run per typo. Nothing here touches a workbook or the network.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sync.config.job_sections import _NESTED, JobSections
from sync.config.model import Config, Job
from sync.config.run_sections import RunSections
from sync.errors import ConfigError


def _allowed_by_default(job: Job, sender: str) -> Job:
    """``[alerts] allowed_domains`` when not given: the domains of the alert recipients and
    of the sender, so an Owner cell can never send mail outside the organisation."""
    if job.alerts.allowed_domains is not None:
        return job
    domains = (a.rsplit("@", 1)[-1].strip().lower() for a in (*job.alerts.recipients, sender))
    alerts = replace(job.alerts, allowed_domains=tuple(dict.fromkeys(domains)))
    return replace(job, alerts=alerts)


def load(path: Path | str) -> Config:
    """Read and validate a config file; raise ``ConfigError`` listing every problem."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")  # as Notepad saves it, with a BOM
    except FileNotFoundError:
        raise ConfigError(str(source), ["the file does not exist"]) from None
    except OSError as err:
        raise ConfigError(str(source), [f"cannot be read: {err.strerror}"]) from err
    except UnicodeDecodeError:
        raise ConfigError(str(source), ["is not UTF-8 text"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(str(source), [f"is not valid TOML: {err}"]) from err
    return parse(data, source)


def parse(data: Mapping[str, Any], source: Path) -> Config:
    """Validate an already-decoded TOML document (the seam the tests use)."""
    v = _Validator(source.resolve().parent)
    cfg = v.config(data, source)
    if v.problems:
        raise ConfigError(str(source), v.problems)
    assert cfg is not None
    return cfg


class _Validator(JobSections, RunSections):
    """The whole document: its sections, then what depends on several of them."""

    def config(self, data: Mapping[str, Any], source: Path) -> Config | None:
        known = {
            "workbook",
            "workbooks",
            "tabs",
            "columns",
            "okr",
            "kpi",
            "alerts",
            "email",
            "schedule",
            "digest",
            "monitor",
            "people",
            "channels",
            "google",
        }
        self.unknown_keys("", data, known)
        channels = self.channels(self.section(data, "channels"))
        schedule = self.schedule(self.section(data, "schedule"))
        defaults = {k: self.section(data, k) for k in _NESTED}
        jobs = self.jobs(data, defaults, schedule.timezone)
        email = self.email(self.section(data, "email"))
        jobs = [_allowed_by_default(j, email.sender) for j in jobs]
        digest = self.digest(self.section(data, "digest")) if "digest" in data else None
        monitor = self.monitor(self.section(data, "monitor"))
        google = self.google(self.section(data, "google"))
        if self.problems:
            return None
        return Config(
            source=source,
            jobs=tuple(jobs),
            email=email,
            schedule=schedule,
            digest=digest,
            monitor=monitor,
            channels=channels,
            google=google,
        )
