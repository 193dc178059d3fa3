"""The corpus of defective workbooks: each one a small function that writes one .xlsx file.

Every builder starts from a healthy workbook (``KPIS``, ``OKRS``) and breaks one thing the
way people break spreadsheets: headers below a title, merged cells, formula errors, dates
typed as text, huge numbers, emoji, a missing tab... Its ``@defect`` line says what a user
should see: the exit code, and text the run must show (on stderr, in the Note and Status
cells it writes, or on the Status tab) naming the tab, row or cell to fix.

Nothing here is committed as a binary: ``tests/test_defective_workbooks.py`` builds each
workbook into its own temporary folder, and ``python tests/data/make_corpus.py OUT`` writes
them all to ``OUT`` (with an index) for a person to open in Excel or LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook.workbook import Workbook

TESTS = str(Path(__file__).resolve().parents[1])  # tests/workbooks.py, when run as a script
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
from workbooks import config_text  # noqa: E402 - after the path is set

Grid = list[list[Any]]
Builder = Callable[[Path], None]

AS_OF = "2026-11-20T09:00:00+00:00"  # the runs' clock: week 3 of the history below
WEEKS = [dt.datetime(2026, 11, 2), dt.datetime(2026, 11, 9), dt.datetime(2026, 11, 16)]
KPI_HEAD = ["KPI", "Owner", "Unit", "Direction", "Warning", "Critical", "Cadence", *WEEKS]
KPI_ROWS: Grid = [
    ["Qualified leads", "sam@example.com", "", "higher", 480, 450, "weekly", 515, 500, 490],
    ["Uptime", "", "%", "higher", 0.999, 0.995, "weekly", 0.9996, 0.9998, 0.9997],
    ["Response time", "ops@example.com", "ms", "lower", 300, 500, "weekly", 210, 250, 240],
]
OKR_HEAD = ["Objective", "Key result", "Owner", "Start", "Target", "Current", "Kind"]
OKR_ROWS: Grid = [
    ["Grow pipeline", "Leads from 400 to 600", "sam@example.com", 400, 600, 520, "committed"],
    [None, "Close 12 deals", "", 0, 12, 7, "committed"],
    ["Reliability", "Cut P1 bugs from 10 to 2", "ops@example.com", 10, 2, 6, "committed"],
]


def config(name: str) -> str:
    """The config beside workbook ``name``: the tests' usual one (tests/workbooks.py)."""
    return config_text(f'[workbook]\nbackend = "xlsx"\npath = "{name}"\n')


@dataclass(frozen=True)
class Defect:
    """One defective workbook and what a user should see when the sync meets it."""

    name: str
    shows: str  # in plain words, for the index and the test ids
    build: Builder
    code: int  # the exit code: 0 fine, 1 rows in ERROR, 2 cannot run
    expect: tuple[str, ...]  # text the user is shown (stderr, owned cells, Status tab)
    big: bool = False  # slow to build: only on demand


CORPUS: dict[str, Defect] = {}


def defect(
    shows: str, *, code: int, expect: Sequence[str] = (), big: bool = False
) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        CORPUS[build.__name__] = Defect(build.__name__, shows, build, code, tuple(expect), big)
        return build

    return register


# -- helpers ----------------------------------------------------------------------------------


def kpis(*rows: list[Any], head: list[Any] | None = None) -> Grid:
    return [list(head or KPI_HEAD), *(list(r) for r in rows or KPI_ROWS)]


def okrs(*rows: list[Any], head: list[Any] | None = None) -> Grid:
    return [list(head or OKR_HEAD), *(list(r) for r in rows or OKR_ROWS)]


def save(
    path: Path,
    tabs: Mapping[str, Grid | None] | None = None,
    edit: Callable[[Workbook], None] | None = None,
) -> None:
    """Tabs from grids (None: a tab with no cells), in order; ``edit`` touches up the rest."""
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    for title, grid in (tabs if tabs is not None else {"KPIs": kpis(), "OKRs": okrs()}).items():
        ws = book.create_sheet(title)
        for row in grid or ():
            ws.append(row)
    if edit is not None:
        edit(book)
    book.save(path)


def kpi(name: Any, *values: Any, **columns: Any) -> list[Any]:
    """A KPI row: name, then Owner..Cadence from ``columns``, then the weekly values."""
    fixed = {
        "Owner": "",
        "Unit": "",
        "Direction": "higher",
        "Warning": 480,
        "Critical": 450,
        "Cadence": "weekly",
    }
    fixed.update({k.replace("_", " ").capitalize(): v for k, v in columns.items()})
    return [name, *(fixed[h] for h in KPI_HEAD[1:7]), *(values or (515, 500, 490))]


def patch(path: Path, member: str, edits: Mapping[str, str]) -> None:
    """Rewrite text inside one file of the .xlsx zip: what openpyxl cannot write, Excel does
    (cached formula results, escaped control characters, numbers openpyxl refuses)."""
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    text = files[member].decode()
    for old, new in edits.items():
        assert old in text, f"{old!r} not in {member}"
        text = text.replace(old, new)
    files[member] = text.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)


def shared_strings(path: Path, sheet: int, texts: Mapping[str, str]) -> None:
    """Move inline text cells to a shared-strings table, as Excel stores text; ``texts``
    maps a cell to its stored XML text, where Excel escapes control characters (``_x0007_``)."""
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n).decode() for n in z.namelist()}
    sheet_text = files[sheet_xml(sheet)]
    for i, ref in enumerate(texts):
        sheet_text, n = re.subn(
            rf'<c r="{ref}" t="inlineStr"><is><t>.*?</t></is></c>',
            f'<c r="{ref}" t="s"><v>{i}</v></c>',
            sheet_text,
        )
        assert n == 1, f"no text in {ref}"
    files[sheet_xml(sheet)] = sheet_text
    items = "".join(f"<si><t>{t}</t></si>" for t in texts.values())
    files["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'
    )
    files["xl/_rels/workbook.xml.rels"] = files["xl/_rels/workbook.xml.rels"].replace(
        "</Relationships>",
        '<Relationship Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml" '
        'Id="rIdStrings" /></Relationships>',
    )
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)


def sheet_xml(index: int) -> str:
    return f"xl/worksheets/sheet{index}.xml"


def cached(path: Path, sheet: int, results: Mapping[str, str | float]) -> None:
    """Give formula cells the cached result Excel stores beside the formula (openpyxl
    stores none): a number, or an error value such as ``#REF!``."""
    edits = {}
    text = zipfile.ZipFile(path).read(sheet_xml(sheet)).decode()
    for ref, value in results.items():
        m = re.search(rf'<c r="{ref}"><f>(.*?)</f>(?:<v ?/>|<v></v>)</c>', text)
        assert m, f"no formula in {ref}"
        kind = ' t="e"' if isinstance(value, str) else ""
        edits[m.group(0)] = f'<c r="{ref}"{kind}><f>{m.group(1)}</f><v>{value}</v></c>'
    patch(path, sheet_xml(sheet), edits)


# -- tabs and headers -------------------------------------------------------------------------


@defect("no KPIs tab", code=2, expect=["tab 'KPIs' not found"])
def kpis_tab_missing(path: Path) -> None:
    save(path, {"Metrics": kpis(), "OKRs": okrs()})


