"""Edit cells of one worksheet part in place: only the rows that hold them are rewritten.

A streaming scan (expat, which reports each tag's byte offset) finds the rows, the
dimension and the merged ranges; each row to change is parsed alone with lxml, edited and
serialised; every other byte of the part is kept. The OOXML rules relied on are in
docs/xlsx-format.md (rows and cells in ascending order, optional ``r``, inline strings).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from lxml import etree

from sync.backends.xlsx.layout import Layout, scan
from sync.backends.xlsx.package import parse
from sync.backends.xlsx.refs import a1, column_of, serial, split_ref, xml_text
from sync.grid import Cell

Splice = tuple[int, int, bytes]  # replace data[start:end] with the bytes
XML_NS = "http://www.w3.org/XML/1998/namespace"


@dataclass(frozen=True)
class Styles:
    """The cellXfs index a written date or date-time gets (a number needs a format)."""

    date: int
    datetime: int


def edit(
    data: bytes,
    values: Mapping[tuple[int, int], Cell],
    styles: Callable[[], Styles],
    warn: Callable[[str], None],
    replaced: list[str] | None = None,
) -> bytes:
    """The part with each (row, column) set to its value; merged ranges over a cell that is
    not their top-left corner are unmerged first (each row gets its own cell). Cells whose
    formula a value replaced are added to ``replaced``."""
    gone = replaced if replaced is not None else []
    lay = scan(data)
    if lay.data is None:
        raise ValueError("the sheet has no sheetData")
    by_row: dict[int, dict[int, Cell]] = {}
    for (row, col), value in values.items():
        by_row.setdefault(row, {})[col] = value
    splices = [  # in row order: new rows inserted at one place keep it
        s
        for r, cells in sorted(by_row.items())
        for s in _row_splices(data, lay, r, cells, styles, replaced=gone)
    ]
    splices += _unmerge(lay, set(values), warn)
    splices += _dimension(lay, values)
    return _apply(data, splices)


def _row_splices(
    data: bytes,
    lay: Layout,
    row: int,
    cells: Mapping[int, Cell],
    styles: Callable[[], Styles],
    *,
    replaced: list[str],
) -> list[Splice]:
    span = lay.rows.get(row)
    if span is not None:
        wrapped = b"<w " + lay.root_ns + b">" + data[span.start : span.end] + b"</w>"
        wrapper = parse(wrapped)
        _set_cells(wrapper[0], row, cells, styles, replaced)
        return [(span.start, span.end, _inner(wrapper))]
    if all(v is None or v == "" for v in cells.values()):
        return []
    ns = "{" + _main_ns(lay) + "}"
    wrapper = parse(b"<w " + lay.root_ns + b"/>")
    new = etree.SubElement(wrapper, f"{ns}row", r=str(row))
    _set_cells(new, row, cells, styles, replaced)
    fresh = _inner(wrapper)
    later = [s.start for r, s in lay.rows.items() if r > row]
    assert lay.data is not None
    if later:
        at = min(later)
    elif lay.data.end >= 0 and lay.data_inner == lay.data.start:  # <sheetData/>
        tag = f"{lay.prefix}sheetData".encode()
        return [(lay.data.start, lay.data.end, b"<" + tag + b">" + fresh + b"</" + tag + b">")]
    else:
        at = lay.data_inner
    return [(at, at, fresh)]


def _main_ns(lay: Layout) -> str:
    key = f"xmlns:{lay.prefix[:-1]}" if lay.prefix else "xmlns"
    root = parse(b"<w " + lay.root_ns + b"/>")
    return str(root.nsmap.get(key.partition(":")[2] or None, ""))


def _inner(wrapper: etree._Element) -> bytes:
    """The children of our wrapper element, serialised as they stand in the part."""
    text = bytes(etree.tostring(wrapper))
    if text.endswith(b"/>"):
        return b""
    return text[text.index(b">") + 1 : -len(b"</w>")]


def _set_cells(
    row_el: etree._Element,
    row: int,
    values: Mapping[int, Cell],
    styles: Callable[[], Styles],
    replaced: list[str],
) -> None:
    ns = row_el.tag[: row_el.tag.index("}") + 1] if row_el.tag.startswith("{") else ""
    row_el.set("r", str(row))
    row_el.attrib.pop("spans", "")  # an optional hint (which columns hold cells); now stale
    cells = _cells_from(row_el, ns, row, min(values))
    for col, value in sorted(values.items()):
        cell = cells.get(col)
        if cell is None:
            if value is None or value == "":
                continue
            cell = etree.Element(f"{ns}c", r=a1(row, col))
            after = [k for k in cells if k < col]
            if after:
                cells[max(after)].addnext(cell)
            else:
                row_el.insert(_first_cell_index(row_el, ns), cell)
            cells[col] = cell
        if cell.find(f"{ns}f") is not None:
            replaced.append(str(cell.get("r")))
        _put(cell, ns, value, styles)


def _cells_from(row_el: etree._Element, ns: str, row: int, first: int) -> dict[int, etree._Element]:
    """The row's cells at column ``first`` and right of it, by column, and the nearest one
    left of it (a new cell goes after it). Cells are in column order, so the walk goes from
    the right end, where the sync's columns are; a cell without ``r`` needs a count from the
    left, and gets its ``r`` written."""
    children = list(row_el.iterchildren(f"{ns}c"))
    if all(c.get("r") for c in children):
        found: dict[int, etree._Element] = {}
        for c in reversed(children):
            col = column_of(str(c.get("r")))
            found[col] = c
            if col < first:
                break
        return found
    found, col = {}, 0
    for c in children:
        ref = c.get("r")
        col = column_of(ref) if ref else col + 1
        c.set("r", a1(row, col))
        found[col] = c
    return found


def _first_cell_index(row_el: etree._Element, ns: str) -> int:
    for i, child in enumerate(row_el):
        if child.tag in (f"{ns}c", f"{ns}extLst"):
            return i
    return len(row_el)


def _put(cell: etree._Element, ns: str, value: Cell, styles: Callable[[], Styles]) -> None:
    """A value as a value: text is an inline string, never a formula; dates get a format."""
    for child in list(cell):
        cell.remove(child)
    for attr in ("t", "cm", "vm", "ph"):
        cell.attrib.pop(attr, "")
    if value is None or value == "":
        return
    if isinstance(value, str):
        cell.set("t", "inlineStr")
        t = etree.SubElement(etree.SubElement(cell, f"{ns}is"), f"{ns}t")
        t.text = xml_text(value)
        if t.text != t.text.strip():
            t.set(f"{{{XML_NS}}}space", "preserve")
        return
    v = etree.SubElement(cell, f"{ns}v")
    if isinstance(value, bool):
        cell.set("t", "b")
        v.text = "1" if value else "0"
    elif isinstance(value, dt.datetime | dt.date):
        v.text = repr(serial(value))
        kind = styles()
        cell.set("s", str(kind.datetime if isinstance(value, dt.datetime) else kind.date))
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} cannot be stored in a spreadsheet cell")
    else:
        v.text = repr(value) if isinstance(value, float) else str(value)


def _unmerge(
    lay: Layout, written: set[tuple[int, int]], warn: Callable[[str], None]
) -> list[Splice]:
    drop = []
    for ref, span in lay.merges:
        (r1, c1), (r2, c2) = split_ref(ref)
        hit = sorted(
            (r, c) for r, c in written if r1 <= r <= r2 and c1 <= c <= c2 and (r, c) != (r1, c1)
        )
        if hit:
            warn(f"cells {ref} were merged; unmerged to write {a1(*hit[0])}")
            drop.append(span)
    if not drop:
        return []
    block = lay.merge_block
    assert block is not None
    kept = [ref for ref, span in lay.merges if span not in drop]
    if not kept:
        return [(block.start, block.end, b"")]  # <mergeCells> must hold at least one
    tag = f"{lay.prefix}mergeCell"
    inner = "".join(f"<{tag} ref={quoteattr(ref)}/>" for ref in kept)
    new = f'<{tag}s count="{len(kept)}">{inner}</{tag}s>'.encode()
    return [(block.start, block.end, new)]


def _dimension(lay: Layout, values: Mapping[tuple[int, int], Cell]) -> list[Splice]:
    """The recorded used range, grown to cover what was written (never shrunk)."""
    if lay.dimension is None or not values:
        return []
    top, left, bottom, right = 1, 1, 1, 1
    if lay.dimension_ref:
        (top, left), (bottom, right) = split_ref(lay.dimension_ref)
    rows = [r for r, _ in values]
    cols = [c for _, c in values]
    first = (max(1, min(top, *rows)), max(1, min(left, *cols)))  # a ref with no row: row 1
    box = (*first, max(bottom, *rows), max(right, *cols))
    if box == (top, left, bottom, right):
        return []
    ref = f"{a1(box[0], box[1])}:{a1(box[2], box[3])}"
    tag = f"{lay.prefix}dimension"
    return [(lay.dimension.start, lay.dimension.end, f'<{tag} ref="{ref}"/>'.encode())]


def _apply(data: bytes, splices: list[Splice]) -> bytes:
    out, at = [], 0
    for start, end, new in sorted(splices, key=lambda s: (s[0], s[1])):
        out += [data[at:start], new]
        at = max(at, end)
    out.append(data[at:])
    return b"".join(out)
