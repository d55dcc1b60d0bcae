"""Deterministic synthetic households for the demo and the tests.

Same seed and same `today` give the same population, byte for byte. Every BSN
passes the elfproef and starts with 9999; every name ends in "-Synthetisch";
addresses, phone numbers and e-mail addresses are plainly fictitious. The first
four households are fixed scenarios (so tests and the demo can rely on them, see
`Population.scenario`); the rest vary with the seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from adapters.reference import records

__all__ = [
    "AGE_BANDS",
    "DEFAULT_ORG_IDS",
    "ORG_TYPES",
    "SCENARIOS",
    "Custody",
    "Household",
    "Person",
    "Population",
    "age_band",
    "age_on",
    "elfproef",
    "generate_population",
]

Role = Literal["parent", "child", "adult"]
AGE_BANDS = ("under_12", "12_15", "16_17", "adult")
ORG_TYPES = ("wijkteam", "veilig_thuis", "gi", "rvdk", "rvt")
DEFAULT_ORG_IDS: Mapping[str, str] = {org_type: org_type for org_type in ORG_TYPES}
SCENARIOS = (
    "child_consented_at_11",  # 12-15 now, turned 12 two to four months ago
    "child_under_12",
    "child_16_17",
    "parent_without_custody",
    "shelter_address",  # a parent living in a shelter (restricted address)
    "vt_report_subject",  # a child a VT report with the reporter's identity is about
    "child_under_ots",  # a child under a GI protection measure (OTS)
    "rvdk_investigation",  # a child with an RvdK investigation report
    "criminal_record",  # a parent with a criminal record note (art. 10)
    "adult",  # an adult living on their own, with finances on file
)

_GIVEN = (
    "Anna", "Bram", "Daan", "Emma", "Fleur", "Gijs", "Iris", "Julia", "Kees", "Lotte",
    "Milan", "Noor", "Olaf", "Puck", "Ruben", "Sanne", "Thijs", "Vera", "Wouter", "Yara",
)  # fmt: skip
_FAMILY = (
    "Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer",
)  # fmt: skip


def elfproef(bsn: str) -> bool:
    """The BSN 11-proof: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is divisible by 11."""
    if len(bsn) != 9 or not bsn.isascii() or not bsn.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(bsn, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True))
    return total % 11 == 0


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day`."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def age_band(birth_date: date, day: date) -> str:
    """The consent age band: under_12, 12_15, 16_17 or adult."""
    age = age_on(birth_date, day)
    if age < 12:
        return "under_12"
    if age < 16:
        return "12_15"
    return "16_17" if age < 18 else "adult"


@dataclass(frozen=True, slots=True)
class Person:
    bsn: str = field(repr=False)
    name: str
    birth_date: date
    household_id: str
    role: Role

    def to_json(self) -> dict[str, str]:
        return {
            "bsn": self.bsn,
            "name": self.name,
            "birth_date": self.birth_date.isoformat(),
            "household_id": self.household_id,
            "role": self.role,
        }


@dataclass(frozen=True, slots=True)
class Custody:
    """A parent → child relation; `has_custody` False means a parent without gezag."""

    parent_bsn: str
    child_bsn: str
    has_custody: bool


@dataclass(frozen=True, slots=True)
class Household:
    id: str
    family_name: str
    members: tuple[str, ...]
    custody: tuple[Custody, ...]
    regiehouder: str  # organisation id
    contact_person: str  # the vaste contactpersoon
    involved: tuple[str, ...]  # organisation types that hold records on this household

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "members": list(self.members),
            "custody": [
                {"parent": c.parent_bsn, "child": c.child_bsn, "has_custody": c.has_custody}
                for c in self.custody
            ],
            "regiehouder": self.regiehouder,
            "contact_person": self.contact_person,
        }


@dataclass(frozen=True)
class Population:
    """Everyone, their households and what each organisation type's system holds."""

    seed: int
    today: date
    people: tuple[Person, ...]
    households: tuple[Household, ...]
    # org type → BSN → the native document that organisation's system holds
    source_records: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(repr=False)
    scenarios: Mapping[str, str] = field(repr=False)  # scenario name → BSN

    def person(self, bsn: str) -> Person | None:
        return next((p for p in self.people if p.bsn == bsn), None)

    def household(self, household_id: str) -> Household | None:
        return next((h for h in self.households if h.id == household_id), None)

    def age(self, person: Person) -> int:
        return age_on(person.birth_date, self.today)

    def find(
        self,
        *,
        role: Role | None = None,
        band: str | None = None,
        household_id: str | None = None,
    ) -> tuple[Person, ...]:
        """People matching every given filter, in population order."""
        return tuple(
            p
            for p in self.people
            if (role is None or p.role == role)
            and (band is None or age_band(p.birth_date, self.today) == band)
            and (household_id is None or p.household_id == household_id)
        )

    def scenario(self, name: str) -> Person:
        """The person a fixed scenario is about (KeyError for an unknown name)."""
        person = self.person(self.scenarios[name])
        assert person is not None  # scenarios only ever name generated people
        return person

    def document(self, org_type: str, bsn: str) -> dict[str, Any] | None:
        """A fresh copy of what `org_type`'s system holds about `bsn`, or None."""
        found = self.source_records.get(org_type, {}).get(bsn)
        return None if found is None else json.loads(json.dumps(found))

    def to_json(self) -> list[dict[str, str]]:
        """The people list the demo shows: bsn, name, birth_date, household_id, role."""
        return [p.to_json() for p in self.people]