@defect("no OKRs tab", code=2, expect=["tab 'OKRs' not found"])
def okrs_tab_missing(path: Path) -> None:
    save(path, {"KPIs": kpis()})


@defect("a KPIs tab with no cells at all", code=2, expect=["tab 'KPIs' is empty", "'KPI'"])
def kpis_tab_empty(path: Path) -> None:
    save(path, {"KPIs": None, "OKRs": okrs()})


@defect("an OKRs tab with no cells at all", code=2, expect=["tab 'OKRs' is empty"])
def okrs_tab_empty(path: Path) -> None:
    save(path, {"KPIs": kpis(), "OKRs": None})


@defect("both tabs hold a header and nothing else", code=0)
def headers_only(path: Path) -> None:
    save(path, {"KPIs": [KPI_HEAD], "OKRs": [OKR_HEAD]})


@defect("a title and a blank row above the header (the header is found on row 3)", code=0)
def header_below_a_title(path: Path) -> None:
    save(path, {"KPIs": [["Team KPIs — Q4 2026"], [], *kpis()], "OKRs": okrs()})


@defect("row 1 left empty, the header on row 2 (found there)", code=0)
def header_on_row_2(path: Path) -> None:
    save(path, {"KPIs": kpis(), "OKRs": [[], *okrs()]})


@defect("headers in odd case with stray spaces, tabs named in lower case", code=0)
def headers_in_odd_case(path: Path) -> None:
    head = ["  kpi ", "OWNER", "unit", "Direction ", "WARNING", " critical", "cadence", *WEEKS]
    save(path, {"kpis": kpis(head=head), " okrs ": okrs(head=[h.upper() for h in OKR_HEAD])})


@defect(
    "the Warning header twice",
    code=0,
    expect=["tab 'KPIs': header 'Warning' appears twice (columns 5 and 11)"],
)
def duplicate_header(path: Path) -> None:
    grid = kpis()
    for i, r in enumerate(grid):
        r.append("Warning" if i == 0 else 1)
    save(path, {"KPIs": grid, "OKRs": okrs()})


@defect(
    "two Status columns: the first is the sync's, the second is left alone",
    code=0,
    expect=["header 'Status' appears twice (columns 11 and 13); the first is used"],
)
def two_status_columns(path: Path) -> None:
    grid = kpis()
    for i, r in enumerate(grid):
        r.extend(["Status", "Memo", "Status"] if i == 0 else ["", "keep", "mine"])
    save(path, {"KPIs": grid, "OKRs": okrs()})


@defect("header cells that are numbers, booleans or blank gaps", code=0)
def headers_not_text(path: Path) -> None:
    grid = kpis()
    for i, r in enumerate(grid):
        r.extend([5, True, None, 2.5] if i == 0 else ["x", "y", "z", "w"])
    save(path, {"KPIs": grid, "OKRs": okrs()})


@defect("the KPIs tab hidden, a second tab very hidden", code=0)
def hidden_tabs(path: Path) -> None:
    def hide(book: Workbook) -> None:
        book["KPIs"].sheet_state = "hidden"
        book.create_sheet("Secret").sheet_state = "veryHidden"

    save(path, edit=hide)


@defect("a Status tab full of the user's own notes (it is the sync's, replaced whole)", code=0)
def status_tab_with_user_content(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(),
            "OKRs": okrs(),
            "Status": [["my notes"], ["=SUM(1,2)", 3], [None, "keep?"]],
        },
    )


@defect("a stray value far to the right on row 1000", code=0)
def stray_value_far_right(path: Path) -> None:
    def stray(book: Workbook) -> None:
        book["KPIs"].cell(row=1000, column=200, value="old scratch")

    save(path, edit=stray)


@defect("blank rows, rows of spaces and a row with values but no KPI name", code=0)
def blank_and_nameless_rows(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(
                KPI_ROWS[0],
                [],
                ["   ", None, "  "],
                KPI_ROWS[1],
                [None, "", "", "", 10, 5, "", 1, 2, 3],
                [],
                [],
                KPI_ROWS[2],
            ),
            "OKRs": okrs(),
        },
    )


@defect("KPI names that are numbers, booleans and dates", code=0)
def kpi_names_not_text(path: Path) -> None:
    save(
        path,
        {"KPIs": kpis(kpi(123), kpi(True), kpi(dt.datetime(2026, 1, 1)), kpi(2.5)), "OKRs": okrs()},
    )


@defect(
    "the same KPI name twice, differing only in case and spaces",
    code=1,
    expect=["is also on row 4", "is also on row 2"],
)
def duplicate_kpi_names(path: Path) -> None:
    save(
        path, {"KPIs": kpis(KPI_ROWS[0], KPI_ROWS[1], kpi("  qualified   LEADS ")), "OKRs": okrs()}
    )


@defect(
    "a KPI log tab without its Value column",
    code=2,
    expect=["tab 'KPI log': no column 'Value' in row 1"],
)
def kpi_log_without_value_column(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(),
            "OKRs": okrs(),
            "KPI log": [["Date", "KPI", "Amount"], [WEEKS[0], "Uptime", 0.99]],
        },
    )


@defect(
    "a KPI log naming unknown KPIs, values with no name and no date",
    code=1,
    expect=[
        "tab 'KPI log' row 3: KPI 'Upptime' is not on the KPIs tab",
        "tab 'KPI log' row 4: a value with no KPI name",
    ],
)
def kpi_log_strangers(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(),
            "OKRs": okrs(),
            "KPI log": [
                ["Date", "KPI", "Value"],
                [WEEKS[2], "Uptime", 0.9991],
                [WEEKS[2], "Upptime", 0.5],
                [WEEKS[2], None, 3],
                ["someday", "Qualified leads", 470],
            ],
        },
    )


@defect("a wide tab: 300 weekly columns of history", code=0)
def three_hundred_dated_columns(path: Path) -> None:
    days = [WEEKS[2] - dt.timedelta(weeks=w) for w in range(299, -1, -1)]
    head = [*KPI_HEAD[:7], *days]
    save(
        path,
        {
            "KPIs": [
                head,
                *([*r[:7], *[r[9] + (w % 7) for w in range(300)]] for r in KPI_ROWS[:1]),
            ],
            "OKRs": okrs(),
        },
    )


# -- merged cells -----------------------------------------------------------------------------


@defect("objectives merged down over their key results", code=0)
def merged_objectives(path: Path) -> None:
    grid = okrs(
        OKR_ROWS[0], OKR_ROWS[1], [None, "Ship the referral page", "", 0, 1, 0, None], OKR_ROWS[2]
    )
    save(path, {"KPIs": kpis(), "OKRs": grid}, lambda book: book["OKRs"].merge_cells("A2:A4"))


@defect("a merged title across the header's right end and merged notes in a user column", code=0)
def merged_cells_in_user_columns(path: Path) -> None:
    def merge(book: Workbook) -> None:
        ws = book["KPIs"]
        ws["K1"] = "Comments"
        ws.merge_cells("K1:M1")
        ws["K2"] = "one note for two rows"
        ws.merge_cells("K2:K3")

    save(path, edit=merge)


