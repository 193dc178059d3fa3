"""The worksheet splicer on the part layouts SpreadsheetML allows (docs/xlsx-format.md):
rows and cells without ``r``, an empty ``sheetData``, a prefixed namespace, new rows between
others, merged ranges; each result parsed and read back cell by cell."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from sync.backends.xlsx.refs import a1, column_of, row_of, xml_text
from sync.backends.xlsx.sheet import Styles, edit
from sync.grid import Cell

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
N = f"{{{MAIN}}}"


def part(data: str, *, prefix: str = "") -> bytes:
    ns = f'xmlns{":" + prefix[:-1] if prefix else ""}="{MAIN}"'
    return (
        f'<?xml version="1.0"?><{prefix}worksheet {ns}><{prefix}dimension ref="A1:B2"/>'
        f'{data}<{prefix}pageMargins left="0.7"/></{prefix}worksheet>'
    ).encode()


def written(data: bytes, values: Mapping[tuple[int, int], Cell]) -> bytes:
    warned: list[str] = []
    return edit(data, values, lambda: Styles(7, 8), warned.append)


def read(data: bytes) -> dict[str, tuple[str | None, str | None]]:
    """A1 -> (type, value or inline text); also checks rows and cells are in order."""
    root = etree.fromstring(data)
    out: dict[str, tuple[str | None, str | None]] = {}
    last_row = 0
    for row in root.iter(f"{N}row"):
        r = int(row.get("r") or last_row + 1)  # no r: the row after the previous one
        assert r > last_row
        last_row, last_col = r, 0
        for c in row.iter(f"{N}c"):
            ref = c.get("r") or a1(r, last_col + 1)
            assert row_of(ref) == r
            assert column_of(ref) > last_col
            last_col = column_of(ref)
            text = c.findtext(f"{N}is/{N}t") if c.get("t") == "inlineStr" else c.findtext(f"{N}v")
            out[ref] = (c.get("t"), text)
    return out


CASES = [
    pytest.param(
        '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>',
        {(1, 3): "x"},
        {"A1": (None, "1"), "C1": ("inlineStr", "x")},
        id="a cell after the last one",
    ),
    pytest.param(
        "<sheetData><row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>"
        "</sheetData>",
        {(2, 2): 4.5},
        {"A1": (None, "1"), "B1": (None, "2"), "A2": (None, "3"), "B2": (None, "4.5")},
        id="rows and cells without r count from the previous",
    ),
    pytest.param(
        "<sheetData/>",
        {(2, 1): True},
        {"A2": ("b", "1")},
        id="an empty self-closed sheetData",
    ),
    pytest.param(
        '<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="5"><c r="A5"><v>5</v></c>'
        "</row></sheetData>",
        {(3, 2): "mid", (7, 1): "end"},
        {
            "A1": (None, "1"),
            "B3": ("inlineStr", "mid"),
            "A5": (None, "5"),
            "A7": ("inlineStr", "end"),
        },
        id="new rows between others and after the last",
    ),
    pytest.param(
        '<sheetData><row r="1"><c r="A1"><f>B1</f><v>2</v></c><c r="C1" s="3"><v>1</v></c>'
        "</row></sheetData>",
        {(1, 1): "=SUM(1)", (1, 3): None, (1, 2): "b"},
        {"A1": ("inlineStr", "=SUM(1)"), "B1": ("inlineStr", "b"), "C1": (None, None)},
        id="a formula replaced by text; a cleared cell keeps its style only",
    ),
]


@pytest.mark.parametrize(("sheet", "values", "expected"), CASES)
def test_cells_land_in_order_where_asked(
    sheet: str, values: dict[tuple[int, int], Cell], expected: dict[str, tuple[str, str]]
) -> None:
    assert read(written(part(sheet), values)) == expected


def test_a_prefixed_part_keeps_its_prefix_and_the_rest_of_its_bytes() -> None:
    data = part(
        '<x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData>',
        prefix="x:",
    )
    out = written(data, {(1, 2): "b"})
    assert b'<x:c r="B1" t="inlineStr"><x:is><x:t>b</x:t></x:is></x:c>' in out
    assert out.endswith(b'<x:pageMargins left="0.7"/></x:worksheet>')
    assert read(out) == {"A1": (None, "1"), "B1": ("inlineStr", "b")}


def test_a_merged_range_over_a_written_cell_is_unmerged_and_the_others_stay() -> None:
    data = part(
        '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
        '<mergeCells count="2"><mergeCell ref="B1:B3"/><mergeCell ref="D1:E1"/></mergeCells>'
    )
    warned: list[str] = []
    out = edit(data, {(2, 2): "x"}, lambda: Styles(0, 0), warned.append)
    merges = [m.get("ref") for m in etree.fromstring(out).iter(f"{N}mergeCell")]
    assert merges == ["D1:E1"]
    assert etree.fromstring(out).find(f"{N}mergeCells").get("count") == "1"  # type: ignore[union-attr]
    assert warned == ["cells B1:B3 were merged; unmerged to write B2"]


def test_the_recorded_dimension_grows_to_cover_what_was_written() -> None:
    out = written(part("<sheetData/>"), {(9, 4): 1})
    assert etree.fromstring(out).find(f"{N}dimension").get("ref") == "A1:D9"  # type: ignore[union-attr]


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.integers(1, 30), st.integers(1, 30)),
        text | st.integers(-(10**9), 10**9),
        max_size=25,
    )
)
def test_any_text_or_number_written_anywhere_reads_back_as_written(
    values: dict[tuple[int, int], str | int],
) -> None:
    sheet = '<sheetData><row r="2"><c r="B2"><v>1</v></c><c r="F2"><v>2</v></c></row></sheetData>'
    got = read(written(part(sheet), values))
    for (r, c), value in values.items():
        kind, stored = got.get(a1(r, c), (None, None))
        if value == "":
            assert (kind, stored) == (None, None)  # cleared: no value
        elif isinstance(value, str):
            assert (kind, stored or "") == ("inlineStr", xml_text(value))
        else:
            assert (kind, stored) == (None, str(value))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("plain text", "plain text"),
        ("bell\x07", "bell_x0007_"),  # XML 1.0 cannot carry it: Excel's escape
        ("tab\tand\nline", "tab\tand\nline"),  # allowed as they are
        ("Plan_x0041_B", "Plan_x005F_x0041_B"),  # else calamine and Excel read "PlanAB"
        ("a_x12_b", "a_x005F_x12_b"),  # else LibreOffice reads "a\x12b"
        ("_x0041", "_x0041"),  # no closing underscore: no escape to protect
        ("snake_case_x", "snake_case_x"),
    ],
)
def test_text_is_stored_so_that_readers_decode_it_to_what_was_typed(
    typed: str, stored: str
) -> None:
    """Readers decode _xHHHH_ (ECMA-376 Part 1, 22.9.2.19): calamine four hex digits,
    LibreOffice 7.4 one to four (checked by hand: CI has no LibreOffice)."""
    assert xml_text(typed) == stored
