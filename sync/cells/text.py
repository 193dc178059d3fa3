"""Cells as text, and the keys names match by: ``" Revenue  MRR "`` is the KPI ``revenue mrr``.

Text, nearly every name, takes the first branch of each function: a column of ten thousand
names is keyed in a few milliseconds with ``series.map(name_key)``.
"""

from __future__ import annotations

import math


def cell_text(value: object) -> str:
    """A cell as trimmed text; empty and NaN (pandas' missing value) read as ""."""
    if type(value) is str:
        return value.strip()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def name_key(name: object) -> str:
    """Names (KPIs, key results, headers) match case-insensitively, ignoring surrounding and
    repeated spaces."""
    text = name if type(name) is str else cell_text(name)
    return " ".join(text.split()).casefold()
