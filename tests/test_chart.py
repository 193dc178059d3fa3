"""The charts in the mails, read back as images: what a reader sees, and nothing carried over
from the chart drawn before it on the same (reused) figure."""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from sync.burnup import Burnup
from sync.notices import AlertItem
from sync.notify import chart

pytest.importorskip("matplotlib")
from PIL import Image  # Pillow comes with matplotlib

MONDAY = dt.date(2026, 9, 7)
WARNING_RGB = (0xD0, 0x87, 0x00)
CRITICAL_RGB = (0xC6, 0x28, 0x28)
FORECAST_RGB = (0x2E, 0x7D, 0x32)


ROW = AlertItem(
    kind="kpi", name="Signups", status="CRITICAL", previous="", reason="new", row=5, tab="KPIs"
)


def kpi(values: list[float], warning: float | None, critical: float | None) -> AlertItem:
    history = tuple((MONDAY + dt.timedelta(weeks=n), v) for n, v in enumerate(values))
    return replace(ROW, history=history, warning=warning, critical=critical)


SIGNUPS = kpi([530, 515, 500, 480, 470, 430, 412], warning=480, critical=450)
CHURN = kpi([2.0, 2.5, 9.5], warning=None, critical=None)
BURN = Burnup(
    "Grow",
    actual=tuple((MONDAY + dt.timedelta(weeks=n), 0.1 * n) for n in range(5)),
    expected=((MONDAY, 0.0), (MONDAY + dt.timedelta(weeks=13), 1.0)),
    forecast=((MONDAY + dt.timedelta(weeks=4), 0.4), (MONDAY + dt.timedelta(weeks=13), 0.9)),
)


def fresh(draw: Callable[[], bytes | None]) -> bytes:
    """A chart drawn now, not served from the cache of charts already drawn."""
    chart._drawn.cache_clear()
    chart._drawn_burnup.cache_clear()
    png = draw()
    assert png is not None
    return png


def pixels_like(png: bytes, rgb: tuple[int, int, int]) -> int:
    """Coloured pixels of about that colour: a thin line is blended with the white around it,
    and the grey edges of black text are no colour at all."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    near = (np.abs(image - np.array(rgb)) < 48).all(axis=-1)
    coloured = image.max(axis=-1) - image.min(axis=-1) > 40
    return int((near & coloured).sum())


def test_a_chart_shows_the_thresholds_it_has_in_their_colours() -> None:
    signups = fresh(lambda: chart.render_png(SIGNUPS))
    assert Image.open(io.BytesIO(signups)).size == (500, 180)
    assert pixels_like(signups, WARNING_RGB) > 200  # a dashed line across the chart
    assert pixels_like(signups, CRITICAL_RGB) > 200
    churn = fresh(lambda: chart.render_png(CHURN))
    assert pixels_like(churn, WARNING_RGB) == pixels_like(churn, CRITICAL_RGB) == 0


def test_a_chart_drawn_after_others_is_the_chart_drawn_first() -> None:
    """One figure per kind is reused: lines, thresholds, limits and ticks of the charts before
    must leave no trace."""
    first = fresh(lambda: chart.render_png(SIGNUPS))
    fresh(lambda: chart.render_png(CHURN))
    fresh(lambda: chart.render_png(kpi([1e6, 2e6], warning=None, critical=3e6)))
    fresh(lambda: chart.render_burnup(BURN))
    assert fresh(lambda: chart.render_png(SIGNUPS)) == first
    burnup = fresh(lambda: chart.render_burnup(BURN))
    ship = fresh(lambda: chart.render_burnup(Burnup("Ship", ((MONDAY, 0.5),), expected=())))
    assert pixels_like(ship, FORECAST_RGB) == 0  # no forecast line, nor its legend entry
    assert fresh(lambda: chart.render_burnup(BURN)) == burnup
    assert pixels_like(burnup, FORECAST_RGB) > 50


def test_a_chart_drawn_in_another_thread_is_the_same_chart() -> None:
    """The worker syncs workbooks in threads; each draws on figures of its own."""
    here = fresh(lambda: chart.render_png(SIGNUPS))
    there: list[bytes] = []
    chart._drawn.cache_clear()
    worker = threading.Thread(target=lambda: there.append(chart.render_png(SIGNUPS) or b""))
    worker.start()
    worker.join()
    assert there == [here]


def test_a_history_spanning_centuries_is_still_drawn() -> None:
    """Dates come from cells people type; the ticks, counted back from the newest day, never
    step past the oldest one (nor past year 1)."""
    ages = replace(ROW, history=((dt.date(1, 1, 1), 1.0), (dt.date(9999, 12, 31), 2.0)))
    assert fresh(lambda: chart.render_png(ages)).startswith(b"\x89PNG")
