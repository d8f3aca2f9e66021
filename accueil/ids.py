"""Identifiers as the domain accepts them: row ids and site slugs, read once where they enter.

Anything else names nothing, and is refused before any query (a NUL byte, for one, is an
error on PostgreSQL, not a miss).
"""
from __future__ import annotations

import re

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
"""A site's short name in addresses (« chaumont », « saint-dizier »)."""

MAX_ID = 2**31 - 1
"""The largest id a table holds (PostgreSQL's integer): a larger one names no row, on either engine."""


def is_row_id(value: object) -> bool:
    """True if *value* can name a row: an int (not a bool) from 1 to MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def row_id(value: object) -> int | None:
    """Read an id from a form, a path or a cookie: an int, or ASCII digits; None if it names no row."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit() and len(value) <= 10):
            return None
        value = int(value)
    return value if is_row_id(value) else None


def is_slug(value: object) -> bool:
    """True if *value* can be a site's slug."""
    return isinstance(value, str) and SLUG_RE.fullmatch(value) is not None