@defect(
    "two cells of the Status column merged by a person",
    code=0,
    expect=["tab 'KPIs': cells K2:K3 were merged; unmerged to write K3"],
)
def merged_status_cells(path: Path) -> None:
    def merge(book: Workbook) -> None:
        ws = book["KPIs"]
        ws["K1"] = "Status"
        ws.merge_cells("K2:K3")
        ws["L1"] = "Note"
        ws.merge_cells("L3:M4")

    save(path, edit=merge)


# -- formulas ---------------------------------------------------------------------------------


@defect(
    "formula errors as Excel saves them (#REF!, #DIV/0!, #N/A, #VALUE!, #NAME?)",
    code=1,
    expect=[
        "Warning E2 '#REF!'",
        "J3 (2026-11-16) '#DIV/0!'",
        "Critical F4 '#NAME?'",
        "Current F2 '#N/A'",
        "Target E3 '#VALUE!'",
    ],
)
def formula_errors(path: Path) -> None:
    def formulas(book: Workbook) -> None:
        ws = book["KPIs"]
        ws["E2"], ws["J3"], ws["F4"] = "=Sheet9!A1", "=1/0", "=NOPE()"
        book["OKRs"]["F2"], book["OKRs"]["E3"] = "=VLOOKUP(1,A:A,2,0)", "=VALUE(A1)"

    save(path, edit=formulas)
    cached(path, 1, {"E2": "#REF!", "J3": "#DIV/0!", "F4": "#NAME?"})
    cached(path, 2, {"F2": "#N/A", "E3": "#VALUE!"})


@defect("formulas saved by a script and never calculated: no cached values", code=0)
def formulas_never_calculated(path: Path) -> None:
    def formulas(book: Workbook) -> None:
        ws = book["KPIs"]
        ws["L1"] = "Average"
        for r in (2, 3, 4):
            ws[f"L{r}"] = f"=AVERAGE(H{r}:J{r})"
        ws["J2"] = "=I2-10"  # the newest value itself is a formula, never calculated

    save(path, edit=formulas)


@defect("formulas with cached results, as Excel saves them", code=0)
def formulas_with_cached_results(path: Path) -> None:
    def formulas(book: Workbook) -> None:
        book["KPIs"]["J2"] = "=I2-10"
        book["KPIs"]["E4"] = "=200+100"

    save(path, edit=formulas)
    cached(path, 1, {"J2": 490, "E4": 300})


# -- dates ------------------------------------------------------------------------------------


@defect(
    "dated headers typed as text: ISO, month-first, written out",
    code=0,
    expect=["no date shows whether '11/9/2026' is day-first or month-first"],
)
def header_dates_as_text(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(head=[*KPI_HEAD[:7], "2026-11-02", "11/9/2026", "16 Nov 2026"]),
            "OKRs": okrs(),
        },
    )


@defect("dated headers as Sheets serial numbers", code=0)
def header_dates_as_serials(path: Path) -> None:
    save(path, {"KPIs": kpis(head=[*KPI_HEAD[:7], 46328, 46335, 46342]), "OKRs": okrs()})


@defect(
    "dated headers both day-first and month-first",
    code=0,
    expect=["tab 'KPIs' row 1: dates are written both day-first and month-first"],
)
def header_dates_both_ways(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(head=[*KPI_HEAD[:7], "02/11/2026", "16/11/2026", "11/17/2026"]),
            "OKRs": okrs(),
        },
    )


@defect(
    "dated headers that could be read either way",
    code=0,
    expect=["no date shows whether '02/11/2026' is day-first or month-first"],
)
def header_dates_ambiguous(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(head=[*KPI_HEAD[:7], "02/11/2026", "09/11/2026", "10/11/2026"]),
            "OKRs": okrs(),
        },
    )


@defect("headers that look like dates but are not (Week 45, Q4, 31/02/2026, 2026-13-45)", code=0)
def header_near_dates(path: Path) -> None:
    grid = kpis()
    for i, r in enumerate(grid):
        r.extend(["Week 45", "Q4", "31/02/2026", "2026-13-45", "Nov"] if i == 0 else [1] * 5)
    save(path, {"KPIs": grid, "OKRs": okrs()})


@defect(
    "dates far away: headers in 1900 and 9999, due and mute dates at the edges",
    code=1,
    expect=[
        "Mute until K2 9999-12-31: date out of range",
        "Due H2 9999-12-31: date out of range",
        "Due H3 1900-03-01: before the cycle starts (2026-10-01)",
    ],
)
def dates_at_the_edges(path: Path) -> None:
    head = [*KPI_HEAD, "Mute until", dt.datetime(1900, 1, 1), dt.datetime(9999, 12, 31)]
    rows = [
        [*r, dt.datetime(9999, 12, 31) if i == 0 else dt.datetime(1900, 1, 2), 1, 2]
        for i, r in enumerate(KPI_ROWS)
    ]
    grid = okrs(head=[*OKR_HEAD, "Due"])
    grid[1].append(dt.datetime(9999, 12, 31))
    grid[2].append(dt.datetime(1900, 3, 1))
    save(path, {"KPIs": [head, *rows], "OKRs": grid})


@defect(
    "Mute until and Due typed as text in many forms, some unreadable",
    code=1,
    expect=["K3 'next week'", "H3 'end of Q4'"],
)
def mute_and_due_as_text(path: Path) -> None:
    head = [*KPI_HEAD, "Mute until"]
    mutes = ["2026-12-01", "next week", "1 Dec 2026"]
    grid = okrs(head=[*OKR_HEAD, "Due"])
    for r, due in zip(grid[1:], ["31.12.2026", "end of Q4", "12/15/2026"], strict=True):
        r.append(due)
    save(
        path,
        {"KPIs": [head, *([*r, m] for r, m in zip(KPI_ROWS, mutes, strict=True))], "OKRs": grid},
    )


@defect(
    "a KPI log whose dates are text in many forms, one unreadable",
    code=1,
    expect=["'KPI log'!A6 'yesterday': not a date"],
)
def kpi_log_dates_as_text(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(),
            "OKRs": okrs(),
            "KPI log": [
                ["Date", "KPI", "Value"],
                ["2026-11-17", "Uptime", 0.9991],
                ["11/18/2026", "Uptime", 0.9992],
                ["19 Nov 2026", "Uptime", 0.9993],
                ["2026-11-18T10:30", "Response time", 230],
                ["yesterday", "Response time", 220],
            ],
        },
    )


@defect(
    "a number beyond 9999-12-31 in a date-formatted user cell (Excel shows ####): kept as it is",
    code=0,
)
def huge_serial_in_a_date_cell(path: Path) -> None:
    def date_cell(book: Workbook) -> None:
        ws = book["KPIs"]
        ws["K1"] = "Reviewed"
        ws["K2"] = 3.0e9
        ws["K2"].number_format = "yyyy-mm-dd"

    save(path, edit=date_cell)


@defect(
    "a time of day and a duration where numbers belong",
    code=1,
    expect=[
        "J2 (2026-11-16) 00:30:00: not a number",
        "Warning E3 1 day, 6:00:00: not a number",
        "Current F2 2026-11-01T12:00:00: a date, not a number",
    ],
)
def times_and_durations(path: Path) -> None:
    def times(book: Workbook) -> None:
        ws = book["KPIs"]
        ws["J2"] = dt.time(0, 30)
        ws["E3"] = dt.timedelta(hours=30)
        book["OKRs"]["F2"] = dt.datetime(2026, 11, 1, 12, 0)

    save(path, edit=times)


