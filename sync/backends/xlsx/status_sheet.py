"""A tab the sync owns (the Status tab), written whole as a worksheet part.

Status words get a solid fill and bold text; row 1 and each row right after an empty row
(the section headings) are bold, row 1 larger; columns are sized to fit the text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from xml.sax.saxutils import escape

from sync.backends.xlsx.package import MAIN, REL
from sync.backends.xlsx.refs import a1, serial, xml_text
from sync.backends.xlsx.styles import DATE, DATETIME, FILLS, StyleBook
from sync.grid import Cell, Grid, OwnedTab


def sheet_xml(tab: OwnedTab, styles: StyleBook) -> bytes:
    rows: list[str] = []
    after_blank = True
    width = 0
    for r, row in enumerate(tab.grid, start=1):
        heading = after_blank
        after_blank = not any(_filled(v) for v in row)
        cells = [
            _cell(a1(r, c), value, _style(tab.colours, value, r, heading, styles))
            for c, value in enumerate(row, start=1)
            if _filled(value)
        ]
        if cells:
            width = max(width, len(row))
            rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    end = a1(max(len(tab.grid), 1), max(width, 1))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="A1:{end}"/>'
        f"{_cols(tab.grid)}<sheetData>{''.join(rows)}</sheetData></worksheet>"
    ).encode()


def _style(
    colours: Mapping[str, object], value: Cell, row: int, heading: bool, styles: StyleBook
) -> int | None:
    fill = colours.get(value) if isinstance(value, str) else None
    if isinstance(value, dt.datetime | dt.date):
        return styles.xf(number_format=DATETIME if isinstance(value, dt.datetime) else DATE)
    if fill is None and not heading:
        return None
    return styles.xf(
        bold=True,
        size=14 if row == 1 else None,
        fill=FILLS[fill] if fill is not None else None,  # type: ignore[index]
    )


def _cell(ref: str, value: Cell, style: int | None) -> str:
    s = f' s="{style}"' if style else ""
    if isinstance(value, str):
        text = escape(xml_text(value))
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.date):
        number: float | int = serial(value)
    elif isinstance(value, float) and not math.isfinite(value):
        return f'<c r="{ref}"{s} t="inlineStr"><is><t>{value}</t></is></c>'
    else:
        number = value  # type: ignore[assignment]
    return f'<c r="{ref}"{s}><v>{number!r}</v></c>'


def _filled(value: Cell) -> bool:
    return value is not None and value != ""


def _cols(grid: Grid) -> str:
    """Widths that fit the text, so the Status tab reads without dragging column edges.

    The last filled cell of a row overflows into the empty cells to its right (the title,
    the counts, a long note), so it widens its column only in the grid's last column. Widths
    allow for capitals (bold status words) and the bar glyphs, which are wider than a digit.
    """
    last_column = max((len(row) for row in grid), default=0)
    widths: dict[int, float] = {}
    for row in grid:
        filled = [c for c, value in enumerate(row, start=1) if _filled(value)]
        for c in filled:
            text, widest = str(row[c - 1]), widths.get(c, 0.0)
            if (c == filled[-1] and c != last_column) or len(text) * _WIDEST <= widest:
                continue  # overflows, or cannot be the widest: most cells are not measured
            widths[c] = max(widest, min(_text_width(text), 80.0))
    if not widths:
        return ""
    cols = "".join(
        f'<col min="{c}" max="{c}" width="{max(8.0, round(w + 2, 1)):g}" customWidth="1"/>'
        for c, w in sorted(widths.items())
    )
    return f"<cols>{cols}</cols>"


def _text_width(text: str) -> float:
    """Roughly how many digit widths ``text`` takes in a proportional font: ``i`` and spaces are
    narrow, ``m``, ``@``, capitals (bold status words) and the bar's blocks are wide. Counted
    with ``str.count`` (in C): the Status tab of 10,000 KPIs has about 80,000 cells."""
    narrow = sum(map(text.count, _NARROW))
    wide = sum(map(text.count, _WIDE))
    capitals = sum(map(str.isupper, text)) - text.count("I") - text.count("M") - text.count("W")
    return len(text) - 0.45 * narrow + 0.5 * wide + 0.25 * capitals


_NARROW = "ilIjtfr.,;:'|!() "
_WIDEST = 1.5  # the most digit widths one character takes in _text_width ("M", "W")
_WIDE = "mwMW@%▓░█▒"
