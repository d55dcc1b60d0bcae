"""What counts as clean text and a sane date-time, for every value a client sends.

A leaf helper: the input guard (path, query, headers), the JSON body reader and
the parsers of the routes share these rules, so "bad input is a 4xx" is decided
in one place and a value that passes cannot make a driver or a conversion fail
(PostgreSQL refuses NUL in text; a lone surrogate cannot be encoded as UTF-8;
`astimezone` overflows at the ends of the calendar).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

__all__ = [
    "EARLIEST",
    "LATEST",
    "clean_text",
    "has_forbidden_text",
    "parse_date",
    "parse_datetime",
]

# C0 and C1 controls, DEL, lone surrogates and U+FFFD (what undecodable bytes become).
_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
_FORBIDDEN_WITH_TAB = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
# In JSON bodies only what no store can hold: NUL and lone surrogates (newlines are text).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

#: Date-times outside these years are refused: nothing in child protection is dated
#: before 1900, and the far end stays clear of `datetime.max` for any time zone.
EARLIEST = 1900
LATEST = 9000


def clean_text(value: str, limit: int, *, allow_tab: bool = False) -> bool:
    """True when `value` is at most `limit` characters of printable text."""
    if len(value) > limit:
        return False
    pattern = _FORBIDDEN if allow_tab else _FORBIDDEN_WITH_TAB
    return pattern.search(value) is None


def has_forbidden_text(value: str) -> bool:
    """True when a JSON string holds what cannot be stored (NUL, a lone surrogate)."""
    return _UNSTORABLE.search(value) is not None


def parse_datetime(text: str, *, naive_is_utc: bool = False) -> datetime | None:
    """An ISO 8601 date-time in UTC, or None if it does not parse, has no time zone
    (unless `naive_is_utc`), or lies outside the years EARLIEST..LATEST."""
    if not clean_text(text, 64):
        return None
    try:
        value = datetime.fromisoformat(text)  # accepts a trailing Z (Python 3.11+)
    except ValueError:
        return None
    if value.tzinfo is None:
        if not naive_is_utc:
            return None
        value = value.replace(tzinfo=UTC)
    if not EARLIEST <= value.year <= LATEST:
        return None
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):  # unreachable inside the year bounds; kept closed
        return None


def parse_date(text: str) -> date | None:
    """An ISO 8601 calendar date (YYYY-MM-DD) within the years EARLIEST..LATEST, else None."""
    if not clean_text(text, 10):
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if EARLIEST <= value.year <= LATEST else None
