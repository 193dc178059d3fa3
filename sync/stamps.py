"""How the sync writes and reads back its own timestamps (``Since``, ``Last alert``, ``Checked``).

State lives in the workbook so that a cron run needs nothing local; the text must
therefore round-trip exactly and stay readable: ``2026-11-26 08:00+00:00`` (ISO 8601,
minutes, with the offset so a change of time zone in the config cannot shift it).
A person may also type a plain date or time there; that is read in the job's zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
import pandas as pd

# No time is written longer ("Thursday, 26 November 2026 08:00:00.000000+05:30" is 48);
# longer text is not read as one, which also bounds the date parser's work per cell.
MAX_STAMP_CHARS = 64


def stamp(when: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    return when.astimezone(tz).isoformat(sep=" ", timespec="minutes")


def stamp_series(when: pd.Series, tz: zoneinfo.ZoneInfo) -> pd.Series:
    """``stamp`` for a column of timestamps, formatting each distinct moment once (most
    rows of a run share the run's time)."""
    unique = when.drop_duplicates()
    text = {t: stamp(t, tz) for t in unique}
    return when.map(text)


def parse_stamps(values: pd.Series, tz: zoneinfo.ZoneInfo) -> pd.Series:
    """Cells written by ``stamp`` (or typed by a person) as UTC timestamps; NaT if unreadable."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if values.empty:
        return out
    text = values.map(_as_text)
    text = text.where(text.str.len() <= MAX_STAMP_CHARS, "#")  # too long: unreadable
    aware = text.str.contains(r"[+-]\d\d:\d\d$|Z$", regex=True, na=False)
    out[aware] = _in_range(pd.to_datetime(text[aware], errors="coerce", utc=True, format="mixed"))
    naive = ~aware & text.ne("")
    if naive.any():
        local = _in_range(pd.to_datetime(text[naive], errors="coerce", format="mixed"))
        out[naive] = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert(
            "UTC"
        )
    return out


def _in_range(parsed: pd.Series) -> pd.Series:
    """Only what a nanosecond clock holds (1677-2262): ``OK 0001-01-01`` typed in a cell
    reads as unreadable (NaT), like any other text that is not a time."""
    tz = "UTC" if parsed.dt.tz is not None else None
    low, high = (
        pd.Timestamp.min.ceil("D").tz_localize(tz),
        pd.Timestamp.max.floor("D").tz_localize(tz),
    )
    return parsed.where(parsed.between(low, high)).astype(
        "datetime64[ns, UTC]" if tz else "datetime64[ns]"
    )


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
