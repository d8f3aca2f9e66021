"""Row identifiers as the domain accepts them."""
from __future__ import annotations

MAX_ID = 2**31 - 1
"""The largest id a table holds (PostgreSQL's integer): a larger one names no row, on either engine."""


def is_row_id(value: object) -> bool:
    """True if *value* can name a row: an int (not a bool) from 1 to MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
