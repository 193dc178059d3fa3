"""An .xlsm workbook carrying what real workbooks carry and openpyxl alone cannot write.

openpyxl writes the formulas, data validation, conditional formats, merged ranges, a defined
name and a chart; then, as Excel writes them, the formulas' cached values (``<v>``), a
sparkline group (the x14 extension list) and a VBA project (``xl/vbaProject.bin`` with its
relationship and the macro-enabled content type) are put into the zip's parts.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
from lxml import etree
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
WEEKS = [dt.datetime(2026, 11, 9), dt.datetime(2026, 11, 16), dt.datetime(2026, 11, 23)]
KPI_HEAD = ["KPI", "Owner", "Warning", "Critical", "Current", *WEEKS, "Average", "Trend"]
VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8  # stands in for a project
MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
SPARKLINES = f"""<extLst><ext uri="{{05C60535-1F16-4fd2-B633-F4F36F0B64E0}}" xmlns:x14="{X14}">
<x14:sparklineGroups xmlns:xm="{XM}"><x14:sparklineGroup displayEmptyCellsAs="gap">
<x14:colorSeries rgb="FF376092"/><x14:colorNegative rgb="FFD00000"/><x14:colorAxis rgb="FF000000"/>
<x14:colorMarkers rgb="FFD00000"/><x14:colorFirst rgb="FFD00000"/><x14:colorLast rgb="FFD00000"/>
<x14:colorHigh rgb="FFD00000"/><x14:colorLow rgb="FFD00000"/><x14:sparklines>
<x14:sparkline><xm:f>KPIs!F2:H2</xm:f><xm:sqref>J2</xm:sqref></x14:sparkline>
<x14:sparkline><xm:f>KPIs!F3:H3</xm:f><xm:sqref>J3</xm:sqref></x14:sparkline>
</x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext></extLst>"""
# cell -> cached value, as Excel stores it beside each formula
CACHED = {
    "KPIs": {"E2": 0.4, "I2": 0.43, "I3": 505, "E3": 412},
    "OKRs": {"E2": 412},
}


def build(path: Path) -> None:
    book = openpyxl.Workbook()
    inputs = book.active
    assert inputs is not None
    inputs.title = "Inputs"
    for row in (["Input", "Value"], ["Conversion", 0.4], ["Leads", 412], ["Label", "Q4"]):
        inputs.append(row)
    inputs.merge_cells("D1:E2")
    kpis = book.create_sheet("KPIs")
    kpis.append(KPI_HEAD)
    kpis.append(["Conversion", "sam@example.com", 0.3, 0.2, "=Inputs!B2", 0.45, 0.44, 0.4])
    kpis.append(["Leads", "", 480, 450, "=Inputs!B3", 515, 500, 412])
    kpis["I2"], kpis["I3"] = "=AVERAGE(F2:H2)", "=AVERAGE(F3:H3)"
    kpis.merge_cells("K1:L1")
    kpis["K1"] = "Team notes"
    owners = DataValidation(type="list", formula1='"sam@example.com,ops@example.com"')
    kpis.add_data_validation(owners)
    owners.add("B2:B50")
    red = PatternFill("solid", fgColor="FFC7CE")
    kpis.conditional_formatting.add(
        "E2:E50", CellIsRule(operator="lessThan", formula=["D2"], fill=red)
    )
    okrs = book.create_sheet("OKRs")
    okrs.append(["Objective", "Key result", "Start", "Target", "Current"])
    okrs.append(["Grow", "Leads to 420", 400, 420, "=KPIs!E3"])
    book.defined_names["Conversion"] = DefinedName("Conversion", attr_text="Inputs!$B$2")
    chart = BarChart()
    chart.add_data(Reference(inputs, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    inputs.add_chart(chart, "G2")
    book.save(path)
    _as_excel_saves_it(path)


def _as_excel_saves_it(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheets = {"KPIs": "xl/worksheets/sheet2.xml", "OKRs": "xl/worksheets/sheet3.xml"}
    for tab, cells in CACHED.items():
        parts[sheets[tab]] = _with_cached(parts[sheets[tab]], cells)
    parts[sheets["KPIs"]] = _with_sparklines(parts[sheets["KPIs"]])
    parts["xl/vbaProject.bin"] = VBA
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
        b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
    )
    types = parts["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        MACRO_MAIN.encode(),
    )
    parts["[Content_Types].xml"] = types.replace(
        b"</Types>",
        b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _with_cached(data: bytes, cells: dict[str, float]) -> bytes:
    root = etree.fromstring(data)
    for c in root.iter(f"{{{MAIN}}}c"):
        if c.get("r") in cells:
            v = c.find(f"{{{MAIN}}}v")
            if v is None:
                v = etree.SubElement(c, f"{{{MAIN}}}v")
            v.text = repr(cells[str(c.get("r"))])
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _with_sparklines(data: bytes) -> bytes:
    root = etree.fromstring(data)
    root.append(etree.fromstring(SPARKLINES))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