# -- numbers ----------------------------------------------------------------------------------


@defect(
    "huge numbers: 1e308, -1e308, 10**30, 1e999 as text",
    code=1,
    expect=["H4 (2026-11-02) '1e999': not a finite number"],
)
def huge_numbers(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(
                kpi("Revenue", 1e308, -1e308, 1e308, warning=1e307, critical=1e306),
                kpi("Atoms", 10**30, 10**30, 2 * 10**30, warning=10**29, critical=10**28),
                kpi("Overflow", "1e999", 1, 2),
                kpi("Swing", 1e-308, 1e308, -1e308, max_change=20),
            ),
            "OKRs": okrs(
                ["Scale", "To the moon", "", 0, 1e308, 1e308, "committed"],
                [None, "Down from huge", "", 1e308, 0, -1e308, None],
            ),
        },
    )


@defect(
    "infinities stored as numbers (1E+999, as some exporters write an overflow): rows in ERROR",
    code=1,
    expect=["J2 (2026-11-16) inf: not a finite number", "Warning E3 -inf: not a finite number"],
)
def stored_infinities(path: Path) -> None:
    save(
        path,
        {"KPIs": kpis(kpi("Stored inf", 1, 2, 3), kpi("Stored -inf", 1, 2, 3)), "OKRs": okrs()},
    )
    patch(
        path,
        sheet_xml(1),
        {
            '<c r="J2" t="n"><v>3</v>': '<c r="J2" t="n"><v>1E+999</v>',
            '<c r="E3" t="n"><v>480</v>': '<c r="E3" t="n"><v>-1E+999</v>',
        },
    )


@defect(
    "a number cell holding nan, which no spreadsheet program writes",
    code=2,
    expect=["tab 'KPIs' cannot be read: cell J3 holds 'nan', which is not a number"],
)
def stored_nan(path: Path) -> None:
    save(path)
    patch(path, sheet_xml(1), {'<c r="J3" t="n"><v>0.9997</v>': '<c r="J3" t="n"><v>nan</v>'})


@defect(
    "NaN and infinities typed as text",
    code=1,
    expect=["'NaN': not a", "'inf': not a", "'-Infinity': not a", "'∞': not a"],
)
def nan_and_infinities_as_text(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(
                kpi("Typed NaN", 1, 2, "NaN"),
                kpi("Typed inf", 1, 2, "inf"),
                kpi("Typed infinity", 1, 2, "-Infinity"),
                kpi("Sign", 1, 2, "∞"),
            ),
            "OKRs": okrs(),
        },
    )


@defect("tiny numbers and a negative zero", code=0)
def tiny_numbers(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(
                kpi("Tiny", 5e-324, 1e-300, 2e-300, warning=1e-310, critical=0.0),
                kpi("Zero", -0.0, 0.0, -0.0, warning=-0.0, critical=-1, max_change=10),
            ),
            "OKRs": okrs(["Nothing", "From zero to zero", "", -0.0, 0.0, 0.0, None]),
        },
    )


@defect(
    "numbers typed as text the way people type them, some unreadable",
    code=1,
    expect=[
        "J14 (2026-11-16) '12%%': not a number",
        "J15 (2026-11-16) '1.2.3'",
        "J16 (2026-11-16) 'five'",
    ],
)
def numbers_as_text(path: Path) -> None:
    forms = [
        "1 200",
        "1,200.50",
        "$1,200",
        "(300)",
        "12%",
        "1.2k",
        "3M",
        "−5",
        "１２３",
        "١٢٣",
        "\u00a01\u00a0200",
        "+7",
        "12%%",
        "1.2.3",
        "five",
        "--5",
    ]
    save(
        path,
        {
            "KPIs": kpis(
                *(
                    kpi(f"Typed {i}", None, None, text, warning=0, critical=-1e9)
                    for i, text in enumerate(forms)
                )
            ),
            "OKRs": okrs(),
        },
    )


@defect(
    "checkboxes and TRUE/FALSE in number columns",
    code=1,
    expect=["Warning E2 True: a checkbox, not a number"],
)
def booleans_in_number_columns(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(
                kpi("Checked", 1, 2, True, warning=True, critical=False),
                kpi("Unchecked", 1, 2, False),
            ),
            "OKRs": okrs(
                ["Ship", "Launch page", "", False, True, True, None],
                [None, "Demo", "", 0, 1, False, None],
            ),
        },
    )


@defect(
    "Direction, Cadence and Max change % holding nonsense",
    code=1,
    expect=[
        "Direction D2 'sideways': expected higher or lower",
        "Cadence G4 'fortnightly-ish': expected daily, weekly, monthly or a number",
        "Max change % K2 'lots': not a number",
        "Cadence G7 '1e9'",
    ],
)
def rule_columns_garbage(path: Path) -> None:
    head = [*KPI_HEAD, "Max change %"]
    rows = [
        kpi("Sideways", direction="sideways"),
        kpi("Arrow up", direction="↑"),
        kpi("Often", cadence="fortnightly-ish"),
        kpi("Never", cadence="0"),
        kpi("Negative", cadence="-7"),
        kpi("Forever", cadence="1e9"),
        kpi("Ages", cadence=365_000_000),
        kpi("Fractional", cadence="3.5 days"),
    ]
    changes = ["lots", -20, "inf", 1e308, "20%%", 0, 20, "", ""]
    save(
        path,
        {"KPIs": [head, *([*r, c] for r, c in zip(rows, changes, strict=False))], "OKRs": okrs()},
    )


@defect(
    "thresholds that contradict the Direction, and no way to infer one",
    code=1,
    expect=[
        "Direction D2 says higher is better, but Critical F2 (480) is above Warning E2",
        "set Direction D3 to higher or lower",
    ],
)
def thresholds_contradict_direction(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(
                kpi("Backwards", direction="higher", warning=450, critical=480),
                kpi("One threshold", direction="", warning=5, critical=None),
            ),
            "OKRs": okrs(),
        },
    )


@defect(
    "the sync's column names over junk a person typed: the team's columns, never written",
    code=2,
    expect=[
        "tab 'KPIs' column K 'Status' is the team's, not the sync's: it holds 'BANANA' (row 2)",
        '[columns.kpis] status = "Sync status"',
    ],
)
def owned_columns_with_junk(path: Path) -> None:
    head = [*KPI_HEAD, "Status", "Note", "Since", "Last alert", "Checked"]
    junk = [
        ["BANANA", 42, "yesterday", "sent!!", True],
        ["CRITICAL", None, dt.datetime(2026, 1, 1), "WARNING 9999-12-31 23:59", "x"],
        ["", "=1+1", "2026-13-45", "OK 0001-01-01 00:00", -1],
    ]
    save(
        path,
        {
            "KPIs": [head, *([*r, *j] for r, j in zip(KPI_ROWS, junk, strict=True))],
            "OKRs": okrs(
                *([*r, "lots", "MAYBE", "OFF TRACK 1800-01-01"] for r in OKR_ROWS),
                head=[*OKR_HEAD, "Progress", "Status", "Last alert"],
            ),
        },
    )


