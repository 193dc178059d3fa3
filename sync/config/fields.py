"""Typed fields of a TOML config: each read records a problem, never raises, so one run
lists every mistake."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_DURATION_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_SMTP_TIMEOUT = 3600.0  # seconds: one SMTP step
MAX_MAIL_DEADLINE = 86400.0  # seconds: all of a run's mail
# The name of an environment variable as POSIX and every deployment tool spell them. Lower
# case is refused too: a mixed-case value is far likelier a password typed in by mistake.
VARIABLE_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
CHANNEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
DOMAIN = re.compile(r"^\s*[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\s*$")


class Fields:
    """Walks the document, records problems as ``key = value: expected ...`` lines."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.problems: list[str] = []
        self.defined_channels: set[str] = set()

    def fail(self, key: str, value: Any, expected: str) -> None:
        self.problems.append(f"{key} = {value!r}: expected {expected}")

    def section(self, data: Mapping[str, Any], key: str, prefix: str = "") -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.fail(f"{prefix}.{key}" if prefix else key, value, "a table ([section])")
            return {}
        return value

    def unknown_keys(self, where: str, data: Mapping[str, Any], known: set[str]) -> None:
        for k in sorted(set(data) - known):
            name = f"{where}.{k}" if where else k
            self.problems.append(f"{name}: unknown key; expected one of {', '.join(sorted(known))}")

    def number(self, data: Mapping[str, Any], key: str, expected: str) -> float | None:
        name = key.rsplit(".", 1)[-1]
        if name not in data:
            return None
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, value, expected)
            return None
        return float(value)

    def seconds(self, data: Mapping[str, Any], key: str, default: float, *, most: float) -> float:
        """A number of seconds above 0 and at most ``most``: -1, 0, nan, inf and 1e308
        would each break or silently disable a socket timeout."""
        expected = f"a number of seconds above 0 and at most {most:g}, such as {default:g}"
        value = self.number(data, key, expected)
        if value is None:
            return default
        if not 0 < value <= most:  # also false for nan
            self.fail(key, data[key.rsplit(".", 1)[-1]], expected)
            return default
        return value

    def opt(self, data: Mapping[str, Any], key: str, kind: type[T], expected: str) -> T | None:
        name = key.rsplit(".", 1)[-1]
        if name not in data:
            return None
        value = data[name]
        bad_bool = isinstance(value, bool) and kind is not bool
        if bad_bool or not isinstance(value, kind):
            self.fail(key, value, expected)
            return None
        return value

    def path(self, data: Mapping[str, Any], key: str) -> Path | None:
        raw = self.opt(data, key, str, "a file path")
        if raw is None or not raw.strip():
            return None
        p = Path(raw).expanduser()
        return p if p.is_absolute() else self.base / p

    def date(self, data: Mapping[str, Any], key: str) -> dt.date | None:
        name = key.rsplit(".", 1)[-1]
        value = data.get(name)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(key, value, "a date such as 2026-10-01")
        return None

    def time(self, data: Mapping[str, Any], key: str) -> dt.time | None:
        name = key.rsplit(".", 1)[-1]
        value = data.get(name)
        if value is None:
            return None
        if isinstance(value, dt.time):
            return value
        if isinstance(value, str) and (m := _HHMM.match(value.strip())):
            return dt.time(int(m.group(1)), int(m.group(2)))
        self.fail(key, value, 'a time of day "HH:MM", such as "08:00"')
        return None

    def duration(self, data: Mapping[str, Any], key: str) -> dt.timedelta | None:
        value = self.opt(data, key, str, 'a duration such as "15m", "1h" or "24h"')
        if value is None:
            return None
        parsed = parse_duration(value)
        if parsed is None or parsed <= dt.timedelta(0):
            self.fail(key, value, 'a duration such as "15m", "1h", "24h" or "7d"')
        return parsed

    def fraction(self, data: Mapping[str, Any], key: str, default: float) -> float:
        value = self.number(data, key, "a fraction from 0 to 1")
        if value is None:
            return default
        if not 0 <= value <= 1:
            self.fail(key, value, "a fraction from 0 to 1, such as 0.1")
            return default
        return float(value)

    def addresses(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key.rsplit(".", 1)[-1])
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(key, value, "a list of e-mail addresses")
            return ()
        good = tuple(a.strip() for a in value if isinstance(a, str) and EMAIL.match(a.strip()))
        for a in value:
            if not isinstance(a, str) or not EMAIL.match(a.strip()):
                self.fail(key, a, "an e-mail address such as leads@example.com")
        return good

    def timezone(self, data: Mapping[str, Any], key: str) -> str:
        value = self.opt(data, key, str, "an IANA time zone name such as Europe/Paris") or "UTC"
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.fail(key, value, "an IANA time zone name such as Europe/Paris")
            return "UTC"
        return value

    def channel_names(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key.rsplit(".", 1)[-1], [])
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            self.fail(key, value, 'a list of [channels] names, such as ["ops"]')
            return ()
        wanted = tuple(n.strip().lstrip("#") for n in names)
        for name in wanted:
            if name not in self.defined_channels:
                self.fail(key, name, "a channel defined in [channels]")
        return wanted


def parse_duration(text: str) -> dt.timedelta | None:
    """``"15m"``, ``"1h"``, ``"24h"``, ``"7d"``, ``"2w"`` -> timedelta; None if unreadable."""
    m = _DURATION.match(text)
    if not m:
        return None
    return dt.timedelta(seconds=float(m.group(1)) * _DURATION_UNITS[m.group(2).lower()])
