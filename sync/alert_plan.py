"""What a run's alert decisions send and record: pure.

``decide_kpis`` / ``decide_key_results`` read each row's alert state from its own cells
and ask ``sync.rules.alerts`` what to do; ``kpi_items``/``kr_items`` turn the rows to mail
into ``AlertItem``s with their recipients; ``digests`` makes one digest per recipient;
``last_alerts`` gives the cells to write once the sender has said which recipients the
server accepted. No I/O, no clock: job.py orders the steps. Why an item carries ``since``
only in a reminder (stable Message-IDs) is in docs/alerts.md, "Delivery".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import pandas as pd

from sync.cells import parse_numbers
from sync.config import Job
from sync.evaluate import Evaluation
from sync.frames import Sheet, records, wide_history
from sync.notices import AlertItem, Digest, Reason
from sync.present import fmt, percent, percent_change
from sync.rules import alerts
from sync.rules import status as st

Routed = tuple[tuple[str, ...], AlertItem]  # (recipients, item)
HISTORY_POINTS = 12  # a chart of the last dozen values


@dataclass(frozen=True)
class Decisions:
    """One tab's rows: their alert state as read, and what was decided for each."""

    rows: list[alerts.RowState]
    decisions: list[alerts.Decision]
    decided: pd.DataFrame  # by row: reason, since, told, when (last mailed), recipients
    notes: tuple[str, ...] = ()  # the owned cells that could not be read, and were reset

    @property
    def mailed(self) -> pd.DataFrame:
        return self.decided[self.decided["reason"] != ""]


def decide_kpis(ev: Evaluation, now: dt.datetime, job: Job) -> Decisions:
    today = pd.Timestamp(now.astimezone(job.tz).date())
    muted = (ev.kpis["mute_until"] >= today).fillna(False)
    return _decide(
        ev.kpis,
        ev.kpi_sheet.rows,
        now,
        job,
        tab=job.tabs.kpis,
        alerting=st.KPI_ALERTING,
        muted=muted,
    )


def decide_key_results(ev: Evaluation, now: dt.datetime, job: Job) -> Decisions:
    krs = ev.okrs.key_results
    return _decide(
        krs,
        ev.okr_sheet.rows,
        now,
        job,
        tab=job.tabs.okrs,
        alerting=st.OKR_ALERTING,
        muted=pd.Series(False, index=krs.index),
    )


def _decide(
    results: pd.DataFrame,
    rows: pd.DataFrame,
    now: dt.datetime,
    job: Job,
    *,
    tab: str,
    alerting: frozenset[str],
    muted: pd.Series,
) -> Decisions:
    def cells(cid: str) -> pd.Series:
        if cid in rows:
            return rows[cid].reindex(results.index)
        return pd.Series([None] * len(results), index=results.index, dtype=object)

    own = pd.DataFrame({cid: cells(cid) for cid in ("status", "since", "last_alert")})
    states = alerts.read_states(results["status"], own, muted=muted, now=now, tz=job.tz)
    decisions = [alerts.decide_row(row, now, job.alerts, alerting) for row in states]
    owner_cells = results["owner"].tolist()  # few distinct: each is read once
    cfg = job.alerts
    by_cell = {
        c: alerts.owners(c, cfg.allowed_domains, cfg.known_channels)
        for c in dict.fromkeys(owner_cells)
    }
    routed = [by_cell[c] for c in owner_cells]
    decided = _frame(states, decisions, [to or cfg.default_route for to, _ in routed])
    decided["routing"] = [
        _why_default(c, to) for c, (to, _) in zip(owner_cells, routed, strict=True)
    ]
    notes = [
        f"{tab} row {row}, column {job.columns[cid]}: {why}"
        for row, state, (_, owner_note) in zip(results.index, states, routed, strict=True)
        for cid, why in (*state.notes, ("owner", owner_note))
        if why
    ]
    return Decisions(states, decisions, decided.set_axis(results.index), tuple(notes))


def _why_default(owner: object, told: tuple[str, ...]) -> str:
    """The line a mail carries when an ``Owner`` cell named no one this run may tell, so the
    default recipients know why the row came to them."""
    text = owner.strip() if isinstance(owner, str) else ""
    if told or not text:
        return ""
    shown = text if len(text) <= 60 else text[:59] + "…"
    return (
        f"sent to the default recipients: Owner {shown!r} is not an address this run may "
        "mail nor a name in [people]"
    )