@defect("a Last alert from the far past and the far future", code=0)
def last_alert_out_of_range(path: Path) -> None:
    head = [*KPI_HEAD, "Status", "Since", "Last alert"]
    rows = [
        [
            *KPI_ROWS[0][:9],
            300,
            "CRITICAL",
            "0001-01-01 00:00+00:00",
            "CRITICAL 0001-01-01 00:00+00:00",
        ],
        [*KPI_ROWS[1], "OK", "9999-12-31 23:59+00:00", "OK 9999-12-31 23:59+00:00"],
    ]
    save(path, {"KPIs": [head, *rows], "OKRs": okrs()})


# -- text -------------------------------------------------------------------------------------


@defect("10,000-character names, owners, units and key results", code=0)
def ten_thousand_character_cells(path: Path) -> None:
    long = ("Signups from the partner programme " * 300)[:10_000]
    save(
        path,
        {
            "KPIs": kpis(
                kpi(long),
                kpi("Long owner", owner="x" * 10_000),
                kpi("Long unit", unit="u" * 10_000),
            ),
            "OKRs": okrs([long, long[::-1], "", 0, 10, 5, None]),
        },
    )


@defect(
    "an unreadable cell at Excel's limit of 32,767 characters",
    code=1,
    expect=["Warning E2 '9 apples 9 apples"],
)
def cell_at_the_excel_limit(path: Path) -> None:
    save(path, {"KPIs": kpis(kpi("Limit", warning="9 apples " * 3640 + "x" * 7)), "OKRs": okrs()})


@defect("emoji, right-to-left text, combining marks and direction overrides", code=0)
def emoji_and_right_to_left(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(
                kpi("🚀 Signups 👩‍👩‍👧"),
                kpi("معدل التحويل", unit="٪"),
                kpi("שיעור נטישה", owner="ops@example.com"),
                kpi("Cafe\u0301 visits \u202etxet desrever"),
                kpi("Zero\u200bwidth"),
            ),
            "OKRs": okrs(
                ["النمو 📈", "زيادة العملاء", "", 0, 10, 6, None],
                [None, "ליד 🎯", "", 0, 1, "✓", None],
            ),
        },
    )


@defect("newlines and tabs inside names and notes", code=0)
def line_breaks_in_cells(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(
                kpi("Signups\nweekly\tall regions"),
                kpi("Owner with newline", owner="sam@example.com\nops@example.com"),
            ),
            "OKRs": okrs(["Grow\npipeline", "Leads\r\nfrom 400", "", 0, 10, 6, None]),
        },
    )


@defect(
    "control characters pasted into cells, stored escaped by Excel (_x0007_)",
    code=1,
    expect=["Warning E2 '12\\x0b3': not a number"],  # read as Excel shows it: _x000B_ is U+000B
)
def control_characters(path: Path) -> None:
    save(path, {"KPIs": kpis(kpi("Bell", warning="x"), kpi("Tab")), "OKRs": okrs()})
    shared_strings(path, 1, {"A2": "Bell_x0007_name", "E2": "12_x000B_3", "A3": "Form_x000C_feed"})


@defect("owners that are not e-mail addresses", code=0)
def owners_malformed(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(
                *(
                    kpi(f"Owned {i}", None, None, 300, owner=o)
                    for i, o in enumerate(
                        [
                            "sam at example.com",
                            "a@example.com;b@example.com",
                            ", ,",
                            "Sam <sam@example.com>",
                            "@",
                            "x" * 300 + "@example.com",
                            "ops@example.com, ops@example.com",
                        ]
                    )
                )
            ),
            "OKRs": okrs(),
        },
    )


# -- OKRs -------------------------------------------------------------------------------------


@defect(
    "key-result weights, figures and kinds holding nonsense",
    code=1,
    expect=[
        "Weight H5 'heavy': not a number",
        "Target E8 'lots': not a number",
        "Kind G9 'comitted': expected committed or aspirational",
    ],
)
def okr_figures_garbage(path: Path) -> None:
    grid = okrs(
        *[
            [o, k, "", s, t, c, kind, w]
            for o, k, s, t, c, kind, w in [
                ("Zero weights", "A", 0, 10, 5, None, 0),
                (None, "B", 0, 10, 5, None, 0),
                ("Odd weights", "C", 0, 10, 5, None, -1),
                (None, "D", 0, 10, 5, None, "heavy"),
                (None, "E", 0, 10, 5, None, float("1e308")),
                ("Odd figures", "Same start and target", 5, 5, 5, None, 1),
                (None, "Target is a word", 0, "lots", 5, None, 1),
                (None, "Misspelt kind", 0, 10, 5, "comitted", 1),
            ]
        ],
        head=[*OKR_HEAD, "Weight"],
    )
    save(path, {"KPIs": kpis(), "OKRs": grid})


@defect(
    "key results linked to a missing KPI, a duplicated KPI and a KPI in ERROR",
    code=1,
    expect=["KPI H2 'Nope': no such KPI on the KPIs tab"],
)
def okr_kpi_links_broken(path: Path) -> None:
    grid = okrs(
        ["Linked", "Missing", "", 0, 10, None, None, "Nope"],
        [None, "Duplicated", "", 0, 10, None, None, "Twice"],
        [None, "Broken", "", 0, 10, None, None, "Broken"],
        head=[*OKR_HEAD, "KPI"],
    )
    save(
        path,
        {"KPIs": kpis(kpi("Twice"), kpi("twice"), kpi("Broken", warning="oops")), "OKRs": grid},
    )


@defect(
    "no objective on the first key result, a key result twice, one without text",
    code=1,
    expect=[
        "Key result B2 'Orphan': no objective above it",
        "Key result B4 'same ': also on row 3 of its objective",
        "Key result B5: empty, but the row has figures",
    ],
)
def okr_rows_incomplete(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(),
            "OKRs": okrs(
                [None, "Orphan", "", 0, 10, 5, None],
                ["Dup", "Same", "", 0, 10, 5, None],
                [None, "same ", "", 0, 10, 6, None],
                [None, None, "", 0, 10, 5, None],
            ),
        },
    )


@defect(
    "milestones in every spelling, and one that is neither done nor not",
    code=1,
    expect=["Current F6 'maybe': not a yes/no value"],
)
def milestones_mixed(path: Path) -> None:
    save(
        path,
        {
            "KPIs": kpis(),
            "OKRs": okrs(
                *[
                    [None if i else "Ship", f"M{i}", "", s, t, c, None]
                    for i, (s, t, c) in enumerate(
                        [
                            ("No", "Yes", "Done"),
                            ("", "Done", "✓"),
                            (False, True, "yes"),
                            ("Not done", "Done", "✗"),
                            ("No", "Yes", "maybe"),
                        ]
                    )
                ]
            ),
        },
    )


# -- not a workbook at all --------------------------------------------------------------------


@defect("a text file named .xlsx", code=2, expect=["not a readable .xlsx workbook"])
def not_a_zip(path: Path) -> None:
    path.write_text("KPI,Owner\nUptime,ops@example.com\n", encoding="utf-8")


@defect(
    "an .xlsx cut off half way (a failed copy)", code=2, expect=["not a readable .xlsx workbook"]
)
def truncated_file(path: Path) -> None:
    save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@defect("an empty file", code=2, expect=["not a readable .xlsx workbook"])
def empty_file(path: Path) -> None:
    path.write_bytes(b"")


@defect("an old binary .xls file renamed .xlsx", code=2, expect=["not a readable .xlsx workbook"])
def old_xls_renamed(path: Path) -> None:
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)


