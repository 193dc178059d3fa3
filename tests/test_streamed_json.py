"""The batchGet answer decoded piece by piece (sync/backends/streamed_json.py).

Whatever the answer holds and wherever the body is cut into pieces (inside a number, a
string, an escape, a multi-byte character), the result must be what ``json.loads`` gives;
an answer cut short must fail, never come back shorter.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.backends.streamed_json import StreamedJsonError, decode_value_ranges

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
ROWS = st.lists(st.lists(CELLS, max_size=6), max_size=8)
RANGE = st.fixed_dictionaries(
    {"range": st.text(max_size=10), "majorDimension": st.just("ROWS")}, optional={"values": ROWS}
)
ANSWER = st.fixed_dictionaries(
    {"spreadsheetId": st.text(max_size=8), "valueRanges": st.lists(RANGE, max_size=3)},
    optional={"other": st.dictionaries(st.text(max_size=4), CELLS)},
)


def pieces(body: bytes, cuts: list[int]) -> list[bytes]:
    edges = sorted({0, len(body), *(c % (len(body) + 1) for c in cuts)})
    return [body[a:b] for a, b in itertools.pairwise(edges)]


@settings(max_examples=300, deadline=None)
@given(ANSWER, st.sampled_from([None, 2]), st.lists(st.integers(0, 10**6), max_size=12))
def test_any_answer_cut_anywhere_decodes_as_json_loads_does(
    answer: dict[str, Any], indent: int | None, cuts: list[int]
) -> None:
    body = json.dumps(answer, indent=indent, ensure_ascii=False).encode()
    assert decode_value_ranges(pieces(body, cuts)) == json.loads(body)


def test_a_number_at_the_end_of_a_piece_waits_for_the_rest_of_it() -> None:
    body = b'{"valueRanges": [{"values": [[1234.5, 99]]}], "n": 123}'
    for cut in range(1, len(body)):
        assert decode_value_ranges([body[:cut], body[cut:]]) == json.loads(body)


def test_one_byte_at_a_time_with_multibyte_characters_and_escapes() -> None:
    answer = {
        "valueRanges": [
            {
                "range": "'Équipe ✓'!A1:B2",
                "values": [['naïve "quoted" \\ ✅', 1e-7], ["\u2028", True]],
            }
        ]
    }
    body = json.dumps(answer, ensure_ascii=False).encode()
    assert decode_value_ranges(body[i : i + 1] for i in range(len(body))) == answer


@pytest.mark.parametrize(
    "body",
    [
        b'{"valueRanges": [{"values": [[1, 2], [3',  # cut short inside a row
        b'{"valueRanges": [{"values": [[1, 2]]}]',  # the closing brace never came
        b'{"valueRanges": [{"values": [[1, 2]]}]} trailing',
        b'{"valueRanges": [{"values": [[1, 2] [3]]}]}',  # a comma missing between rows
        b"",
        b"[1, 2]",  # not an object
    ],
)
def test_an_answer_cut_short_or_malformed_fails_rather_than_reading_less(body: bytes) -> None:
    with pytest.raises(StreamedJsonError):
        decode_value_ranges([body])