def _with_routing(r: dict[str, Any]) -> str:
    return "; ".join(n for n in (r["note"], r.get("routing", "")) if n)


def _frame(
    states: list[alerts.RowState],
    decisions: list[alerts.Decision],
    recipients: list[tuple[str, ...]],
) -> pd.DataFrame:
    """The decisions as columns, for the items' joins with the rows' results."""
    return pd.DataFrame(
        {
            "reason": pd.Series([d.reason for d in decisions], dtype=object),
            "since": pd.Series([d.since for d in decisions], dtype="datetime64[ns, UTC]"),
            "told": pd.Series([d.told for d in decisions], dtype=object),
            "when": pd.Series([r.record.when for r in states], dtype="datetime64[ns, UTC]"),
            "recipients": pd.Series(recipients, dtype=object),
        }
    )


def last_alerts(d: Decisions, settled: Iterable[str], now: dt.datetime, job: Job) -> pd.Series:
    """The ``Last alert`` cells to write (None: unchanged), given whose mail was settled.

    A row counts as notified only when every one of its recipients' mails was settled:
    accepted, or refused for good (a 5xx to that address: retrying every run would only
    repeat the mail to the others). Any other failure leaves the row to the next run.
    """
    took = frozenset(settled)
    texts = []
    for row, decision, to in zip(d.rows, d.decisions, d.decided["recipients"], strict=True):
        delivered = bool(to) and all(r in took for r in to)
        record = alerts.next_record(row, decision, delivered, now)
        texts.append(
            None
            if record is None
            else alerts.render_record(record, job.alerts.pending_runs, job.tz)
        )
    return pd.Series(texts, index=d.decided.index, dtype=object)


# -- items ------------------------------------------------------------------------------


def kpi_items(ev: Evaluation, d: Decisions, job: Job, now: dt.datetime) -> list[Routed]:
    mailed = d.mailed
    if mailed.empty:
        return []
    rows = ev.kpis.loc[mailed.index].join(mailed)
    history = _history(ev.kpi_sheet, rows.index, now.astimezone(job.tz).date(), job)
    return [(r["recipients"], _kpi_item(r, job, history.get(r["row"], ()))) for r in records(rows)]


def _kpi_item(r: dict[str, Any], job: Job, history: tuple[tuple[dt.date, float], ...]) -> AlertItem:
    return AlertItem(
        kind="kpi",
        name=r["name"],
        status=r["status"],
        previous=_previous(r),
        reason=_reason(r["reason"]),
        row=r["row"],
        tab=job.tabs.kpis,
        value=fmt(r["value"], r["unit"]),
        threshold=_threshold(r),
        change=_change(r),
        note=_with_routing(r),
        owner=r["owner"],
        since=_episode_since(r["since"], r["when"]),
        last_alert=_py(r["when"]),
        history=history,
        warning=_float(r["warning"]),
        critical=_float(r["critical"]),
    )


def _threshold(r: dict[str, Any]) -> str:
    if r["status"] == st.CRITICAL and not pd.isna(r["critical"]):
        return f"critical {fmt(r['critical'], r['unit'])}"
    if r["status"] == st.WARNING and not pd.isna(r["warning"]):
        return f"warning {fmt(r['warning'], r['unit'])}"
    return ""


def kr_items(ev: Evaluation, d: Decisions, job: Job) -> list[Routed]:
    mailed = d.mailed
    if mailed.empty:
        return []
    rows = ev.okrs.key_results.loc[mailed.index].join(mailed)
    return [
        (
            r["recipients"],
            AlertItem(
                kind="key_result",
                name=f"{r['objective']} › {r['key_result']}",
                status=r["status"],
                previous=_previous(r),
                reason=_reason(r["reason"]),
                row=r["row"],
                tab=job.tabs.okrs,
                value=_percent(r["progress"]),
                threshold=_expected(r["expected"]),
                note=_with_routing(r),
                owner=r["owner"],
                since=_episode_since(r["since"], r["when"]),
                last_alert=_py(r["when"]),
            ),
        )
        for r in records(rows)
    ]


