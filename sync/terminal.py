"""What a person reads in the terminal: the dry-run listing and the ``status`` tables.

The only module that imports rich. What it prints goes through ``Output`` (sync/output.py),
which masks secrets like the logs do, so nothing printed can leak the SMTP password or a key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sync.a1 import a1
from sync.evaluate import Evaluation
from sync.grid import Cell
from sync.output import Output
from sync.present import bar, fmt, percent
from sync.report import RunReport
from sync.rules import status as st

NO_WRAP = {"Progress", "Expected", "Forecast", "Status", "Current", "Change"}
STYLES = {"green": "green", "amber": "yellow", "red": "bold red", "grey": "dim"}


# -- dry run ------------------------------------------------------------------------------


def print_dry_run(report: RunReport, status_tab: str, out: Output) -> None:
    """Every cell it would change (tab, cell, old -> new) and every mail (to, subject, items)."""
    out.say(f"# {report.workbook}: {len(report.changes)} cell(s) would change (nothing is written)")
    for c in report.changes:
        u = c.update
        out.say(f"{_tab_ref(u.tab)}!{a1(u.row, u.col)}: {_show(c.old)} -> {_show(u.value)}")
    out.say(f"# {report.workbook}: the {status_tab!r} tab would be rewritten whole")
    out.say(f"# {report.workbook}: {len(report.mails)} mail(s) would be sent (none is sent)")
    for m in report.mails:
        out.say(f"to {m.recipient}: {m.subject!r} ({m.items} item(s))")
        for line in m.body.splitlines():  # a chat post, as the channel would read it
            out.say(f"    {line}")


def _tab_ref(tab: str) -> str:
    """``KPIs`` or ``'KPI log'``: tab names quoted as in a spreadsheet formula when needed."""
    return tab if tab.replace("_", "").isalnum() else "'" + tab.replace("'", "''") + "'"


def _show(value: Cell) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return repr(value)


# -- status -------------------------------------------------------------------------------


def print_status(title: str, when: str, ev: Evaluation, today: dt.date, out: Output) -> None:
    """The current statuses as tables: objectives and key results, then KPIs worst first."""
    console = Console(file=out.stream, highlight=False, soft_wrap=False)
    c = ev.cycle

    def clean(text: str) -> Text:
        """Sheet text as plain text (no rich markup), masked cell by cell: a table may wrap
        a secret across lines, where masking the printed lines would miss it."""
        return Text(out.redactor.redact(text))

    heading = clean(
        f"{title} — as of {when} — cycle {c.start} to {c.end} (day {c.day_of(today)} of {c.days})"
    )
    heading.stylize("bold")
    console.print(heading)
    console.print(_okr_table(ev, clean))
    console.print(_kpi_table(ev.kpis, clean))
    for problem in ev.problems:
        note = clean(f"note: {problem}")
        note.stylize("dim")
        console.print(note)


def _status(word: str) -> Text:
    return Text(word, style=STYLES.get(st.COLOURS.get(word, "grey"), ""))


def _okr_table(ev: Evaluation, clean: Callable[[str], Text]) -> Table:
    table = Table(title="Objectives and key results", title_justify="left")
    for header in ("Objective / key result", "Progress", "Expected", "Forecast", "Status", "Note"):
        table.add_column(header, overflow="fold", no_wrap=header in NO_WRAP)
    krs = ev.okrs.key_results
    for obj in _records(ev.okrs.objectives):
        objective = clean(str(obj["objective"]))
        objective.stylize("bold")
        table.add_row(objective, *_progress(obj, clean))
        for kr in _records(krs[krs["objective"] == obj["objective"]]):
            table.add_row(clean(f"  {kr['key_result']}"), *_progress(kr, clean))
    return table


def _progress(
    row: dict[str, Any], clean: Callable[[str], Text]
) -> tuple[str, str, str, Text, Text]:
    return (
        bar(row["progress"]),
        f"{row['expected']:.0%}",
        percent(float(row.get("forecast", float("nan")))),
        _status(row["status"]),
        clean(_text(row["note"])),
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    return rows


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value)  # noqa: PLR0124 -- NaN


def _kpi_table(kpis: pd.DataFrame, clean: Callable[[str], Text]) -> Table:
    table = Table(title="KPIs, worst first", title_justify="left")
    for header in ("KPI", "Current", "Change", "Status", "Note"):
        table.add_column(header, overflow="fold", no_wrap=header in NO_WRAP)
    if kpis.empty:
        return table
    order = kpis.assign(_rank=kpis["status"].map(lambda s: st.rank(st.KPI_ORDER, s)))
    for k in _records(order.sort_values("_rank", kind="stable")):
        change = "" if pd.isna(k["change"]) else f"{k['change']:+.1%}"
        table.add_row(
            clean(str(k["name"])),
            clean(fmt(k["value"], k["unit"])),
            change,
            _status(k["status"]),
            clean(_text(k["note"])),
        )
    return table
