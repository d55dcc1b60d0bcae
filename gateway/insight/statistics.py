"""Monitoring figures that single out no family: suppression plus cell-key random rounding.

The method (docs/statistics.md): every figure is built from *base cells*, one per
(unit, quarter, measure), where a unit is an organisation or a region. A base cell's
true count is the number of distinct records in it (households, exchanges, consents,
...). Its published value is:

- 0 when the true count is 0;
- suppressed (None) when the true count is below the threshold;
- otherwise the true count randomly rounded to a multiple of `base`: down, or up with
  probability (count mod base) / base, the "random" draw being the cell key, a keyed
  HMAC-SHA256 of the cell and its sorted record ids (the ABS / Destatis cell-key
  method). The same records always give the same value, so asking again and
  averaging teaches nothing.

Every other figure (a total over quarters) is a sum of published base values, never
computed from raw records, so any difference of two figures is a sum of published
base values too. A true count in (0, threshold) is published as suppressed, exactly
like any other count below it, and a count at or above the threshold is published as a
multiple of `base` that is at least `base`: no difference of published figures pins a
small count. The property tests in tests/property/test_statistics_protection.py check
this over random data and random overlapping queries.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["MEASURES", "BaseCell", "Protection", "cell_key", "protect", "total"]

#: The measures of the national monitor, in the order the answer lists them.
#: `exchanges:<purpose>` are added per purpose of the vocabulary.
MEASURES = (
    "households_supported",
    "consents_given",
    "consents_withdrawn",
    "break_glass_uses",
    "protection_measures_started",
)


@dataclass(frozen=True, slots=True, order=True)
class BaseCell:
    unit: str  # organisation id or region id
    quarter: str  # YYYY-Qn
    measure: str


@dataclass(frozen=True, slots=True)
class Protection:
    """Threshold (counts below it are suppressed, at least 3) and the rounding base
    (from 2 to the threshold)."""

    secret: bytes
    threshold: int = 10
    base: int = 5

    def __post_init__(self) -> None:
        if self.threshold < 3 or not 2 <= self.base <= self.threshold:
            # A threshold of 2 would publish "suppressed" only for a count of exactly 1.
            raise ValueError("threshold at least 3; rounding base from 2 to the threshold")


def cell_key(secret: bytes, cell: BaseCell, records: Iterable[str]) -> float:
    """A number in [0, 1) fixed by the cell and its records, unknowable without `secret`."""
    message = "\x1f".join((cell.unit, cell.quarter, cell.measure, *sorted(records)))
    digest = hmac.new(secret, message.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def protect(
    cells: Mapping[BaseCell, frozenset[str]], protection: Protection
) -> dict[BaseCell, int | None]:
    """The published value of every base cell (None: suppressed)."""
    published: dict[BaseCell, int | None] = {}
    base = protection.base
    for cell, records in cells.items():
        true = len(records)
        if true == 0:
            published[cell] = 0
        elif true < protection.threshold:
            published[cell] = None
        else:
            remainder = true % base
            lower = true - remainder
            up = remainder and cell_key(protection.secret, cell, records) < remainder / base
            published[cell] = lower + base if up else lower
    return published


def total(published: Mapping[BaseCell, int | None], cells: Iterable[BaseCell]) -> int:
    """A figure over several base cells: the sum of their published values (suppressed
    cells count as 0), never a count of raw records."""
    return sum(published.get(cell) or 0 for cell in cells)
