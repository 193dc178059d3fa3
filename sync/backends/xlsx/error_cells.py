"""Formula error cells (``t="e"``: ``#REF!``, ``#N/A``) of a worksheet part, with their text.

python-calamine reads an error cell as empty; the rules must see ``#REF!`` to name the cell.
Error cells are rare, so the part is not walked tag by tag (a second of Python per million
cells): each place where a quoted ``e`` stands is parsed, from the tag that holds it, by
expat, and kept only if that tag is a cell whose type is ``e``. A cell without an ``r``
attribute, whose place only a count of its row can tell, falls back to the full walk.
"""

from __future__ import annotations

import xml.parsers.expat

from sync.backends.xlsx.refs import column_of, row_of

Found = dict[tuple[int, int], str]


class _Done(Exception):
    """The cell has been read: stop parsing."""


class _NoRef(Exception):
    """An error cell without an ``r`` attribute."""


def error_cells(data: bytes) -> Found:
    found: Found = {}
    try:
        for quote in (b'"e"', b"'e'"):
            at = data.find(quote)
            while at >= 0:
                tag = data.rfind(b"<", 0, at)  # "<" cannot stand inside an attribute value
                cell = _cell_at(data, tag) if tag >= 0 else None
                if cell is not None:
                    found[cell[0]] = cell[1]
                at = data.find(quote, at + len(quote))
    except _NoRef:
        return _walk(data)
    return found


def _cell_at(data: bytes, start: int) -> tuple[tuple[int, int], str] | None:
    """The error cell whose start tag begins at ``start``, or None if that tag is not one."""
    parser = xml.parsers.expat.ParserCreate()
    state: dict[str, object] = {}
    text: list[str] = []

    def begin(name: str, attrs: dict[str, str]) -> None:
        if "ref" not in state:
            if name.rpartition(":")[2] != "c" or attrs.get("t") != "e":
                raise _Done
            if not attrs.get("r"):
                raise _NoRef
            state["ref"] = attrs["r"]
        elif name.rpartition(":")[2] == "v":
            parser.CharacterDataHandler = text.append

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "v":
            parser.CharacterDataHandler = None
        elif local == "c":
            raise _Done

    parser.StartElementHandler = begin
    parser.EndElementHandler = end
    try:
        for offset in range(start, len(data), 4096):
            parser.Parse(data[offset : offset + 4096], False)
    except (_Done, xml.parsers.expat.ExpatError):
        pass
    ref = state.get("ref")
    value = "".join(text).strip()
    if not isinstance(ref, str) or not value:
        return None
    return (row_of(ref), column_of(ref)), value


def _walk(data: bytes) -> Found:
    """Every cell counted in order: for parts whose cells carry no ``r``."""
    found: Found = {}
    parser = xml.parsers.expat.ParserCreate()
    at = [0, 0]  # the current row and column
    inside: list[tuple[int, int]] = []
    text: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            at[:] = [int(attrs.get("r") or at[0] + 1), 0]
        elif local == "c":
            ref = attrs.get("r")
            at[1] = column_of(ref) if ref else at[1] + 1
            if attrs.get("t") == "e":
                inside[:] = [(at[0], at[1])]
                text.clear()
        elif local == "v" and inside:
            parser.CharacterDataHandler = text.append

    def end(name: str) -> None:
        if not inside:
            return
        local = name.rpartition(":")[2]
        if local == "v":
            parser.CharacterDataHandler = None
        elif local == "c":
            if value := "".join(text).strip():
                found[inside[0]] = value
            inside.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return found
