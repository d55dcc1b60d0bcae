"""Whose data a household member may see on the portal: one rule, for the dossier, the
access log and the export (the JSON routes and the pages ask it alike).

- themselves, always;
- a child in their custody, as the custody register confirmed it (a relation older than
  the freshness, or never confirmed, counts as unknown: not shown), under
  `child_consents_from` (12) always; from 12 to 15 only where `config/consent.toml`
  `[portal] custody_holders_see_12_to_15 = true` (default false: the child's own
  right of access, not the parent's); from `child_alone_from` (16) never;
- never another adult, never a child without a known birth date.

Restricted data (a VT reporter's identity, a shelter address) is only ever shown to
the person it is about: `shows_to` says so per category.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from consent import AgeRules

if TYPE_CHECKING:
    from consent import SqlConsentStore, SqlHouseholdStore
    from gateway.access.custody import CustodyFreshness

__all__ = [
    "CustodyView",
    "PortalRules",
    "StoreCustodyView",
    "Visible",
    "shows_to",
    "visible_subjects",
]

Relation = Literal["self", "child"]


@dataclass(frozen=True, slots=True)
class PortalRules:
    """`[portal]` of config/consent.toml."""

    custody_holders_see_12_to_15: bool = False

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> PortalRules:
        section = data.get("portal", {})
        if not isinstance(section, dict):
            raise ValueError("[portal] must be a table")
        unknown = set(section) - {"custody_holders_see_12_to_15"}
        if unknown:
            raise ValueError(f"unknown [portal] keys: {', '.join(sorted(unknown))}")
        value = section.get("custody_holders_see_12_to_15", False)
        if not isinstance(value, bool):
            raise ValueError("portal.custody_holders_see_12_to_15 must be true or false")
        return cls(custody_holders_see_12_to_15=value)

    @classmethod
    def load(cls, path: Path) -> PortalRules:
        """Read config/consent.toml; a missing file or section means the defaults."""
        if not path.exists():
            return cls()
        with path.open("rb") as fh:
            return cls.from_mapping(tomllib.load(fh))


class CustodyView(Protocol):
    """What the rule reads: custody the register stands behind now, and birth dates."""

    async def children_in_custody(self, parent: str, at: datetime) -> Sequence[str]:
        """Children with a register-confirmed custody relation to `parent` open at `at`."""
        ...

    async def custody_holders_now(self, child: str, at: datetime) -> frozenset[str]:
        """Who holds custody of `child` as the register confirms it within the freshness
        (none when stale or unknown)."""
        ...

    async def birth_date(self, person: str) -> date | None: ...


@dataclass(frozen=True, slots=True)
class Visible:
    """One person whose data the member may see, and how they relate."""

    person: str  # pseudonym
    relation: Relation
    age: int | None


async def visible_subjects(
    view: CustodyView, ages: AgeRules, portal: PortalRules, person: str, at: datetime
) -> list[Visible]:
    """The member first, then each child in their custody the age rules let them see."""
    own = await view.birth_date(person)
    seen = [Visible(person, "self", None if own is None else ages.age_at(own, at))]
    for child in await view.children_in_custody(person, at):
        if child == person:
            continue
        born = await view.birth_date(child)
        if born is None:
            continue
        age = ages.age_at(born, at)
        if age >= ages.child_alone_from:
            continue
        if age >= ages.child_consents_from and not portal.custody_holders_see_12_to_15:
            continue
        if person not in await view.custody_holders_now(child, at):
            continue  # custody the register no longer (or not freshly) confirms
        seen.append(Visible(child, "child", age))
    return seen


def shows_to(sensitivity: str, relation: Relation) -> bool:
    """Restricted data is shown only to the person it is about."""
    return sensitivity != "restricted" or relation == "self"


class StoreCustodyView:
    """`CustodyView` on the household and consent stores and the custody freshness."""

    def __init__(
        self,
        households: SqlHouseholdStore,
        consents: SqlConsentStore,
        custody: CustodyFreshness,
    ) -> None:
        self._households = households
        self._consents = consents
        self._custody = custody

    async def children_in_custody(self, parent: str, at: datetime) -> Sequence[str]:
        return await self._households.children_in_custody(parent, at)

    async def custody_holders_now(self, child: str, at: datetime) -> frozenset[str]:
        # No BSN here to re-read stale custody with: stale counts as unknown (fail closed).
        state = await self._custody.current(await self._consents.subject_state(child, at), None)
        return frozenset(state.custody_holders)

    async def birth_date(self, person: str) -> date | None:
        return await self._households.birth_date(person)
