"""Where things are in a worksheet part, as byte offsets: rows, sheetData, the dimension and
the merged ranges, found by expat (which reports each tag's offset) without building a tree.
"""

from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr


@dataclass
class Span:
    start: int
    end: int = -1


@dataclass
class Layout:
    """Where things are in a sheet part, as byte offsets."""

    root_ns: bytes = b""  # the xmlns declarations of <worksheet>, to parse a row alone
    prefix: str = ""  # "x:" where the part writes its elements with a prefix
    rows: dict[int, Span] = field(default_factory=dict)
    data: Span | None = None  # <sheetData>
    data_inner: int = -1  # where rows may be appended (before </sheetData>)
    dimension: Span | None = None
    dimension_ref: str = ""
    merges: list[tuple[str, Span]] = field(default_factory=list)
    merge_block: Span | None = None


def scan(data: bytes) -> Layout:
    """Where the rows and the elements around them are, as byte offsets.

    Two passes keep Python off the million cells: the first sees only start tags once inside
    sheetData (an end handler would double the calls) and notes where each row starts; the
    second parses from the last row on, with every tag, to find where the last row and
    sheetData end and where the merged ranges are. A row runs to where the next one starts.
    """
    head = _Scanner(fast=True)
    head.run(data)
    lay = head.lay
    if lay.data is None:
        return lay
    numbered: list[tuple[int, int]] = []  # (row, start)
    row = 0
    for at, attrs in head.row_starts:
        row = int(_attr(attrs, "r") or row + 1)
        numbered.append((row, at))
    tail_from = numbered[-1][1] if numbered else lay.data.start
    root = f"<{lay.prefix}worksheet ".encode() + lay.root_ns + b">"
    opened = f"<{lay.prefix}sheetData>".encode() if numbered else b""
    tail = _Scanner(base=tail_from - len(root) - len(opened), row=row - 1 if numbered else 0)
    tail.run(root + opened + data[tail_from:])
    lay.data_inner = tail.lay.data_inner
    lay.data.end = tail.lay.data.end if tail.lay.data is not None else -1
    lay.merges, lay.merge_block = tail.lay.merges, tail.lay.merge_block
    ends = [start for _, start in numbered[1:]] + [lay.data_inner] * bool(numbered)
    for (r, start), end in zip(numbered, ends, strict=True):
        if start < lay.data_inner:  # a "row" past sheetData is none of ours
            lay.rows[r] = Span(start, end)
    return lay


class _Scanner:
    """expat handlers; an element's end is where the next tag begins (``pending``). With
    ``base``, offsets are shifted by it (a tail parsed behind a made-up opening)."""

    def __init__(self, *, fast: bool = False, base: int = 0, row: int = 0) -> None:
        self.lay = Layout()
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.ordered_attributes = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.base = base
        self.depth = 0
        self.row = row
        self.pending: list[Span] = []
        self.in_data = self.in_merges = False
        self.fast = fast  # the first pass: row starts only, once inside sheetData
        self.row_tag = "row"
        self.row_starts: list[tuple[int, list[str]]] = []

    def run(self, data: bytes) -> Layout:
        self.parser.Parse(data, True)
        return self.lay

    def _rows_only(self, name: str, attrs: list[str]) -> None:
        if name == self.row_tag:
            self.row_starts.append((self.parser.CurrentByteIndex, attrs))

    def start(self, name: str, attrs: list[str]) -> None:
        at = self.parser.CurrentByteIndex + self.base
        if self.pending:
            self._settle(at)
        self.depth += 1
        if self.depth == 3 and self.in_data:
            self.row = int(_attr(attrs, "r") or self.row + 1)
            self.lay.rows[self.row] = Span(at)
        elif self.depth == 2:
            self._top(name.rpartition(":")[2], attrs, at)
        elif self.depth == 3 and self.in_merges:
            self.lay.merges.append((_attr(attrs, "ref") or "", Span(at)))
        elif self.depth == 1:
            self.lay.root_ns = b" ".join(
                f"{k}={quoteattr(v)}".encode()
                for k, v in zip(attrs[::2], attrs[1::2], strict=True)
                if k.startswith("xmlns")
            )
            self.lay.prefix = name[: len(name) - len(name.rpartition(":")[2])]

    def _top(self, local: str, attrs: list[str], at: int) -> None:
        if local == "sheetData":
            self.lay.data, self.in_data = Span(at), True
            if self.fast:
                self.row_tag = f"{self.lay.prefix}row"
                self.parser.StartElementHandler = self._rows_only
                self.parser.EndElementHandler = None
        elif local == "dimension":
            self.lay.dimension, self.lay.dimension_ref = Span(at), _attr(attrs, "ref") or ""
        elif local == "mergeCells":
            self.lay.merge_block, self.in_merges = Span(at), True

    def end(self, name: str) -> None:
        at = self.parser.CurrentByteIndex + self.base
        if self.pending:
            self._settle(at)
        lay, depth = self.lay, self.depth
        self.depth -= 1
        if depth == 3 and self.in_data:
            self.pending.append(lay.rows[self.row])
        elif depth == 2 and self.in_data:
            self.in_data = False
            assert lay.data is not None
            lay.data_inner = at
            self.pending.append(lay.data)
        elif depth == 2 and lay.dimension is not None and lay.dimension.end < 0:
            self.pending.append(lay.dimension)
        elif depth == 2 and self.in_merges:
            self.in_merges = False
            assert lay.merge_block is not None
            self.pending.append(lay.merge_block)
        elif depth == 3 and self.in_merges:
            self.pending.append(lay.merges[-1][1])

    def _settle(self, at: int) -> None:
        for span in self.pending:
            span.end = at
        self.pending.clear()


def _attr(attrs: list[str], key: str) -> str | None:
    for k, v in zip(attrs[::2], attrs[1::2], strict=True):
        if k == key:
            return v
    return None