def summary(ev: Evaluation, kpi_d: Decisions, job: Job) -> tuple[AlertItem, ...]:
    """The weekly digest's rows: every objective and every KPI, as they stand (owners: the
    addresses that may be mailed, never what else a cell holds)."""
    objectives = tuple(
        AlertItem(
            kind="objective",
            name=o["objective"],
            status=o["status"],
            previous="",
            reason="repeat",
            row=0,
            tab=job.tabs.okrs,
            value=_percent(o["progress"]),
            threshold=_expected(o["expected"]),
            note=o["note"],
        )
        for o in ev.okrs.objectives.to_dict("records")
    )
    kpis = ev.kpis.join(kpi_d.decided[["since"]])
    cells = kpis["owner"].tolist()
    allowed = job.alerts.allowed_domains
    shown = {c: ", ".join(alerts.owners(c, allowed)[0]) for c in dict.fromkeys(cells)}  # once each
    return objectives + tuple(
        AlertItem(
            kind="kpi",
            name=r["name"],
            status=r["status"],
            previous="",
            reason="repeat",
            row=r["row"],
            tab=job.tabs.kpis,
            value=fmt(r["value"], r["unit"]),
            threshold=_threshold(r),
            change=_change(r),
            note=r["note"],
            owner=shown[cell],
            since=_py(r["since"]),
        )
        for r, cell in zip(records(kpis), cells, strict=True)
    )


def digests(items: Sequence[Routed], title: str, url: str | None, now: dt.datetime) -> list[Digest]:
    """One digest per recipient per run, never one mail per row; recipients in order.

    A recipient sees only their own address as a row's owner, never the other owners'.
    """
    by_recipient: dict[str, list[AlertItem]] = {}
    for recipients, item in items:
        owners = alerts.owner_addresses(item.owner)
        for r in recipients:
            shown = replace(item, owner=r if r in owners else "")
            by_recipient.setdefault(r, []).append(shown)
    return [Digest(r, tuple(its), title, url, now) for r, its in sorted(by_recipient.items())]


def unrouted(items: Sequence[Routed]) -> list[AlertItem]:
    """Items nobody would receive: no Owner and no [alerts] recipients."""
    return [item for recipients, item in items if not recipients]


# -- helpers ----------------------------------------------------------------------------


def _history(
    sheet: Sheet, rows: pd.Index, today: dt.date, job: Job
) -> dict[int, tuple[tuple[dt.date, float], ...]]:
    """The last values of the wide layout's dated columns, for the chart (the log tab's
    points are not charted). Unreadable cells are left out."""
    if rows.empty:
        return {}
    long = wide_history(sheet, rows)  # the alerted rows only: few, on a steady run
    long = long[long["date"] <= pd.Timestamp(today)]
    if long.empty:
        return {}
    values = parse_numbers(long["raw"].reset_index(drop=True), decimal_comma=job.kpi.decimal_comma)[
        "value"
    ].to_numpy()
    points = long.assign(value=values).dropna(subset=["value"]).sort_values(["row", "date"])
    last = points.groupby("row", sort=False).tail(HISTORY_POINTS)  # one pass, not one per row
    found: dict[int, list[tuple[dt.date, float]]] = {}
    for row, day, value in zip(
        last["row"].astype(int), last["date"].dt.date, last["value"].astype(float), strict=True
    ):
        found.setdefault(row, []).append((day, value))
    return {row: tuple(line) for row, line in found.items()}


def _episode_since(since: Any, told_at: Any) -> dt.datetime | None:
    """``since`` only if the status already held at the last mail (see the module doc)."""
    if pd.isna(since) or pd.isna(told_at) or since > told_at:
        return None
    return _py(since)


def _previous(r: dict[str, Any]) -> str:
    """The status last mailed, when it differs from the status now ("" otherwise)."""
    return "" if r["told"] == r["status"] else str(r["told"])


def _change(r: dict[str, Any]) -> str:
    """``-17.6 % since 2026-11-16``: the move against the previous data point."""
    if pd.isna(r["change"]):
        return ""
    since = "" if pd.isna(r["previous_date"]) else f" since {r['previous_date']:%Y-%m-%d}"
    return f"{percent_change(r['change'])}{since}"


def _reason(value: str) -> Reason:
    if value in alerts.REASONS:
        return cast(Reason, value)
    raise ValueError(f"not a reason to mail: {value!r}")


def _percent(value: Any) -> str:
    return "" if pd.isna(value) else percent(float(value))


def _expected(value: Any) -> str:
    return "" if pd.isna(value) else f"expected {percent(float(value))}"


def _float(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _py(value: Any) -> dt.datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()
