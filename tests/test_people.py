"""Owners written as names, mapped to addresses by ``[people]``; the names no one knows named."""

from __future__ import annotations

import datetime as dt

import pytest

from sync import alert_plan
from sync.config import AlertsConfig, Job, Tabs, WorkbookConfig
from sync.evaluate import evaluate
from sync.grid import Grid
from sync.people import resolve_owner

PEOPLE = {"tom": ("tom@example.com",), "ana lima": ("ana@example.com", "ops@example.com")}


@pytest.mark.parametrize(
    ("cell", "text", "unresolved"),
    [
        ("Tom", "tom@example.com", ()),
        ("  tom ", "tom@example.com", ()),
        ("Ana  Lima", "ana@example.com, ops@example.com", ()),
        ("Tom and Ana Lima", "tom@example.com, ana@example.com, ops@example.com", ()),
        ("Tom, sam@example.com", "tom@example.com, sam@example.com", ()),
        ("#ops", "#ops", ()),
        ("Bob", "Bob", ("Bob",)),
        ("Tom / Bob", "tom@example.com, Bob", ("Bob",)),
        (None, "", ()),
        ("", "", ()),
    ],
)
def test_an_owner_cell_s_names_become_addresses(
    cell: object, text: str, unresolved: tuple[str, ...]
) -> None:
    assert resolve_owner(cell, PEOPLE) == (text, unresolved)


NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def test_kpi_and_key_result_owners_are_mapped_and_the_unknown_ones_named() -> None:
    job = Job(workbook=WorkbookConfig(backend="xlsx"), tabs=Tabs(kpi_log=""), people=PEOPLE)
    grids: dict[str, Grid | None] = {
        "KPIs": [["KPI", "Owner", "Current"], ["Revenue", "Tom", 3], ["Churn", "Bob", 1]],
        "OKRs": [["Objective", "Key result", "Owner"], ["Grow", "Ship it", "ana lima"]],
    }
    ev = evaluate(grids, NOW, job)
    assert ev.kpis["owner"].tolist() == ["tom@example.com", "Bob"]
    assert ev.okrs.key_results["owner"].tolist() == ["ana@example.com, ops@example.com"]
    assert [p for p in ev.problems if "owner" in p] == [
        "tab 'KPIs' row(s) 3: owner 'Bob' is neither an address nor a name in [people]; add "
        'Bob = "<address>" to [people] (until then these rows go to [alerts] recipients)'
    ]


def test_a_row_whose_owner_no_one_knows_tells_the_default_recipients_why_it_came_to_them() -> None:
    job = Job(
        workbook=WorkbookConfig(backend="xlsx"),
        tabs=Tabs(kpi_log="", okrs=""),
        people=PEOPLE,
        alerts=AlertsConfig(recipients=("leads@example.com",)),
    )
    grids: dict[str, Grid | None] = {
        "KPIs": [
            ["KPI", "Owner", "Current", "Critical"],
            ["Revenue", "Tom", 3, 5],
            ["Churn", "Bob", 1, 5],
        ],
    }
    ev = evaluate(grids, NOW, job)
    decided = alert_plan.decide_kpis(ev, NOW, job)
    routed = {i.name: (to, i.note) for to, i in alert_plan.kpi_items(ev, decided, job, NOW)}
    assert routed["Revenue"][0] == ("tom@example.com",)
    assert "default recipients" not in routed["Revenue"][1]
    assert routed["Churn"][0] == ("leads@example.com",)
    assert routed["Churn"][1].endswith(
        "sent to the default recipients: Owner 'Bob' is not an address this run may mail "
        "nor a name in [people]"
    )
