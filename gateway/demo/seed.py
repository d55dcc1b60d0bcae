"""The demo deployment: synthetic households and consents in every state, and the sources.

Demo-only: it writes organisations' private keys and a list of synthetic people
(with their synthetic BSNs) under the data dir, so a newcomer can try every
rule and consent path. `gateway demo` refuses to seed a database that already
holds households it did not seed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from adapters.reference.synthetic import Population, generate_population
from consent import (
    Actor,
    ConsentScope,
    CustodySource,
    NewConsent,
    NewMember,
    SqlCaseStore,
    SqlConsentStore,
    SqlHouseholdStore,
    confirm_claims,
)
from gateway.auth.organisations import OrganisationRegistry

__all__ = [
    "DEMO_CASES",
    "DEMO_SEED",
    "DemoSeed",
    "demo_population",
    "scenario_guide",
    "seed_demo",
    "write_people",
]

DEMO_SEED = 2026
SUPPORT_SCOPE = ConsentScope(
    purposes=frozenset({"support_planning"}),
    categories=frozenset(
        {"contact_details", "household_composition", "support_plan", "school", "health"}
    ),
    recipient_types=frozenset({"wijkteam"}),
)


# Open cases the demo registers: (organisation type, reference, scenarios covered), so
# the GI's and the Raad's rules that need a registered case have one to hold for.
DEMO_CASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("gi", "GI-DEMO-2026-0001", ("child_under_ots",)),
    ("rvdk", "RVDK-DEMO-2026-0001", ("rvdk_investigation", "criminal_record")),
    # Veilig Thuis's investigation after a report about the toddler (its safety assessment
    # needs a case), and the pilot's RVT on the same household.
    ("veilig_thuis", "VT-DEMO-2026-0001", ("vt_report_subject", "shelter_address")),
    ("rvt", "RVT-DEMO-2026-0001", ("vt_report_subject", "child_16_17")),
)


@dataclass(frozen=True)
class DemoSeed:
    households: int
    consents: dict[str, int]  # status → count


def demo_population(organisations: OrganisationRegistry, today: date | None = None) -> Population:
    """The synthetic population, with regiehouders set to the configured organisation ids."""
    by_type = {org.type: org.id for org in organisations}
    return generate_population(DEMO_SEED, households=12, today=today, org_ids=by_type)


def write_people(population: Population, data_dir: Path) -> Path:
    path = data_dir / "demo" / "people.json"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(json.dumps(population.to_json(), indent=2, ensure_ascii=False))
    path.chmod(0o600)
    return path


def _birthday(birth: date, years: int) -> datetime:
    day = (
        birth.replace(year=birth.year + years)
        if not (birth.month == 2 and birth.day == 29)
        else date(birth.year + years, 3, 1)
    )
    return datetime.combine(day, time(9, 0), UTC)


async def seed_demo(
    population: Population,
    households: SqlHouseholdStore,
    consents: SqlConsentStore,
    pseudonymise: Callable[[str], str],
    *,
    custody: CustodySource,
    policy_version: str,
    now: datetime | None = None,
    organisations: OrganisationRegistry | None = None,
    cases: SqlCaseStore | None = None,
) -> DemoSeed:
    """Register every household and consents in every state; one call, on an empty database.

    Like any registration, each household's members and custody are first confirmed by
    the custody register (`custody`: the demo's reference register). With
    `organisations`, each household gets its regiehouder's region (where consent to an
    organisation type counts); with `cases` too, the `DEMO_CASES` are opened."""
    now = now or datetime.now(UTC)
    registered_at = now - timedelta(days=2 * 365)
    ps = {p.bsn: pseudonymise(p.bsn) for p in population.people}
    births = {p.bsn: p.birth_date for p in population.people}
    system = Actor(kind="system")
    regions = {org.id: org.region for org in organisations or ()}
    for hh in population.households:
        people = [population.person(bsn) for bsn in hh.members]
        members = [NewMember(ps[p.bsn], p.birth_date, p.role) for p in people if p is not None]
        at = max(registered_at, max(datetime.combine(m.birth_date, time(), UTC) for m in members))
        claimed = [c for c in hh.custody if c.has_custody]
        known = await confirm_claims(
            custody,
            [(p.bsn, p.birth_date) for p in people if p is not None],
            [(c.parent_bsn, c.child_bsn) for c in claimed],
        )
        relations = {
            (pseudonymise(holder), ps[bsn])
            for bsn in hh.members
            for holder in known[bsn].custody_holders
        }
        await households.register(
            regiehouder=hh.regiehouder,
            members=members,
            custody_pairs=sorted(relations),
            contact_organisation=hh.regiehouder,
            contact_professional=hh.contact_person,
            actor=system,
            at=at,
            region=regions.get(hh.regiehouder),
            custody_confirmed_at=now,
        )
    if organisations is not None and cases is not None:
        owners = {org.type: org.id for org in organisations}
        for org_type, reference, scenarios in DEMO_CASES:
            owner = owners[org_type]
            await cases.open(
                cases.prepare(
                    organisation=owner,
                    reference=reference,
                    subjects=[ps[population.scenario(name).bsn] for name in scenarios],
                    actor=Actor("professional", organisation=owner, professional="demo"),
                    at=registered_at,
                )
            )

    counts: dict[str, int] = {}

    async def grant(
        subject: str,
        giver: str,
        *,
        given_at: datetime,
        until: datetime | None = None,
        decision: str = "grant",
        scope: ConsentScope = SUPPORT_SCOPE,
    ) -> str:
        record = await consents.record(
            NewConsent(
                subject=ps[subject],
                given_by=ps[giver],
                decision=decision,  # type: ignore[arg-type]
                scope=scope,
                recorded_via="paper",
                recorded_by=Actor(
                    kind="professional",
                    organisation=_regiehouder(population, subject),
                    professional="demo-professional",
                ),
                given_at=given_at,
                valid_from=given_at,
                valid_until=until,
                evidence_reference="demo-paper-form",
                policy_version=policy_version,
            ),
            at=given_at,
        )
        return record.id

    child12 = population.scenario("child_consented_at_11")
    child7 = population.scenario("child_under_12")
    parents = [
        c.parent_bsn
        for hh in population.households
        for c in hh.custody
        if c.child_bsn == child12.bsn and c.has_custody
    ]
    # Parents with custody consented when the child was 11: no longer enough at 12.
    at_eleven = _birthday(births[child12.bsn], 12) - timedelta(days=30)
    for parent in parents:
        await grant(child12.bsn, parent, given_at=at_eleven)
    # The same parents for the 7-year-old: sufficient (under 12, parents decide).
    for parent in parents:
        await grant(child7.bsn, parent, given_at=now - timedelta(days=60))
    counts["active"] = 2 * len(parents)
    # Each parent for themselves: one active, one withdrawn.
    await grant(parents[0], parents[0], given_at=now - timedelta(days=90))
    counts["active"] += 1
    withdrawn = await grant(parents[1], parents[1], given_at=now - timedelta(days=90))
    await consents.withdraw(
        withdrawn, actor=Actor(kind="person", person=ps[parents[1]]), at=now - timedelta(days=10)
    )
    counts["withdrawn"] = 1
    # The single adult: an expired consent and a refusal.
    adult = population.scenario("adult")
    await grant(
        adult.bsn, adult.bsn, given_at=now - timedelta(days=400), until=now - timedelta(days=35)
    )
    counts["expired"] = 1
    await grant(
        adult.bsn,
        adult.bsn,
        given_at=now - timedelta(days=20),
        decision="refuse",
        scope=ConsentScope(
            purposes=frozenset({"support_planning"}),
            categories=frozenset({"health"}),
            recipient_types=frozenset({"wijkteam"}),
        ),
    )
    counts["refused"] = 1
    await consents.expire_due(now)
    return DemoSeed(len(population.households), counts)


def _regiehouder(population: Population, bsn: str) -> str:
    person = population.person(bsn)
    household = population.household(person.household_id) if person else None
    return household.regiehouder if household else "system"


def scenario_guide(population: Population) -> Mapping[str, str]:
    """Which synthetic BSN to try for which path (printed by `gateway demo`)."""
    return {name: population.scenario(name).bsn for name in sorted(population.scenarios)}
