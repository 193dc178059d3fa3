"""A ``values.batchGet`` answer decoded as it arrives, one row at a time.

``response.json()`` holds the whole body twice before it builds a single cell: the bytes,
then the text. Near Google's 10-million-cell limit that is two copies of about 100 MB beside
the grid. Here the body is read in pieces of ``CHUNK`` bytes and each row is decoded as soon
as it is complete, so at most one piece of text is held at a time. Every value is still
decoded by the json module's own scanner (``raw_decode``); only the answer's layout, an
object whose ``valueRanges`` hold ``values``, a list of rows, is walked here, and any other
member is decoded whole, so an answer with more or fewer members decodes as ``json.loads``
would decode it.

Kept because it pays near the cell limit: a read of 50,000 KPIs x 104 weeks peaks at 275 MB
against 350 MB through gspread's ``values_batch_get``, in the same time (8.7 s against 8.9 s;
at 10,000 KPIs, 96 MB against 109 MB): ``python -m bench.streamed``.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn

CHUNK = 1 << 20  # bytes read at a time: large enough that the per-piece overhead is nil
_BLANKS = " \t\n\r"
_SPACE = re.compile(f"[{_BLANKS}]*")
_SCAN = json.JSONDecoder()


class StreamedJsonError(ValueError):
    """The answer is not the JSON it should be (cut short, or malformed)."""


def decode_value_ranges(pieces: Iterable[bytes]) -> dict[str, Any]:
    """The answer as ``json.loads`` would return it, decoded from ``pieces`` of its body."""
    return _Reader(iter(pieces)).answer()


class _Reader:
    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._text = ""
        self._at = 0
        self._ended = False

    # -- the answer's layout ---------------------------------------------------------------
    def answer(self) -> dict[str, Any]:
        answer = self._object({"valueRanges": self._value_ranges})
        if not isinstance(answer, dict):
            self._fail("an object")
        if self._peek():
            self._fail("the end of the answer")
        return answer

    def _value_ranges(self) -> Any:
        return self._array(lambda: self._object({"values": self._rows}))

    def _rows(self) -> Any:
        return self._array(self._value)

    # -- JSON structure ------------------------------------------------------------------
    def _object(self, members: dict[str, Callable[[], Any]]) -> Any:
        """An object whose named members are read by their own readers, the rest whole."""
        if self._peek() != "{":
            return self._value()
        self._at += 1
        out: dict[str, Any] = {}
        if self._peek() == "}":
            self._at += 1
            return out
        while True:
            key = self._value()
            if not isinstance(key, str):
                self._fail("a member name")
            self._expect(":")
            read = members.get(key)
            nested = read is not None and self._peek() in ("[", "{")
            out[key] = read() if read is not None and nested else self._value()
            if self._next_of(",}") == "}":
                return out

    def _array(self, item: Callable[[], Any]) -> Any:
        if self._peek() != "[":
            return self._value()
        self._at += 1
        out: list[Any] = []
        if self._peek() == "]":
            self._at += 1
            return out
        while True:
            out.append(item())
            if self._next_of(",]") == "]":
                return out

    def _value(self) -> Any:
        """One whole JSON value; more text is read until it is complete.

        A value that ends exactly where the text read so far ends may be cut short (``12``
        of ``123``), so it counts only once the body has ended or more text follows it.
        """
        while True:
            self._peek()
            try:
                value, end = _SCAN.raw_decode(self._text, self._at)
            except json.JSONDecodeError as err:
                if self._ended:
                    raise StreamedJsonError(f"the answer is not valid JSON: {err}") from None
                self._more()
                continue
            if end < len(self._text) or self._ended:
                self._at = end
                return value
            self._more()

    def _expect(self, char: str) -> None:
        if self._next_of(char) != char:
            self._fail(repr(char))

    def _next_of(self, chars: str) -> str:
        char = self._peek()
        if not char or char not in chars:
            self._fail(" or ".join(map(repr, chars)))
        self._at += 1
        return char

    def _peek(self) -> str:
        """The next character that is not white space ("" at the end of the body)."""
        if self._at < len(self._text) and self._text[self._at] not in _BLANKS:
            return self._text[self._at]  # the usual case, between the cells of a compact answer
        while True:
            end = _SPACE.match(self._text, self._at)
            assert end is not None  # the pattern matches the empty string
            self._at = end.end()
            if self._at < len(self._text):
                return self._text[self._at]
            if self._ended:
                return ""
            self._more()

    # -- the body --------------------------------------------------------------------------
    def _more(self) -> None:
        """Read the next piece; the text already decoded is dropped."""
        piece = next(self._pieces, None)
        rest = self._text[self._at :]
        if piece is None:
            self._ended = True
            rest += self._utf8.decode(b"", final=True)
        else:
            rest += self._utf8.decode(piece)
        self._text, self._at = rest, 0

    def _fail(self, expected: str) -> NoReturn:
        near = self._text[self._at : self._at + 40]
        raise StreamedJsonError(
            f"the answer is not the JSON expected: {expected} expected at {near!r}"
        )
