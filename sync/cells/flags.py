"""Check marks: Yes/No, Y/N, Done/Not done, Complete/Incomplete, TRUE/FALSE, 1/0, checkboxes.

✓ ✔ ☑ ✅ and ``x`` (a box marked with an x) are done; ✗ ✘ ☐ ❌ are not done. Case and spacing
do not matter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sync.cells.kinds import (
    BOOL,
    EMPTY,
    NUMBER,
    TEXT,
    Bools,
    Floats,
    Objects,
    as_frame,
    blank_or_formula,
    classify,
    fill_by_unique,
    squash,
)

_DONE = frozenset({"yes", "y", "true", "done", "complete", "completed", "✓", "✔", "☑", "✅", "x"})
_NOT_DONE = frozenset({
    "no", "n", "false", "not done", "not complete", "not completed", "incomplete",
    "✗", "✘", "☐", "❌",
})  # fmt: skip
_FLAG_WORDS = {**dict.fromkeys(_DONE, 1.0), **dict.fromkeys(_NOT_DONE, 0.0)}
_FLAGS = {**_FLAG_WORDS, "1": 1.0, "0": 0.0}
NOT_A_FLAG = "not a yes/no value"


def _flag_tokens(texts: pd.Series) -> pd.Series:
    """Text reduced to what tells one check mark from another: case and spacing do not."""
    return squash(texts).str.lower().str.replace(r"\s+", " ", regex=True)


def _flag_texts(texts: pd.Series) -> tuple[Floats, Objects]:
    """Read distinct texts as milestones: 1.0 done, 0.0 not done, NaN empty or unreadable."""
    error = np.full(len(texts), NOT_A_FLAG, dtype=object)
    settled = blank_or_formula(squash(texts), error)
    value = np.array(_flag_tokens(texts).map(_FLAGS), dtype=np.float64)  # a writable copy
    error[~np.isnan(value)] = None
    value[settled] = np.nan
    return value, error


def parse_flags(values: pd.Series) -> pd.DataFrame:
    """Read milestone cells: Yes/No, Done/Not done, TRUE/FALSE, checkboxes, ✓/✗, 1/0.

    ``value`` is 1.0 (done), 0.0 (not done) or NaN (empty or unreadable, then ``error`` says why).
    """
    cells, kinds, numbers = classify(values)
    value = np.full(len(cells), np.nan)
    error = np.full(len(cells), NOT_A_FLAG, dtype=object)
    error[kinds == EMPTY] = None
    flag = kinds == BOOL
    value[flag], error[flag] = cells[flag].astype(np.float64), None
    binary = (kinds == NUMBER) & ((numbers == 0) | (numbers == 1))
    value[binary], error[binary] = numbers[binary], None
    text = kinds == TEXT
    fill_by_unique(text, cells, value, error, _flag_texts)
    return as_frame(values.index, value, error)


def is_flag_like(values: pd.Series) -> pd.Series:
    """Per cell: is it a milestone-style value (a checkbox, Yes/No, Done, ✓), not a plain number?

    The OKR rules use this to tell a milestone key result from a numeric one; ``1``/``0`` alone
    are numbers, so they say nothing either way and are False here.
    """
    cells, kinds, _ = classify(values)
    like = kinds == BOOL
    text = kinds == TEXT
    fill_by_unique(text, cells, like, np.empty(len(cells), dtype=object), _flag_word_mask)
    return pd.Series(like, index=values.index, dtype=bool)


def _flag_word_mask(texts: pd.Series) -> tuple[Bools, Objects]:
    """Which distinct texts are check-mark words or symbols (shaped for ``fill_by_unique``)."""
    like = _flag_tokens(texts).isin(_FLAG_WORDS.keys()).to_numpy(dtype=bool)
    return like, np.full(len(texts), None, dtype=object)
