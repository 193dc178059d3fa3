"""The .xlsx file as a zip of parts (OPC, ECMA-376 Part 2): find the sheets, add one, save.

Only the parts a run changes are rewritten; every other entry is copied with its compressed
bytes as they are (docs/xlsx-format.md says which rules this relies on).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
WORKSHEET_REL = f"{REL}/worksheet"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def parse(data: bytes) -> etree._Element:
    """A part's XML: no entities resolved, nothing fetched (a workbook is untrusted input)."""
    return etree.fromstring(data, _PARSER)


def serialise(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


Stamp = tuple[int, int, int]  # a file's modification time (ns), size and inode


@dataclass(frozen=True)
class Sheet:
    name: str
    part: str  # the zip entry, e.g. xl/worksheets/sheet1.xml


class Package:
    """An open .xlsx zip: its entries, its workbook part and its sheets in tab order.

    ``parts``: the entries unpacked so far (a read keeps them for the write that follows,
    when the file is the same: ``stamp``, its time, size and inode)."""

    def __init__(
        self, zf: zipfile.ZipFile, stamp: Stamp | None = None, parts: dict[str, bytes] | None = None
    ) -> None:
        self.zip = zf
        self.stamp = stamp
        self.parts = {} if parts is None else parts
        self.names = set(zf.namelist())
        self.workbook = _office_document(self)
        self.sheets = _sheets(self, self.workbook)

    def read(self, name: str) -> bytes:
        data = self.parts.get(name)
        if data is None:
            data = self.parts[name] = self.zip.read(name)
        return data

    def find(self, tab: str) -> Sheet | None:
        """The sheet named ``tab``, ignoring case and surrounding spaces."""
        key = tab.strip().casefold()
        return next((s for s in self.sheets if s.name.strip().casefold() == key), None)


def rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _target(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _office_document(pkg: Package) -> str:
    root = parse(pkg.read("_rels/.rels"))
    for rel in root.iter(f"{{{PKG_REL}}}Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            return _target("", rel.get("Target", ""))
    raise KeyError("no officeDocument relationship")


def _sheets(pkg: Package, workbook: str) -> list[Sheet]:
    rels = parse(pkg.read(rels_of(workbook)))
    targets = {
        r.get("Id"): _target(workbook, r.get("Target", ""))
        for r in rels.iter(f"{{{PKG_REL}}}Relationship")
        if r.get("Type") == WORKSHEET_REL
    }
    book = parse(pkg.read(workbook))
    return [
        Sheet(s.get("name", ""), targets[s.get(f"{{{REL}}}id")])
        for s in book.iter(f"{{{MAIN}}}sheet")
        if s.get(f"{{{REL}}}id") in targets  # chart sheets and dialog sheets are not tabs here
    ]


def add_sheet(pkg: Package, name: str, changed: dict[str, bytes]) -> str:
    """Register a new worksheet part called ``name`` after the last tab: workbook.xml, its
    relationships, [Content_Types].xml and, where it lists titles, docProps/app.xml.
    Returns the new part's name; ``changed`` receives the rewritten parts."""
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in pkg.names | changed.keys():
        n += 1
    part = f"xl/worksheets/sheet{n}.xml"
    rels_name = rels_of(pkg.workbook)
    rels = parse(changed.get(rels_name) or pkg.read(rels_name))
    ids = {r.get("Id") for r in rels}
    rid = next(f"rId{i}" for i in range(len(ids) + 1, 10 * len(ids) + 10) if f"rId{i}" not in ids)
    etree.SubElement(
        rels,
        f"{{{PKG_REL}}}Relationship",
        Id=rid,
        Type=WORKSHEET_REL,
        Target=posixpath.relpath(part, posixpath.dirname(pkg.workbook)),
    )
    changed[rels_name] = serialise(rels)
    book = parse(changed.get(pkg.workbook) or pkg.read(pkg.workbook))
    sheets = book.find(f"{{{MAIN}}}sheets")
    assert sheets is not None
    sheet_id = max((int(s.get("sheetId", "0")) for s in sheets), default=0) + 1
    new = etree.SubElement(sheets, f"{{{MAIN}}}sheet", name=name, sheetId=str(sheet_id))
    new.set(f"{{{REL}}}id", rid)
    changed[pkg.workbook] = serialise(book)
    types = parse(changed.get("[Content_Types].xml") or pkg.read("[Content_Types].xml"))
    etree.SubElement(types, f"{{{TYPES}}}Override", PartName=f"/{part}", ContentType=WORKSHEET_TYPE)
    changed["[Content_Types].xml"] = serialise(types)
    if "docProps/app.xml" in pkg.names:
        app = _app_with_title(parse(pkg.read("docProps/app.xml")), name)
        if app is not None:
            changed["docProps/app.xml"] = serialise(app)
    return part


def drop_calc_chain(pkg: Package, changed: dict[str, bytes]) -> str | None:
    """Take xl/calcChain.xml out (its relationship and content type too): it lists formula
    cells, and one that became a value makes Excel repair the file. The chain is optional;
    Excel builds it again on the next calculation. Returns the part dropped, if any."""
    rels_name = rels_of(pkg.workbook)
    rels = parse(changed.get(rels_name) or pkg.read(rels_name))
    chain = [r for r in rels if str(r.get("Type", "")).endswith("/calcChain")]
    if not chain:
        return None
    part = _target(pkg.workbook, chain[0].get("Target", ""))
    for rel in chain:
        rels.remove(rel)
    changed[rels_name] = serialise(rels)
    types = parse(changed.get("[Content_Types].xml") or pkg.read("[Content_Types].xml"))
    for override in types.findall(f"{{{TYPES}}}Override"):
        if override.get("PartName") == f"/{part}":
            types.remove(override)
    changed["[Content_Types].xml"] = serialise(types)
    return part


def rename_sheet(pkg: Package, old: str, new: str, changed: dict[str, bytes]) -> None:
    """The tab ``old`` called ``new`` in workbook.xml (an owned tab keeps the configured name)."""
    book = parse(changed.get(pkg.workbook) or pkg.read(pkg.workbook))
    for sheet in book.iter(f"{{{MAIN}}}sheet"):
        if sheet.get("name") == old:
            sheet.set("name", new)
    changed[pkg.workbook] = serialise(book)


def _app_with_title(app: etree._Element, name: str) -> etree._Element | None:
    """docProps/app.xml with one more worksheet title, or None where it lists none."""
    titles = app.find(f"{{{EXTENDED}}}TitlesOfParts/{{{VT}}}vector")
    pairs = app.find(f"{{{EXTENDED}}}HeadingPairs/{{{VT}}}vector")
    if titles is None or pairs is None:
        return None
    variants = list(pairs)  # (name, count) pairs; titles are listed in that order
    at = 0
    for label, count in zip(variants[::2], variants[1::2], strict=False):
        number = count.find(f"{{{VT}}}i4")
        if number is None or number.text is None:
            return None
        at += int(number.text)
        if (label.findtext(f"{{{VT}}}lpstr") or "") in ("Worksheets", "Arbeitsblätter"):
            number.text = str(int(number.text) + 1)
            title = etree.Element(f"{{{VT}}}lpstr")
            title.text = name
            titles.insert(at, title)
            titles.set("size", str(len(titles)))
            return app
    return None


def save(
    pkg: Package, out: BinaryIO, changed: Mapping[str, bytes], dropped: frozenset[str] = frozenset()
) -> None:
    """Every entry of ``pkg`` into ``out`` in its order but ``dropped``, ``changed`` ones with
    new content (compressed again, same method and timestamp), the rest with their compressed
    bytes as they are; new parts go last."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in pkg.zip.infolist():
            if info.filename in dropped:
                continue
            if info.filename in changed:
                dst.writestr(_like(info), changed[info.filename], compresslevel=6)
            elif not _copy_raw(pkg.zip, info, dst):
                dst.writestr(_like(info), pkg.zip.read(info), compresslevel=6)
        now = dt.datetime.now(dt.UTC).timetuple()[:6]
        for name in sorted(set(changed) - pkg.names):
            info = zipfile.ZipInfo(name, now)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, changed[name], compresslevel=6)


def _like(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(info.filename, info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    return new


def _copy_raw(src: zipfile.ZipFile, info: zipfile.ZipInfo, dst: zipfile.ZipFile) -> bool:
    """Copy one entry's compressed bytes unchanged. zipfile has no public call for it, so
    this writes the local header and registers the entry as ``ZipFile.write`` does; False
    (the caller re-compresses) where the entry is encrypted, zip64, or zipfile differs."""
    fp = getattr(src, "fp", None)
    out = getattr(dst, "fp", None)
    if fp is None or out is None or not hasattr(dst, "start_dir") or info.flag_bits & 0x1:
        return False
    if info.file_size >= zipfile.ZIP64_LIMIT or info.compress_size >= zipfile.ZIP64_LIMIT:
        return False
    fp.seek(info.header_offset)
    header = fp.read(30)
    if header[:4] != b"PK\x03\x04":
        return False
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    raw = fp.read(info.compress_size)
    copy = _like(info)
    copy.CRC, copy.compress_size, copy.file_size = info.CRC, info.compress_size, info.file_size
    copy.flag_bits = info.flag_bits & ~0x08 & 0x800  # sizes in the header; keep UTF-8 names
    copy.header_offset = out.tell()
    out.write(copy.FileHeader(zip64=False))
    out.write(raw)
    dst.filelist.append(copy)
    dst.NameToInfo[copy.filename] = copy
    dst.start_dir = out.tell()
    return True