def generate_population(
    seed: int = 2026,
    households: int = 12,
    today: date | None = None,
    *,
    org_ids: Mapping[str, str] = DEFAULT_ORG_IDS,
) -> Population:
    """A deterministic synthetic population; at least the four scenario households."""
    if not 4 <= households <= 500:
        raise ValueError("households must be between 4 and 500")
    missing = set(ORG_TYPES) - set(org_ids)
    if missing:
        raise ValueError(f"org_ids lacks organisation type(s) {sorted(missing)}")
    day = today or date.today()
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    builder = _Builder(rng, day, org_ids)
    builder.scenario_households()
    while len(builder.households) < households:
        builder.random_household()
    people = tuple(builder.people)
    source_records = records.build_source_records(
        random.Random(seed + 1),  # noqa: S311 - reproducible test data, not secrets
        day,
        people,
        builder.households,
        builder.scenarios,
    )
    return Population(
        seed=seed,
        today=day,
        people=people,
        households=tuple(builder.households),
        source_records=source_records,
        scenarios=dict(builder.scenarios),
    )


def _valid_bsns(rng: random.Random) -> list[str]:
    """Every elfproef-valid BSN starting with 9999, in seeded random order."""
    found = []
    for tail in range(10_000):
        head = f"9999{tail:04d}"
        check = sum(int(d) * w for d, w in zip(head, range(9, 1, -1), strict=True)) % 11
        if check != 10:
            found.append(f"{head}{check}")
    rng.shuffle(found)
    return found


