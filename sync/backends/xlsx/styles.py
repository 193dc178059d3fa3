"""The cell formats the sync needs (bold headings, status fills, dates), in xl/styles.xml.

A fill or a date format is a cell format (an ``xf`` in ``cellXfs``) that cells point at by
index. Formats the sync needs are looked up first and appended only when missing: existing
indices never move, so every cell of the user's keeps its look, and a second run finds the
first run's formats and leaves styles.xml as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy

from lxml import etree

from sync.backends.xlsx.package import MAIN, parse, serialise
from sync.rules.status import Colour

FILLS: Mapping[Colour, str] = {
    "green": "C6EFCE",
    "amber": "FFEB9C",
    "red": "FFC7CE",
    "grey": "E7E6E6",
}
DATE, DATETIME = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
_N = f"{{{MAIN}}}"


class StyleBook:
    """xl/styles.xml, edited append-only; ``changed`` says whether it must be saved."""

    def __init__(self, data: bytes | None) -> None:
        self.root = parse(data) if data is not None else None
        self.changed = False
        self._cache: dict[tuple[object, ...], int] = {}

    def bytes(self) -> bytes:
        assert self.root is not None
        return serialise(self.root)

    def xf(
        self,
        *,
        bold: bool = False,
        size: float | None = None,
        fill: str | None = None,
        number_format: str | None = None,
    ) -> int | None:
        """The index of a cell format with these traits on the workbook's default font;
        None where the workbook has no styles part (the cell keeps the default look)."""
        key = (bold, size, fill, number_format)
        if key in self._cache:
            return self._cache[key]
        if self.root is None:
            return None
        xf = etree.Element(f"{_N}xf", numFmtId="0", fontId="0", fillId="0", borderId="0", xfId="0")
        if number_format is not None:
            xf.set("numFmtId", str(self._number_format(number_format)))
            xf.set("applyNumberFormat", "1")
        if bold or size is not None:
            xf.set("fontId", str(self._find_or_add("fonts", self._font(bold, size))))
            xf.set("applyFont", "1")
        if fill is not None:
            xf.set("fillId", str(self._find_or_add("fills", _fill(fill))))
            xf.set("applyFill", "1")
        index = self._find_or_add("cellXfs", xf)
        self._cache[key] = index
        return index

    def _list(self, name: str) -> etree._Element:
        assert self.root is not None
        found = self.root.find(f"{_N}{name}")
        if found is None:  # in the schema's order: numFmts, fonts, fills, borders, ...
            found = etree.Element(f"{_N}{name}", count="0")
            order = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs"]
            later = [self.root.find(f"{_N}{n}") for n in order[order.index(name) + 1 :]]
            anchor = next((e for e in later if e is not None), None)
            if anchor is not None:
                anchor.addprevious(found)
            else:
                self.root.append(found)
        return found

    def _find_or_add(self, name: str, element: etree._Element) -> int:
        items = self._list(name)
        wanted = _canonical(element)
        for i, existing in enumerate(items):
            if _canonical(existing) == wanted:
                return i
        items.append(element)
        items.set("count", str(len(items)))
        self.changed = True
        return len(items) - 1

    def _font(self, bold: bool, size: float | None) -> etree._Element:
        fonts = self._list("fonts")
        font = deepcopy(fonts[0]) if len(fonts) else etree.Element(f"{_N}font")
        for child in font.findall(f"{_N}b"):
            font.remove(child)
        if bold:
            font.insert(0, etree.Element(f"{_N}b"))
        if size is not None:
            sz = font.find(f"{_N}sz")
            if sz is None:
                sz = etree.SubElement(font, f"{_N}sz")
            sz.set("val", f"{size:g}")
        return font

    def _number_format(self, code: str) -> int:
        formats = self._list("numFmts")
        for f in formats:
            if f.get("formatCode") == code:
                return int(f.get("numFmtId", "0"))
        ids = [int(f.get("numFmtId", "0")) for f in formats]
        new = max([163, *ids]) + 1  # 0-163 are built in
        etree.SubElement(formats, f"{_N}numFmt", numFmtId=str(new), formatCode=code)
        formats.set("count", str(len(formats)))
        self.changed = True
        return new


def _fill(rgb: str) -> etree._Element:
    fill = etree.Element(f"{_N}fill")
    pattern = etree.SubElement(fill, f"{_N}patternFill", patternType="solid")
    etree.SubElement(pattern, f"{_N}fgColor", rgb=f"FF{rgb}")
    etree.SubElement(pattern, f"{_N}bgColor", indexed="64")
    return fill


def _canonical(element: etree._Element) -> tuple[object, ...]:
    """An element's content without layout or namespace-prefix differences."""
    return (
        element.tag,
        tuple(sorted(element.attrib.items())),
        (element.text or "").strip(),
        tuple(_canonical(child) for child in element if isinstance(child.tag, str)),
    )