@defect("a zip without a workbook inside", code=2, expect=["not a readable .xlsx workbook"])
def zip_without_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a spreadsheet")


@defect("a sheet whose recorded size is smaller than its data (some exporters do this)", code=0)
def wrong_recorded_dimension(path: Path) -> None:
    save(path)
    text = zipfile.ZipFile(path).read(sheet_xml(1)).decode()
    old = next(t for t in ('<dimension ref="A1:J4"/>', '<dimension ref="A1:J4" />') if t in text)
    patch(path, sheet_xml(1), {old: '<dimension ref="A1:B2" />'})


# -- size -------------------------------------------------------------------------------------

BIG_ROWS = 50_000


@defect(f"a KPIs tab with {BIG_ROWS:,} rows", code=0, big=True)
def fifty_thousand_kpis(path: Path) -> None:
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("KPIs")
    ws.append(["KPI", "Warning", "Critical", "Current"])
    for i in range(BIG_ROWS):
        ws.append([f"KPI {i:05d}", 90, 80, 95])
    ok = book.create_sheet("OKRs")
    for r in okrs():
        ok.append(r)
    book.save(path)


# -- public templates, as published ------------------------------------------------------------
# Each is a public KPI or OKR template recreated as its source shows it (README.md cites each):
# title rows, merged cells, formula columns with their cached results, the team's own Status
# column. Each runs with a config only; ``expect`` holds the statuses (and key-result progress)
# computed by hand from the figures, by tab and sheet row.


@dataclass(frozen=True)
class Template:
    name: str
    source: str  # where it is published
    build: Builder
    config: str  # the layout keys: [tabs], [columns.*], [people], [okr]
    as_of: str
    code: int  # the run's exit code: 1 where rows are in ERROR (totals, text figures)
    # tab -> row -> status, (status, key-result progress) or (status, text its note begins with)
    expect: Mapping[str, Mapping[int, Any]]


TEMPLATES: dict[str, Template] = {}


def template(
    source: str, *, config: str, as_of: str, expect: Mapping[str, Mapping[int, Any]], code: int = 0
) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        name = build.__name__
        TEMPLATES[name] = Template(name, source, build, config, as_of, code, expect)
        return build

    return register


def sheet(
    book: Workbook,
    title: str,
    rows: Grid,
    *,
    merged: Sequence[str] = (),
    formats: Mapping[str, str] | None = None,
) -> None:
    """A tab from rows (None: an empty cell), its merged ranges and number formats by column."""
    ws = book.create_sheet(title)
    for row in rows:
        ws.append(row)
    for cells in merged:
        ws.merge_cells(cells)
    for letter, fmt in (formats or {}).items():
        for cell in ws[letter]:
            if isinstance(cell.value, int | float):
                cell.number_format = fmt


