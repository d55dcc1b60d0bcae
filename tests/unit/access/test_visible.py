"""Whose data a household member may see on the portal (`gateway.access.visible`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from consent import AgeRules
from gateway.access.visible import PortalRules, shows_to, visible_subjects

AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
RULES = AgeRules()
SHOW_12_15 = PortalRules(custody_holders_see_12_to_15=True)
DEFAULT = PortalRules()


def born(years: int) -> date:
    return date(AT.year - years, 1, 1)


@dataclass
class InMemoryCustody:
    births: dict[str, date]
    custody: set[tuple[str, str]]  # (parent, child) as the register confirmed it
    stale: set[str] = field(default_factory=set)  # children whose custody is not fresh

    async def children_in_custody(self, parent: str, at: datetime) -> Sequence[str]:
        return sorted(c for p, c in self.custody if p == parent)

    async def custody_holders_now(self, child: str, at: datetime) -> frozenset[str]:
        if child in self.stale:
            return frozenset()
        return frozenset(p for p, c in self.custody if c == child)

    async def birth_date(self, person: str) -> date | None:
        return self.births.get(person)


FAMILY = InMemoryCustody(
    births={
        "mum": born(40),
        "dad": born(42),
        "c8": born(8),
        "c13": born(13),
        "t16": born(16),
        "undated": born(5),
    },
    custody={("mum", "c8"), ("mum", "c13"), ("mum", "t16")},
)


async def people(
    view: InMemoryCustody, person: str, portal: PortalRules = DEFAULT
) -> list[tuple[str, str]]:
    seen = await visible_subjects(view, RULES, portal, person, AT)
    return [(v.person, v.relation) for v in seen]


async def test_a_parent_with_custody_sees_a_child_under_twelve_but_not_twelve_to_fifteen() -> None:
    assert await people(FAMILY, "mum") == [("mum", "self"), ("c8", "child")]


async def test_twelve_to_fifteen_only_where_the_portal_rules_allow() -> None:
    assert await people(FAMILY, "mum", SHOW_12_15) == [
        ("mum", "self"),
        ("c13", "child"),
        ("c8", "child"),
    ]


async def test_a_sixteen_year_old_is_never_shown_to_a_parent() -> None:
    assert ("t16", "child") not in await people(FAMILY, "mum", SHOW_12_15)


async def test_a_parent_without_custody_and_a_child_see_only_themselves() -> None:
    assert await people(FAMILY, "dad") == [("dad", "self")]
    assert await people(FAMILY, "c13") == [("c13", "self")]


async def test_custody_the_register_no_longer_freshly_confirms_shows_nothing() -> None:
    stale = InMemoryCustody(FAMILY.births, FAMILY.custody, stale={"c8"})
    assert await people(stale, "mum") == [("mum", "self")]


async def test_a_child_without_a_known_birth_date_is_not_shown() -> None:
    view = InMemoryCustody({"mum": born(40)}, {("mum", "undated")})
    assert await people(view, "mum") == [("mum", "self")]


def test_restricted_data_is_shown_only_to_the_person_it_is_about() -> None:
    assert shows_to("restricted", "self") and not shows_to("restricted", "child")
    assert shows_to("special", "child") and shows_to("normal", "child")


def test_portal_rules_load_from_consent_toml(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[3] / "config" / "consent.toml"
    assert PortalRules.load(shipped) == PortalRules(custody_holders_see_12_to_15=False)
    assert PortalRules.load(tmp_path / "missing.toml") == PortalRules()
    path = tmp_path / "consent.toml"
    path.write_text("[portal]\ncustody_holders_see_12_to_15 = true\n")
    assert PortalRules.load(path) == SHOW_12_15
    for text in ("[portal]\ncustody_holders_see_12_to_15 = 1\n", "[portal]\nother = true\n"):
        path.write_text(text)
        with pytest.raises(ValueError, match="portal"):
            PortalRules.load(path)
