"""Sheet text as a mail or the Status tab shows it: one line, bounded, nothing hidden.

Anyone who can edit the sheet can type a megabyte into a name, or a right-to-left override
that turns the rest of a line around (``Invoice \u202efdp.exe`` reads as ``Invoice exe.pdf``).
What is shown keeps ``limit`` characters at most, ends in an ellipsis when cut, and has no
control, format (bidi) or line-separator character left. The cell itself is never changed.
"""

from __future__ import annotations

import re
import unicodedata

TEXT_LIMIT = 200  # a name, an owner, a value: characters shown of it
NOTE_LIMIT = 500  # a note, which may quote a cell
ELLIPSIS = "…"
_JOINERS = frozenset("\u200c\u200d")  # kept: emoji sequences and some scripts need them
_BREAKS = re.compile(r"[^\S ]+")  # whitespace other than the plain space: tabs, line breaks


def shown(text: str, limit: int | None = TEXT_LIMIT) -> str:
    """``text`` on one line, without control or format characters, cut to ``limit``.

    Plain spaces are kept as typed (an indent means something on the Status tab); any other
    run of whitespace or control characters becomes one space.
    """
    if text.isprintable() and (limit is None or len(text) <= limit):
        return text  # the common case, at C speed: a Status tab has thousands of cells
    cut = text if limit is None else text[: limit * 4]  # enough to fill it after cleaning
    flat = "".join(_clean(c) for c in _BREAKS.sub(" ", cut))
    if limit is None or len(flat) <= limit:
        return flat
    return flat[: limit - 1] + ELLIPSIS


def _clean(char: str) -> str:
    if char.isprintable() or char in _JOINERS:
        return char
    if unicodedata.category(char) == "Cc":
        return " "
    return ""  # Cf (bidi overrides, zero-width), Cs, Co, Cn: shown as nothing