def book_of(path: Path, build: Callable[[Workbook], None]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    build(book)
    book.save(path)


@template(
    "https://modelmonkey-website.pages.dev/blog/okr-sheet-google-sheets",
    config="""[tabs]
kpis = ""
checkins = "Check-ins"
[columns.okrs]
start = "Start Value"
target = "Target Value"
current = "Current Value"
[columns.checkins]
current = "Current Value"
note = "Notes"
[people]
Sarah = "sarah@example.com"
Tom = "tom@example.com"
[okr]
start = 2026-04-01
end = 2026-06-30
""",
    as_of="2026-05-20T09:00:00+00:00",
    expect={"OKRs": {2: ("ON TRACK", 0.4), 3: ("ON TRACK", 0.4), 4: ("ON TRACK", 0.5)}},
)
def modelmonkey_okr_sheet_with_check_ins(path: Path) -> None:
    """The objective on every row, first names as owners, a Score formula, a check-ins tab;
    one key result's Current left empty: its newest check-in up to as-of counts."""
    head = ["Objective", "Key Result", "Owner", "Start Value", "Target Value", "Current Value"]
    okrs_ = [
        [*head, "Score", "Quarter"],
        ["Grow enterprise revenue", "Close 10 new accounts >$10K ARR", "Sarah", 0, 10, 4],
        ["Grow enterprise revenue", "Reach $500K in new ARR", "Sarah", 0, 500_000, None],
        ["Improve retention", "Cut monthly churn from 5% to 3%", "Tom", 0.05, 0.03, 0.04],
    ]
    for r in range(2, 5):
        okrs_[r - 1] += [f"=MIN(F{r}/E{r},1)", "Q2 2026"]
    checkins = [
        ["Date", "Key Result", "Owner", "Current Value", "Confidence", "Notes"],
        [dt.datetime(2026, 5, 4), "Reach $500K in new ARR", "Sarah", 120_000, "High", ""],
        [dt.datetime(2026, 5, 18), "Reach $500K in new ARR", "Sarah", 200_000, "Medium", "slip"],
        [dt.datetime(2026, 5, 25), "Reach $500K in new ARR", "Sarah", 260_000, "High", "later"],
        [dt.datetime(2026, 5, 18), "Close 10 new accounts >$10K ARR", "Sarah", 4, "High", ""],
    ]

    def build(book: Workbook) -> None:
        sheet(book, "OKRs", okrs_, formats={"D": "0%", "E": "0%", "F": "0%"})
        sheet(book, "Check-ins", checkins)

    book_of(path, build)
    cached(path, 1, {"G2": 0.4, "G3": 0, "G4": 1})


FINANCE_ROWS: Grid = [
    ["Revenue Growth", 2_500_000, 2_475_600],
    ["Operating Margin", 0.35, 0.338],
    ["Net Profit Margin", 0.28, 0.267],
    ["Customer Acquisition Cost (CAC)", 85, 92],
    ["Customer Lifetime Value (CLV)", 650, 678],
    ["Accounts Receivable Turnover", 8.5, 7.9],
]


@template(
    "https://www.offidocs.com/smart-excel-templates/kpi-monitoring/financial-dashboard/"
    "report-version/",
    config="""[tabs]
kpis = "Executive Summary"
okrs = ""
kpi_log = ""
[columns.kpis]
kpi = "KPI Category"
current = "Actual"
status = "Sync status"
""",
    as_of="2024-02-05T09:00:00+00:00",
    code=1,
    expect={
        "Executive Summary": {
            **dict.fromkeys(range(5, 11), "NO THRESHOLD"),
            11: "ERROR",  # "Overall Performance": a summary line, its figures are words
        }
    },
)
def offidocs_financial_dashboard_report(path: Path) -> None:
    """Title and period lines, a two-row header (KPI Category merged down over rows 3-4, group
    cells merged across), a Variance formula, the team's own Status, a summary row."""
    trends = ["↑ 4.2%", "↓ 1.5%", "↓ 1.8%", "↑ 14.5%", "↑ 5.6%", "↓ 4.8%"]
    statuses = ["On Track", "On Track", "On Track", "Below Target", "Above Target", "On Track"]
    rows: Grid = [
        ["KPI Monitoring - Financial Dashboard Report Version"],
        ["Monthly Performance Tracking | Period: January 2024"],
        ["KPI Category", "Target vs Actual (in USD)", None, "Performance Metrics"],
        [None, "Target", "Actual", "Variance (%)", "Status", "Trend (MoM)", "Last Updated"],
    ]
    for i, (row, trend, status) in enumerate(zip(FINANCE_ROWS, trends, statuses, strict=True)):
        r = i + 5
        rows.append([*row, f"=(C{r}-B{r})/B{r}", status, trend, dt.datetime(2024, 1, 31)])
    rows.append(["Overall Performance", "75% of KPIs on Target", None, None, None, None])
    rows[-1][3] = "3 Critical Items Requiring Attention"
    merged = ["A1:G1", "A2:G2", "A3:A4", "B3:C3", "D3:G3", "B11:C11", "D11:G11"]
    book_of(path, lambda b: sheet(b, "Executive Summary", rows, merged=merged))
    variance = {f"D{i + 5}": round((r[2] - r[1]) / r[1], 4) for i, r in enumerate(FINANCE_ROWS)}
    cached(path, 1, variance)


@template(
    "https://www.offidocs.com/smart-excel-templates/kpi-monitoring/financial-dashboard/"
    "tracking-view/",
    config="""[tabs]
kpis = "Data Input"
okrs = ""
kpi_log = ""
[columns.kpis]
kpi = "Key Performance Indicator (KPI)"
target = "Target Value"
current = "Actual Value"
status = "Sync status"
""",
    as_of="2024-09-20T09:00:00+00:00",
    expect={"Data Input": dict.fromkeys(range(4, 13), "NO THRESHOLD")},
)
def offidocs_financial_tracking_view(path: Path) -> None:
    """Two title lines (one naming the quarter), then the header; Status in the team's words."""
    data: Grid = [
        ["Revenue Growth (MoM)", 0.05, 0.062, "On Track"],
        ["Net Profit Margin", 0.185, 0.173, "Behind"],
        ["Operating Cash Flow", 3_500_000, 3_800_000, "On Track"],
        ["Customer Acquisition Cost (CAC)", 85, 82, "On Track"],
        ["Employee Retention Rate", 0.92, 0.915, "Slight Risk"],
        ["Accounts Receivable Turnover", 8.5, 8.7, "On Track"],
        ["Cost of Goods Sold (COGS) %", 0.6, 0.613, "Behind"],
        ["Monthly Recurring Revenue (MRR)", 4_200_000, 4_100_000, "Slight Risk"],
        ["Return on Investment (ROI)", 0.15, 0.147, "Behind"],
    ]
    head = ["Key Performance Indicator (KPI)", "Target Value", "Actual Value", "Variance"]
    rows: Grid = [
        ["KPI Monitoring Dashboard"],
        ["Financial Performance Tracking View - Q3 2024"],
        [*head, "Status", "Last Updated"],
    ]
    for i, (name, target, actual, status) in enumerate(data):
        r = i + 4
        rows.append([name, target, actual, f"=C{r}-B{r}", status, "2024-09-15"])
    book_of(path, lambda b: sheet(b, "Data Input", rows, merged=["A1:F1", "A2:F2"]))
    cached(path, 1, {f"D{i + 4}": round(d[2] - d[1], 6) for i, d in enumerate(data)})


@template(
    "https://www.offidocs.com/smart-excel-templates/kpi-monitoring/business-template/monthly/",
    config="""[tabs]
kpis = "KPI Tracking"
okrs = ""
kpi_log = ""
[columns.kpis]
kpi = "Key Performance Indicator (KPI)"
target = "Target Value"
current = "Actual Value"
status = "Sync status"
""",
    as_of="2024-01-31T09:00:00+00:00",
    code=1,
    expect={
        "KPI Tracking": {
            3: "NO DATA",  # Actual Value still empty ("Pending")
            4: "ERROR",  # Target Value "50 new customers": words, not a figure
            5: "NO DATA",
            6: "NO DATA",
            7: "ERROR",  # "8.5/10"
            8: "NO DATA",  # the Total line
            10: "NO DATA",  # the "Prepared by" line
        }
    },
)
def offidocs_monthly_kpi_report(path: Path) -> None:
    """A title, the header on row 2, actuals not yet filled in ("Pending" in the team's
    Status), targets written as words, a Total line and a sign-off line below."""
    head = ["Key Performance Indicator (KPI)", "Target Value", "Actual Value", "Variance"]
    data: Grid = [
        ["Sales Revenue (Monthly)", 250_000, "Finance & Sales"],
        ["Customer Acquisition Rate", "50 new customers", "Marketing Team"],
        ["Customer Satisfaction Score (CSAT)", 0.9, "Customer Service"],
        ["On-Time Delivery Rate", 0.98, "Logistics Team"],
        ["Employee Productivity Index", "8.5/10", "HR Department"],
    ]
    rows: Grid = [
        ["Monthly KPI Monitoring Report"],
        [*head, "% Achievement", "Status", "Responsible Team/Person"],
    ]
    for name, target, team in data:
        rows.append([name, target, None, None, None, "Pending", team])
    rows.append(["Total", None, None, None, 0, "N/A"])
    rows.append([])
    rows.append(["Prepared by: ____________ Date: ________ Reviewed by: ____________"])
    book_of(path, lambda b: sheet(b, "KPI Tracking", rows, merged=["A1:G1", "A10:G10"]))


@template(
    "https://www.offidocs.com/smart-excel-templates/kpi-monitoring/monthly-planner/annual/",
    config="""[tabs]
kpis = "Monthly Data Input"
okrs = ""
kpi_log = ""
""",
    as_of="2024-11-20T09:00:00+00:00",
    expect={
        "Monthly Data Input": {
            4: ("NO THRESHOLD", "24,100; +0.8 % since 2024-09-30"),  # Oct after Sep, 2024
            5: ("NO THRESHOLD", "397; -1.2 % since 2024-09-30"),
            7: "NO DATA",  # the template's own note line
        }
    },
)
def offidocs_monthly_planner_with_a_year_line(path: Path) -> None:
    """Jan..Dec headers under a "(Year: 2024)" line; October the latest month filled in."""
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    sales = [19_800, 20_500, 21_900, 22_400, 21_700, 23_100, 23_800, 24_600, 23_900, 24_100]
    leads = [310, 295, 330, 340, 362, 351, 370, 388, 402, 397]
    rows: Grid = [
        ["Target: 25,000"],
        ["KPI Monthly Targets & Performance (Year: 2024)"],
        ["KPI", *months, "Target"],
        ["Sales Revenue (USD)", *sales, None, None, 25_000],
        ["Qualified Leads", *leads, None, None, 400],
        [],
        ["Note: This template is designed for annual KPI monitoring with monthly tracking."],
    ]
    book_of(path, lambda b: sheet(b, "Monthly Data Input", rows, merged=["A2:N2", "A7:N7"]))


@template(
    "https://www.offidocs.com/smart-excel-templates/kpi-monitoring/home-template/annual/",
    config="""[tabs]
kpis = "Monthly Performance"
okrs = ""
kpi_log = ""
[columns.kpis]
kpi = "KPI Name"
target = "Target Value"
""",
    as_of="2024-12-10T09:00:00+00:00",
    expect={
        "Monthly Performance": {
            3: ("NO THRESHOLD", "172,340; +2.9 % since 2024-10-31"),  # Nov after Oct
            4: ("NO THRESHOLD", "0.98; +2.1 % since 2024-10-31"),
            5: ("NO THRESHOLD", "59,450; -4.1 % since 2024-10-31"),
        }
    },
)
def offidocs_annual_home_template(path: Path) -> None:
    """A two-row header: KPI ID, KPI Name and Target Value merged down over both rows, the
    months under a group cell merged across; November the latest month, no year written."""
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    revenue = [112_340, 105_678, 123_456, 134_567, 140_230, 128_900, 137_567, 145_320]
    revenue += [150_890, 167_456, 172_340]
    csat = [0.91, 0.90, 0.93, 0.94, 0.95, 0.96, 0.93, 0.94, 0.97, 0.96, 0.98]
    leads = [48_912, 50_230, 51_678, 54_321, 58_900, 62_430, 57_891, 58_765, 60_234, 61_987]
    leads += [59_450]
    rows: Grid = [
        ["KPI ID", "KPI Name", "Target Value", "Monthly Performance (Jan - Dec)"],
        [None, None, None, *months],
        ["KPI-001", "Monthly Revenue (USD)", 150_000, *revenue],
        ["KPI-002", "Customer Satisfaction", 0.95, *csat],
        ["KPI-003", "Website Leads", 55_000, *leads],
        ["Total Annual Performance", None, None, 1_783_230],
    ]
    merged = ["A1:A2", "B1:B2", "C1:C2", "D1:O1", "A6:C6"]
    book_of(path, lambda b: sheet(b, "Monthly Performance", rows, merged=merged))


@template(
    "https://www.offidocs.com/smart-excel-templates/kpi-monitoring/business-template/weekly/",
    config="""[tabs]
kpis = "KPI List & Targets"
okrs = ""
kpi_log = "Weekly Data Entry"
[columns.kpis]
kpi = "KPI Name"
target = "Weekly Target"
[columns.kpi_log]
date = "Week Ending"
kpi = "KPI Name"
value = "Actual Value"
""",
    as_of="2024-04-10T09:00:00+00:00",
    expect={
        "KPI List & Targets": {
            2: ("NO THRESHOLD", "145,320; no Warning"),  # from the log, week ending Apr 7
            **dict.fromkeys(range(3, 7), "NO THRESHOLD"),
        }
    },
)
def offidocs_weekly_kpi_log(path: Path) -> None:
    """A long weekly log under a title (its own Status in colours), and the master list of
    KPIs and targets it describes; the log's columns renamed for that tab alone."""
    kpis_ = [
        ("Sales Performance", "Revenue Generated ($)", 150_000, 145_320),
        ("Customer Service", "Response Time (hrs)", 6, 8.5),
        ("Marketing Effectiveness", "Lead Conversion Rate (%)", 0.055, 0.061),
        ("Operations", "On-Time Delivery Rate (%)", 0.98, 0.957),
        ("Employee Engagement", "Team Satisfaction Score (1–10)", 8.5, 8.9),
    ]
    colours = ["Yellow", "Red", "Green", "Red", "Green"]
    log: Grid = [
        ["Weekly KPI Monitoring Template"],
        [
            "Week Ending",
            "KPI Category",
            "KPI Name",
            "Target Value",
            "Actual Value",
            "Variance",
            "Status (Green/Yellow/Red)",
        ],
    ]
    for i, ((category, name, target, actual), colour) in enumerate(
        zip(kpis_, colours, strict=True)
    ):
        log.append(
            [dt.datetime(2024, 4, 7), category, name, target, actual, f"=E{i + 3}-D{i + 3}", colour]
        )
    master: Grid = [["KPI Name", "Weekly Target", "Annual Target", "Responsible Department"]]
    master += [[name, target, None, category] for category, name, target, _ in kpis_]

    def build(book: Workbook) -> None:
        sheet(book, "KPI List & Targets", master)
        sheet(book, "Weekly Data Entry", log, merged=["A1:G1"])

    book_of(path, build)
    cached(path, 2, {f"F{i + 3}": round(k[3] - k[2], 6) for i, k in enumerate(kpis_)})


@template(
    "https://balances.cloud/how-to-build-a-weekly-kpi-scorecard-for-operations-and-finance",
    config="""[tabs]
kpis = "Scorecard"
okrs = ""
kpi_log = ""
[columns.kpis]
kpi = "Metric name"
current = "This week"
status = "Sync status"
[people]
Priya = "priya@example.com"
Marco = ["marco@example.com", "ops@example.com"]
""",
    as_of="2026-11-20T09:00:00+00:00",
    expect={"Scorecard": dict.fromkeys(range(2, 6), "NO THRESHOLD")},
)
def balances_weekly_scorecard(path: Path) -> None:
    """The one table the guide recommends: owners by first name, This week / Last week, the
    team's Status words (on track, watch, off track) and a notes column."""
    head = ["Metric name", "Owner", "Definition", "Target", "This week", "Last week", "Trend"]
    rows: Grid = [
        [*head, "Status", "Notes or next action"],
        [
            "Cash collected",
            "Priya",
            "Receipts this week",
            120_000,
            98_500,
            131_200,
            "↓",
            "watch",
            "chase two invoices",
        ],
        ["Overdue invoices", "Priya", "Count > 30 days", 5, 9, 7, "↑", "off track", ""],
        [
            "On-time delivery",
            "Marco",
            "Orders shipped by promise date",
            0.95,
            0.962,
            0.948,
            "↑",
            "on track",
            "",
        ],
        [
            "Utilisation",
            "Marco",
            "Billable hours / available",
            0.75,
            0.71,
            0.73,
            "↓",
            "watch",
            "hire?",
        ],
    ]
    book_of(path, lambda b: sheet(b, "Scorecard", rows, formats={"D": "0%"}))


def build_templates(folder: Path) -> list[Path]:
    """Every public template into ``folder`` with its config beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    for t in TEMPLATES.values():
        t.build(folder / f"{t.name}.xlsx")
        workbook = f'[workbook]\nbackend = "xlsx"\npath = "{t.name}.xlsx"\n'
        (folder / f"{t.name}.toml").write_text(template_config(workbook, t.config))
    return [folder / f"{t.name}.xlsx" for t in TEMPLATES.values()]


def template_config(workbook: str, layout: str) -> str:
    """The tests' usual config with a template's layout keys; its own [okr] cycle if it has one."""
    text = config_text(workbook)
    if "[okr]" in layout:
        text = re.sub(r"\[okr\]\nstart = [0-9-]+\nend = [0-9-]+\n", "", text)
    return text + "\n" + layout


# -- the command-line entry -------------------------------------------------------------------


def build_all(folder: Path, *, big: bool = False) -> list[Path]:
    """Every workbook of the corpus into ``folder`` with a config beside it, and an index."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for d in CORPUS.values():
        if d.big and not big:
            continue
        d.build(folder / f"{d.name}.xlsx")
        (folder / f"{d.name}.toml").write_text(config(f"{d.name}.xlsx"))
        lines.append(f"{d.name}.xlsx  exit {d.code}  {d.shows}")
    (folder / "INDEX.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [folder / f"{d.name}.xlsx" for d in CORPUS.values() if big or not d.big]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/data/make_corpus.py OUTPUT_FOLDER")
    made = build_all(Path(sys.argv[1]), big=True)
    made += build_templates(Path(sys.argv[1]) / "templates")
    print(f"{len(made)} workbooks in {sys.argv[1]} (see INDEX.txt; templates/ the public ones)")