class _Builder:
    """Accumulates people and households while generating (not exported)."""

    def __init__(self, rng: random.Random, today: date, org_ids: Mapping[str, str]) -> None:
        self.rng = rng
        self.today = today
        self.org_ids = org_ids
        self.people: list[Person] = []
        self.households: list[Household] = []
        self.scenarios: dict[str, str] = {}
        self._bsns = _valid_bsns(rng)
        self._families = list(_FAMILY)
        rng.shuffle(self._families)

    def birth_date(self, age: int, *, days_since_birthday: tuple[int, int] = (20, 340)) -> date:
        """A birth date making someone exactly `age` today."""
        anniversary = _years_before(self.today, age)
        return anniversary - timedelta(days=self.rng.randint(*days_since_birthday))

    def person(self, household_id: str, name: str, age: int, role: Role, **kw: Any) -> Person:
        person = Person(
            bsn=self._bsns.pop(),
            name=name,
            birth_date=self.birth_date(age, **kw),
            household_id=household_id,
            role=role,
        )
        self.people.append(person)
        return person

    def household(
        self,
        ages: tuple[tuple[int, Role], ...],
        *,
        regiehouder: str,
        involved: tuple[str, ...],
        without_custody: tuple[int, ...] = (),
        recent_birthday: tuple[int, ...] = (),
    ) -> list[Person]:
        """Members in the order of `ages`; indexes name parents without custody etc."""
        household_id = f"hh-{len(self.households) + 1:03d}"
        family = self._families[len(self.households) % len(self._families)]
        members = []
        givens = self.rng.sample(_GIVEN, len(ages))
        for index, (age, role) in enumerate(ages):
            kw = {"days_since_birthday": (60, 120)} if index in recent_birthday else {}
            name = f"{givens[index]} {family}-Synthetisch"
            members.append(self.person(household_id, name, age, role, **kw))
        parents = [(i, p) for i, p in enumerate(members) if p.role == "parent"]
        children = [p for p in members if p.role == "child"]
        custody = tuple(
            Custody(parent.bsn, child.bsn, index not in without_custody)
            for index, parent in parents
            for child in children
        )
        contact = f"{self.rng.choice(_GIVEN)} {self.rng.choice(_FAMILY)}-Synthetisch"
        self.households.append(
            Household(
                id=household_id,
                family_name=f"{family}-Synthetisch",
                members=tuple(p.bsn for p in members),
                custody=custody,
                regiehouder=self.org_ids[regiehouder],
                contact_person=contact,
                involved=involved,
            )
        )
        return members

    def scenario_households(self) -> None:
        mum, dad, child12, child7 = self.household(
            ((41, "parent"), (43, "parent"), (12, "child"), (7, "child")),
            regiehouder="wijkteam",
            involved=("wijkteam",),
            recent_birthday=(2,),
        )
        self.scenarios["child_consented_at_11"] = child12.bsn
        self.scenarios["child_under_12"] = child7.bsn
        mum, dad, teen, toddler = self.household(
            ((36, "parent"), (39, "parent"), (16, "child"), (4, "child")),
            regiehouder="veilig_thuis",
            involved=("wijkteam", "veilig_thuis", "rvt"),
            without_custody=(1,),
        )
        self.scenarios.update(
            parent_without_custody=dad.bsn,
            shelter_address=mum.bsn,
            child_16_17=teen.bsn,
            vt_report_subject=toddler.bsn,
        )
        _, dad, child14, _ = self.household(
            ((38, "parent"), (40, "parent"), (14, "child"), (10, "child")),
            regiehouder="gi",
            involved=("wijkteam", "veilig_thuis", "gi", "rvdk", "rvt"),
        )
        self.scenarios.update(
            child_under_ots=child14.bsn, rvdk_investigation=child14.bsn, criminal_record=dad.bsn
        )
        (single,) = self.household(((52, "adult"),), regiehouder="wijkteam", involved=("wijkteam",))
        self.scenarios["adult"] = single.bsn

    def random_household(self) -> None:
        rng = self.rng
        ages: list[tuple[int, Role]] = [(rng.randint(24, 50), "parent")]
        if rng.random() < 0.7:
            ages.append((rng.randint(24, 52), "parent"))
        ages += [(rng.randint(0, 17), "child") for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.2:
            ages.append((rng.randint(60, 80), "adult"))
        involved = ["wijkteam"] if rng.random() < 0.8 else []
        if rng.random() < 0.3:
            involved += ["veilig_thuis", "rvt"]
        if rng.random() < 0.2:
            involved += ["gi", "rvdk"]
        two_parents = sum(1 for _, role in ages if role == "parent") == 2
        without = (1,) if two_parents and rng.random() < 0.15 else ()
        self.household(
            tuple(ages),
            regiehouder=involved[0] if involved else "wijkteam",
            involved=tuple(dict.fromkeys(involved)),
            without_custody=without,
        )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)
