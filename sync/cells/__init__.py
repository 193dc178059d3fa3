"""Reading cell values the way a person reads them: in one place, a whole column at a time.

Every tab (KPIs, OKRs, the KPI log) holds numbers, dates and check marks typed by people, and
the same text must mean the same thing everywhere: ``12%`` is 0.12 in a threshold and in a
history column alike. So every reader lives in this package (numbers, dates, check marks,
text keys; ``kinds`` holds what they share), and the rules never look at raw text. Everywhere:
``n/a``, ``NA``, ``-``, ``—``, ``–``, ``none``, ``null`` and blank text are empty; ``#REF!``,
``#N/A`` and the other error values are "formula error #REF!". docs/kpi-rules.md ("Reading
cells") says the same for users.
"""

from sync.cells.dates import HEADER_SERIALS, parse_dates, parse_header_date, serial_to_date
from sync.cells.flags import is_flag_like, parse_flags
from sync.cells.numbers import parse_numbers
from sync.cells.text import cell_text, name_key

__all__ = [
    "HEADER_SERIALS",
    "cell_text",
    "is_flag_like",
    "name_key",
    "parse_dates",
    "parse_flags",
    "parse_header_date",
    "parse_numbers",
    "serial_to_date",
]
