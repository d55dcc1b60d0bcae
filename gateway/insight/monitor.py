"""The monitoring figures an officer may see: base cells from the log, then protected.

Units: a `privacy_officer` sees its own organisation; a `regional_privacy_officer` the
regions of its office (or one organisation in them, `organisation=`). A unit's records
are the entries its organisations made (requester). Per quarter (Europe/Amsterdam):

- `households_supported`: distinct households with a permitted exchange decision;
- `exchanges:<purpose>`: distinct exchanges (request ids) per purpose;
- `consents_given` / `consents_withdrawn`: consent entries (portal, paper, API) recorded
  by the unit's organisations;
- `break_glass_uses`: distinct exchanges with a permitted break-the-glass decision;
- `protection_measures_started`: `case.opened` entries (one per person) of organisations
  of type `gi` or `rvt`, which register a case when they start carrying out a measure.
  A proxy: the gateway does not see the court's decision itself.

Only `gateway.insight.statistics.protect` turns these into published numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.audit.monitoring import CountedEntry
from gateway.insight.statistics import MEASURES, BaseCell, Protection, protect, total

__all__ = ["MEASURE_TYPES", "Quarter", "StatisticsAnswer", "base_cells", "figures"]

MEASURE_TYPES = frozenset({"gi", "rvt"})  # who starts a protection measure


@dataclass(frozen=True, slots=True, order=True)
class Quarter:
    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    @classmethod
    def parse(cls, text: str) -> Quarter | None:
        year, sep, number = text.partition("-Q")
        if not (
            sep
            and year.isascii()
            and year.isdigit()
            and len(year) == 4
            and number in "1234"
            and len(number) == 1
        ):
            return None
        return cls(int(year), int(number))

    @classmethod
    def of(cls, at: datetime, zone: ZoneInfo) -> Quarter:
        local = at.astimezone(zone)
        return cls(local.year, (local.month - 1) // 3 + 1)

    def start(self, zone: ZoneInfo) -> datetime:
        return datetime(self.year, 3 * (self.number - 1) + 1, 1, tzinfo=zone)

    def next(self) -> Quarter:
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def span(self, last: Quarter) -> list[Quarter]:
        quarters, at = [], self
        while at <= last:
            quarters.append(at)
            at = at.next()
        return quarters


def base_cells(
    entries: Sequence[CountedEntry],
    unit_of: Mapping[str, str],
    org_types: Mapping[str, str],
    quarters: Sequence[Quarter],
    purposes: Sequence[str],
    zone: ZoneInfo,
) -> dict[BaseCell, frozenset[str]]:
    """The records of every base cell (empty cells included, so zeros are published too)."""
    records: dict[BaseCell, set[str]] = defaultdict(set)
    measures = (*MEASURES, *(f"exchanges:{p}" for p in purposes))
    for name in sorted(set(unit_of.values())):
        for q in quarters:
            for measure in measures:
                records[BaseCell(name, str(q), measure)]
    wanted = {str(q) for q in quarters}
    for e in entries:
        found = unit_of.get(e.organisation)
        quarter = str(Quarter.of(e.time, zone))
        if found is None or quarter not in wanted:
            continue
        unit = found
        if e.event_type == "exchange.decision":
            if e.purpose in purposes:
                records[BaseCell(unit, quarter, f"exchanges:{e.purpose}")].add(e.request_id)
            if e.decision == "permit" and e.household:
                records[BaseCell(unit, quarter, "households_supported")].add(e.household)
            if e.decision == "permit" and e.break_glass:
                records[BaseCell(unit, quarter, "break_glass_uses")].add(e.request_id)
        elif e.event_type in ("consent.granted", "consent.recorded_on_paper"):
            records[BaseCell(unit, quarter, "consents_given")].add(str(e.seq))
        elif e.event_type == "consent.withdrawn":
            records[BaseCell(unit, quarter, "consents_withdrawn")].add(str(e.seq))
        elif e.event_type == "case.opened" and org_types.get(e.organisation) in MEASURE_TYPES:
            records[BaseCell(unit, quarter, "protection_measures_started")].add(str(e.seq))
    return {cell: frozenset(ids) for cell, ids in records.items()}


@dataclass(frozen=True)
class StatisticsAnswer:
    published: dict[BaseCell, int | None]
    totals: dict[tuple[str, str], int]  # (unit, measure) over the quarters asked


def figures(cells: Mapping[BaseCell, frozenset[str]], protection: Protection) -> StatisticsAnswer:
    """Published base cells and, per unit and measure, the total over the quarters."""
    published = protect(cells, protection)
    groups: dict[tuple[str, str], list[BaseCell]] = defaultdict(list)
    for cell in published:
        groups[(cell.unit, cell.measure)].append(cell)
    return StatisticsAnswer(
        published, {key: total(published, group) for key, group in sorted(groups.items())}
    )
