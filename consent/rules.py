"""Age and representation rules (pure functions), applied at decision time.

Under `child_consents_from` (12) the parents with custody consent; from there to
`child_alone_from` (16) both the child and the parents with custody; from then on
the young person alone; adults themselves. A parent without custody never counts.
Ages come from the birth date on the day of the decision, so a parents' consent for
an 11-year-old stops being enough on the 12th birthday and stops counting on the 16th.
That day is the calendar day in the configured time zone (`time_zone`, default
Europe/Amsterdam): a birthday begins at local midnight, not at midnight UTC.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from consent.model import ConsentRecord, Coverage, RequesterRef, SourceRef

__all__ = ["DEFAULT_TIME_ZONE", "AgeRules", "Requirement", "age_on", "evaluate", "requirement"]

CUSTODY_LABEL = "custody_holder"
#: Dutch law counts ages by the Dutch calendar day.
DEFAULT_TIME_ZONE = "Europe/Amsterdam"


@dataclass(frozen=True, slots=True)
class AgeRules:
    child_consents_from: int = 12
    child_alone_from: int = 16
    custody_holders: Literal["all", "any"] = "all"
    time_zone: str = DEFAULT_TIME_ZONE  # whose calendar day a birthday begins on

    def __post_init__(self) -> None:
        if not 0 < self.child_consents_from <= self.child_alone_from <= 18:
            raise ValueError(
                "age thresholds must satisfy 0 < child_consents_from <= child_alone_from <= 18"
            )
        if self.custody_holders not in ("all", "any"):
            raise ValueError("custody_holders must be 'all' or 'any'")
        _zone(self.time_zone)  # an unknown zone fails at load, not at the first decision

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.time_zone)

    def age_at(self, birth_date: date, at: datetime) -> int:
        """Completed years at the instant `at`, on the calendar of `time_zone`."""
        if at.tzinfo is None:
            raise ValueError("age_at needs an aware datetime")
        return age_on(birth_date, at.astimezone(self.zone).date())

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> AgeRules:
        section = data.get("age_rules", {})
        if not isinstance(section, Mapping):
            raise ValueError("[age_rules] must be a table")
        unknown = set(section) - {
            "child_consents_from",
            "child_alone_from",
            "custody_holders",
            "time_zone",
        }
        if unknown:
            raise ValueError(f"unknown [age_rules] keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name in ("child_consents_from", "child_alone_from"):
            if name in section:
                value = section[name]
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError(f"age_rules.{name} must be an integer")
                values[name] = value
        if "custody_holders" in section:
            values["custody_holders"] = section["custody_holders"]
        if "time_zone" in section:
            if not isinstance(section["time_zone"], str):
                raise ValueError("age_rules.time_zone must be a string such as 'Europe/Amsterdam'")
            values["time_zone"] = section["time_zone"]
        return cls(**values)

    @classmethod
    def load(cls, path: Path) -> AgeRules:
        """Read `config/consent.toml`; a missing file means the statutory defaults."""
        if not path.exists():
            return cls()
        with path.open("rb") as fh:
            return cls.from_mapping(tomllib.load(fh))


def age_on(birth_date: date, on: date) -> int:
    """Completed years on the calendar day `on` (a birthday counts from its first moment).

    Callers with an instant use `AgeRules.age_at`, which picks the day in the configured
    zone; `datetime.date()` of a UTC time is the wrong day for an hour or two each night.
    """
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


@dataclass(frozen=True, slots=True)
class Requirement:
    """Who must consent: every group must be satisfied; a group is satisfied when any
    one person in it consents. An empty group can never be satisfied (no one known)."""

    rule: str
    groups: tuple[frozenset[str], ...]

    @property
    def people(self) -> frozenset[str]:
        return frozenset().union(*self.groups) if self.groups else frozenset()


def requirement(
    subject: str,
    birth_date: date | None,
    custody_holders: Iterable[str],
    at: datetime,
    rules: AgeRules,
) -> Requirement:
    """Whose consent is needed for `subject` at `at` (custody holders as of `at`)."""
    if birth_date is None:
        return Requirement("not_registered", (frozenset({subject}),))
    age = rules.age_at(birth_date, at)
    if age >= rules.child_alone_from:
        return Requirement("self", (frozenset({subject}),))
    holders = frozenset(custody_holders) - {subject}
    if rules.custody_holders == "all" and holders:
        parent_groups: tuple[frozenset[str], ...] = tuple(frozenset({h}) for h in sorted(holders))
    else:
        parent_groups = (holders,)
    if age >= rules.child_consents_from:
        return Requirement("child_and_custody_holders", (frozenset({subject}), *parent_groups))
    return Requirement("custody_holders", parent_groups)


def evaluate(
    subject: str,
    birth_date: date | None,
    custody_holders: Iterable[str],
    consents: Sequence[ConsentRecord],
    requester: RequesterRef,
    purpose: str,
    category: str,
    source: SourceRef | None,
    at: datetime,
    rules: AgeRules,
    household_region: str | None = None,
) -> Coverage:
    """Whether the live declarations cover one item, and who must still consent.

    `household_region` is the region of the subject's household: a consent to an
    organisation type covers that type only there (or in the regions it names).

    A person counts when they have a matching grant in force and no matching refusal
    in force; only declarations about `subject` given by that person count, so a
    parent without custody (not among `custody_holders`) never counts.
    """
    need = requirement(subject, birth_date, custody_holders, at, rules)
    if need.rule == "not_registered":
        return Coverage(False, (), (subject,), need.rule)
    people = need.people
    grants: dict[str, list[str]] = {}
    refused: set[str] = set()
    for record in consents:
        if record.subject != subject or record.given_by not in people:
            continue
        if not record.in_force(at) or not record.scope.matches(
            purpose, category, requester, source, household_region
        ):
            continue
        if record.decision == "refuse":
            refused.add(record.given_by)
        else:
            grants.setdefault(record.given_by, []).append(record.id)
    consenting = {p for p in grants if p not in refused}
    used: list[str] = []
    missing: list[str] = []
    for group in need.groups:
        present = sorted(group & consenting)
        if present:
            for person in present:
                used.extend(grants[person])
        elif group:
            missing.extend(sorted(group))
        else:
            missing.append(CUSTODY_LABEL)
    ok = not missing
    return Coverage(ok, tuple(sorted(set(used))) if ok else (), tuple(missing), need.rule)


def _zone(name: str) -> ZoneInfo:
    """The zone called `name` (ZoneInfo keeps one instance per name)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"age_rules.time_zone {name!r} is not a known time zone") from None
