"""`SqlHouseholdStore`: households, members, custody and the contact person, with history.

Nothing is overwritten: an ending (a member moves out, custody ends, another
contact person) closes the open row (`until_at`) and, where something replaces
it, a new row starts; every change is also appended to `household_events`.

Every write is one transaction (`begin_write`) that ends with the caller's audit
step (`AuditStep`): the change and its audit entry commit together or not at all.

A person's regiehouder is not self-assigned: a person who is a current member of a
household of another regiehouder cannot be registered or added (until that
regiehouder hands the household over, `transfer`). The check runs under a lock on
the people concerned (`lock_people`), so two organisations cannot race past it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consent._sql import (
    AuditStep,
    actor_from,
    append_event,
    aware,
    begin_write,
    lock_people,
    new_id,
    utc,
)
from consent.errors import (
    HouseholdNotFoundError,
    InvalidHouseholdError,
    NotRegiehouderError,
    RegiehouderExistsError,
)
from consent.model import (
    MEMBER_ROLES,
    Actor,
    CustodyRelation,
    Household,
    HouseholdEvent,
    Member,
    NewMember,
)
from consent.tables import (
    custody,
    household_contacts,
    household_events,
    household_members,
    households,
)

__all__ = ["SqlHouseholdStore", "check_household"]


def _open_at(table: Any, at: datetime) -> Any:
    return and_(table.c.since <= at, or_(table.c.until_at.is_(None), table.c.until_at > at))


def check_household(
    members: Sequence[NewMember], custody_pairs: Sequence[tuple[str, str]], at: datetime
) -> None:
    """The shape of a new household (`InvalidHouseholdError`): checked before anyone is
    asked about it, and again by `register`. A custody holder need not live in the
    household (the custody register names them), the child must."""
    persons = [m.person for m in members]
    if not members:
        raise InvalidHouseholdError("a household needs at least one member")
    if len(set(persons)) != len(persons):
        raise InvalidHouseholdError("a person is listed twice")
    for member in members:
        if member.role not in MEMBER_ROLES:
            raise InvalidHouseholdError(f"role must be one of {', '.join(sorted(MEMBER_ROLES))}")
        if member.birth_date > at.date():
            raise InvalidHouseholdError("a birth date lies in the future")
    for parent, child in custody_pairs:
        if parent == child or child not in persons:
            raise InvalidHouseholdError("custody must link a member to another person")
    if len(set(custody_pairs)) != len(custody_pairs):
        raise InvalidHouseholdError("a custody relation is listed twice")


class SqlHouseholdStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def register(
        self,
        *,
        regiehouder: str,
        members: Sequence[NewMember],
        custody_pairs: Sequence[tuple[str, str]],
        contact_organisation: str,
        contact_professional: str,
        actor: Actor,
        at: datetime | None = None,
        region: str | None = None,
        custody_confirmed_at: datetime | None = None,
        audit: AuditStep | None = None,
    ) -> Household:
        """Register a household; `custody_pairs` are (parent, child) pseudonyms; `region`
        is the regiehouder's region (where consent to an organisation type counts).

        `custody_confirmed_at` is when the custody register confirmed every pair (the
        caller asked it); without it the relations are kept but count for nothing.
        Refused (`RegiehouderExistsError`) if a member is a current member of a
        household another organisation is regiehouder of."""
        when = utc(at or datetime.now(UTC))
        check_household(members, custody_pairs, when)
        household_id = new_id("hh")
        persons = [m.person for m in members]
        confirmed = utc(custody_confirmed_at) if custody_confirmed_at is not None else None
        async with begin_write(self._engine) as conn:
            await lock_people(conn, persons)
            await _require_no_other_regiehouder(conn, persons, regiehouder, when)
            await conn.execute(
                insert(households).values(
                    id=household_id, regiehouder=regiehouder, created_at=when, region=region
                )
            )
            await conn.execute(
                insert(household_members),
                [
                    {
                        "household_id": household_id,
                        "person": m.person,
                        "birth_date": m.birth_date,
                        "role": m.role,
                        "since": when,
                    }
                    for m in members
                ],
            )
            if custody_pairs:
                await conn.execute(
                    insert(custody),
                    [
                        {
                            "household_id": household_id,
                            "parent": p,
                            "child": c,
                            "since": when,
                            "confirmed_at": confirmed,
                        }
                        for p, c in custody_pairs
                    ],
                )
            await _open_contact(
                conn, household_id, contact_organisation, contact_professional, when
            )
            await _event(
                conn,
                household_id,
                "registered",
                when,
                actor,
                {"members": str(len(members))},
                audit=audit,
            )
        return await self.get(household_id)

    async def get(self, household_id: str) -> Household:
        async with self._engine.connect() as conn:
            head = (
                await conn.execute(select(households).where(households.c.id == household_id))
            ).first()
            if head is None:
                raise HouseholdNotFoundError("no such household")
            members = await _history(conn, household_members, household_id)
            relations = await _history(conn, custody, household_id)
            contacts = await _history(conn, household_contacts, household_id)
            events = await _history(conn, household_events, household_id)
        current = [c for c in contacts if c.until_at is None] or list(contacts[-1:])
        return Household(
            id=head.id,
            regiehouder=head.regiehouder,
            contact_organisation=current[-1].organisation,
            contact_professional=current[-1].professional,
            created_at=aware(head.created_at),
            members=tuple(
                Member(
                    m.person,
                    m.birth_date,
                    m.role,
                    aware(m.since),
                    aware(m.until_at) if m.until_at else None,
                )
                for m in members
            ),
            custody=tuple(
                CustodyRelation(
                    r.parent,
                    r.child,
                    aware(r.since),
                    aware(r.until_at) if r.until_at else None,
                    aware(r.confirmed_at) if r.confirmed_at else None,
                )
                for r in relations
            ),
            events=tuple(
                HouseholdEvent(e.event, aware(e.at), actor_from(e.actor), dict(e.detail))
                for e in events
            ),
            region=head.region,
        )

    async def households_of(self, person: str, at: datetime | None = None) -> list[str]:
        """Ids of the households `person` belongs to at `at` (oldest first)."""
        when = utc(at or datetime.now(UTC))
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(household_members.c.household_id)
                .where(household_members.c.person == person, _open_at(household_members, when))
                .order_by(household_members.c.id)
            )
            return list(dict.fromkeys(r.household_id for r in rows))

    async def has_custody(self, parent: str, child: str, at: datetime | None = None) -> bool:
        when = utc(at or datetime.now(UTC))
        async with self._engine.connect() as conn:
            row = await conn.execute(
                select(custody.c.id)
                .where(
                    custody.c.parent == parent,
                    custody.c.child == child,
                    custody.c.confirmed_at.is_not(None),
                    _open_at(custody, when),
                )
                .limit(1)
            )
            return row.first() is not None

    async def children_in_custody(self, parent: str, at: datetime | None = None) -> list[str]:
        when = utc(at or datetime.now(UTC))
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(custody.c.child).where(
                    custody.c.parent == parent,
                    custody.c.confirmed_at.is_not(None),
                    _open_at(custody, when),
                )
            )
            return sorted({r.child for r in rows})

    async def birth_date(self, person: str) -> date | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(household_members.c.birth_date)
                    .where(household_members.c.person == person)
                    .limit(1)
                )
            ).first()
        return row.birth_date if row else None

    # -- changes (each closes what ends and appends an event) ---------------------------

    async def member_joined(
        self,
        household_id: str,
        member: NewMember,
        *,
        actor: Actor,
        at: datetime | None = None,
        custody_holders: Sequence[str] = (),
        confirmed_at: datetime | None = None,
        audit: AuditStep | None = None,
    ) -> Household:
        """A member joins, with the custody over them the register confirmed (same write)."""
        when = utc(at or datetime.now(UTC))
        if member.role not in MEMBER_ROLES:
            raise InvalidHouseholdError(f"role must be one of {', '.join(sorted(MEMBER_ROLES))}")
        async with begin_write(self._engine) as conn:
            await lock_people(conn, [member.person])
            regiehouder = await _require(conn, household_id)
            await _require_no_other_regiehouder(conn, [member.person], regiehouder, when)
            if await _open_member(conn, household_id, member.person):
                raise InvalidHouseholdError("the person is already a member")
            await conn.execute(
                insert(household_members).values(
                    household_id=household_id,
                    person=member.person,
                    birth_date=member.birth_date,
                    role=member.role,
                    since=when,
                )
            )
            holders = sorted(set(custody_holders) - {member.person})
            if holders:
                confirmed = utc(confirmed_at) if confirmed_at is not None else None
                await conn.execute(
                    insert(custody),
                    [
                        {
                            "household_id": household_id,
                            "parent": holder,
                            "child": member.person,
                            "since": when,
                            "confirmed_at": confirmed,
                        }
                        for holder in holders
                    ],
                )
            # The audit step runs last, so the entry commits with every row above.
            await _event(
                conn,
                household_id,
                "member_joined",
                when,
                actor,
                {"person": member.person},
                audit=audit,
            )
        return await self.get(household_id)

    async def member_moved_out(
        self,
        household_id: str,
        person: str,
        *,
        actor: Actor,
        at: datetime | None = None,
        audit: AuditStep | None = None,
    ) -> Household:
        """Close the membership; custody is a legal tie and stays until ended itself."""
        when = utc(at or datetime.now(UTC))
        async with begin_write(self._engine) as conn:
            await _require(conn, household_id)
            if not await _open_member(conn, household_id, person):
                raise InvalidHouseholdError("the person is not a current member")
            await conn.execute(
                update(household_members)
                .where(
                    household_members.c.household_id == household_id,
                    household_members.c.person == person,
                    household_members.c.until_at.is_(None),
                )
                .values(until_at=when)
            )
            await _event(
                conn, household_id, "member_moved_out", when, actor, {"person": person}, audit=audit
            )
        return await self.get(household_id)

    async def custody_granted(
        self,
        household_id: str,
        parent: str,
        child: str,
        *,
        actor: Actor,
        at: datetime | None = None,
        confirmed_at: datetime | None = None,
        audit: AuditStep | None = None,
    ) -> Household:
        """Custody from `at` on; `confirmed_at` as for `register` (None: it does not count)."""
        when = utc(at or datetime.now(UTC))
        if parent == child:
            raise InvalidHouseholdError("custody must link two different members")
        async with begin_write(self._engine) as conn:
            await _require(conn, household_id)
            for person in (parent, child):
                if not await _open_member(conn, household_id, person):
                    raise InvalidHouseholdError("custody must link two current members")
            if await _open_custody(conn, household_id, parent, child):
                raise InvalidHouseholdError("this custody relation already exists")
            await conn.execute(
                insert(custody).values(
                    household_id=household_id,
                    parent=parent,
                    child=child,
                    since=when,
                    confirmed_at=utc(confirmed_at) if confirmed_at is not None else None,
                )
            )
            await _event(
                conn,
                household_id,
                "custody_granted",
                when,
                actor,
                {"parent": parent, "child": child},
                audit=audit,
            )
        return await self.get(household_id)

    async def custody_ended(
        self,
        household_id: str,
        parent: str,
        child: str,
        *,
        actor: Actor,
        at: datetime | None = None,
        audit: AuditStep | None = None,
    ) -> Household:
        when = utc(at or datetime.now(UTC))
        async with begin_write(self._engine) as conn:
            await _require(conn, household_id)
            if not await _open_custody(conn, household_id, parent, child):
                raise InvalidHouseholdError("no such custody relation in force")
            await conn.execute(
                update(custody)
                .where(
                    custody.c.household_id == household_id,
                    custody.c.parent == parent,
                    custody.c.child == child,
                    custody.c.until_at.is_(None),
                )
                .values(until_at=when)
            )
            await _event(
                conn,
                household_id,
                "custody_ended",
                when,
                actor,
                {"parent": parent, "child": child},
                audit=audit,
            )
        return await self.get(household_id)

    async def custody_reconfirmed(
        self,
        child: str,
        confirmed: frozenset[str],
        *,
        at: datetime | None = None,
        audit: AuditStep | None = None,
    ) -> None:
        """Follow the custody register for `child`: every open relation whose parent the
        register names again gets `confirmed_at = at`; every other one ends at `at`, with a
        `custody_ended` event (actor: the system) in its household's history; a holder the
        register names who has no open relation gets one (`custody_granted`, the system)
        in every household the child lives in now."""
        when = utc(at or datetime.now(UTC))
        system = Actor("system")
        async with begin_write(self._engine) as conn:
            rows = (
                await conn.execute(
                    select(custody.c.id, custody.c.household_id, custody.c.parent).where(
                        custody.c.child == child, custody.c.until_at.is_(None)
                    )
                )
            ).all()
            kept = [r.id for r in rows if r.parent in confirmed]
            ended = [r for r in rows if r.parent not in confirmed]
            if kept:
                await conn.execute(
                    update(custody).where(custody.c.id.in_(kept)).values(confirmed_at=when)
                )
            for row in ended:
                closed = await conn.execute(
                    update(custody)
                    .where(custody.c.id == row.id, custody.c.until_at.is_(None))
                    .values(until_at=when)
                )
                if not closed.rowcount:  # a concurrent re-read ended it already
                    continue
                await _event(
                    conn,
                    row.household_id,
                    "custody_ended",
                    when,
                    system,
                    {"parent": row.parent, "child": child, "reason": "not_in_custody_register"},
                    audit=audit,
                )
            homes = (
                await conn.execute(
                    select(household_members.c.household_id).where(
                        household_members.c.person == child,
                        household_members.c.until_at.is_(None),
                    )
                )
            ).all()
            for home in dict.fromkeys(r.household_id for r in homes):
                present = {r.parent for r in rows if r.household_id == home}
                for parent in sorted(confirmed - present - {child}):
                    await conn.execute(
                        insert(custody).values(
                            household_id=home,
                            parent=parent,
                            child=child,
                            since=when,
                            confirmed_at=when,
                        )
                    )
                    await _event(
                        conn,
                        home,
                        "custody_granted",
                        when,
                        system,
                        {"parent": parent, "child": child, "reason": "custody_register"},
                        audit=audit,
                    )

    async def contact_changed(
        self,
        household_id: str,
        organisation: str,
        professional: str,
        *,
        actor: Actor,
        at: datetime | None = None,
        audit: AuditStep | None = None,
    ) -> Household:
        when = utc(at or datetime.now(UTC))
        async with begin_write(self._engine) as conn:
            await _require(conn, household_id)
            await _replace_contact(conn, household_id, organisation, professional, when)
            await _event(
                conn,
                household_id,
                "contact_person_changed",
                when,
                actor,
                {"organisation": organisation},
                audit=audit,
            )
        return await self.get(household_id)

    async def transfer(
        self,
        household_id: str,
        to: str,
        *,
        contact_organisation: str,
        contact_professional: str,
        actor: Actor,
        expected_regiehouder: str,
        at: datetime | None = None,
        audit: AuditStep | None = None,
    ) -> Household:
        """Hand the household over to regiehouder `to`, with its new contact person.

        Only while `expected_regiehouder` (the caller) still is the regiehouder; the
        old regiehouder and the contact person it had are kept in the history. A person
        has one regiehouder at a time, so every other household of the same regiehouder
        that shares a current member (directly or through another such household: the
        father's household with a child of separated parents) is handed over with it,
        in the same transaction, each with its own history event and audit entry."""
        when = utc(at or datetime.now(UTC))
        if to == expected_regiehouder:
            raise InvalidHouseholdError("the household already has that regiehouder")
        async with begin_write(self._engine) as conn:
            # One hand-over per regiehouder at a time: linked households are then never
            # locked in two orders by two concurrent hand-overs.
            await lock_people(conn, [f"regiehouder:{expected_regiehouder}"])
            locked = await conn.execute(
                update(households)
                .where(households.c.id == household_id)
                .values(regiehouder=households.c.regiehouder)
                .returning(households.c.regiehouder)
            )
            row = locked.first()
            if row is None:
                raise HouseholdNotFoundError("no such household")
            if row.regiehouder != expected_regiehouder:
                raise NotRegiehouderError("only the current regiehouder may hand over")
            together = await _sharing_members(conn, household_id, expected_regiehouder, when)
            for handed in together:
                await conn.execute(
                    update(households).where(households.c.id == handed).values(regiehouder=to)
                )
                await _replace_contact(
                    conn, handed, contact_organisation, contact_professional, when
                )
                await _event(
                    conn,
                    handed,
                    "regiehouder_transferred",
                    when,
                    actor,
                    {
                        "from": expected_regiehouder,
                        "to": to,
                        "contact_organisation": contact_organisation,
                        "households": str(len(together)),
                    },
                    audit=audit,
                )
        return await self.get(household_id)


async def _sharing_members(
    conn: AsyncConnection, household_id: str, regiehouder: str, at: datetime
) -> list[str]:
    """`household_id` and every household of `regiehouder` linked to it by a current
    member they share (transitively), in a stable order, each locked for this write."""
    current = or_(household_members.c.until_at.is_(None), household_members.c.until_at > at)
    found = [household_id]
    seen = {household_id}
    frontier = [household_id]
    while frontier:
        people = select(household_members.c.person).where(
            household_members.c.household_id.in_(frontier), current
        )
        rows = await conn.execute(
            select(household_members.c.household_id)
            .join(households, households.c.id == household_members.c.household_id)
            .where(
                household_members.c.person.in_(people),
                current,
                households.c.regiehouder == regiehouder,
            )
            .distinct()
        )
        frontier = sorted({r.household_id for r in rows} - seen)
        seen.update(frontier)
        found.extend(frontier)
    persons = (
        await conn.execute(
            select(household_members.c.person)
            .where(household_members.c.household_id.in_(found), current)
            .distinct()
        )
    ).scalars()
    await lock_people(conn, sorted(persons))
    return found


async def _history(conn: AsyncConnection, table: Any, household_id: str) -> Sequence[Any]:
    """Every row of one of a household's history tables, oldest first."""
    query = select(table).where(table.c.household_id == household_id).order_by(table.c.id)
    return (await conn.execute(query)).all()


async def _require(conn: AsyncConnection, household_id: str) -> str:
    """The household's regiehouder (`HouseholdNotFoundError` if there is no such household)."""
    row = (
        await conn.execute(select(households.c.regiehouder).where(households.c.id == household_id))
    ).first()
    if row is None:
        raise HouseholdNotFoundError("no such household")
    return str(row.regiehouder)


async def _require_no_other_regiehouder(
    conn: AsyncConnection, persons: Sequence[str], regiehouder: str, at: datetime
) -> None:
    """Refuse if any of `persons` is a current member of another regiehouder's household."""
    row = await conn.execute(
        select(household_members.c.id)
        .join(households, households.c.id == household_members.c.household_id)
        .where(
            household_members.c.person.in_(list(persons)),
            or_(household_members.c.until_at.is_(None), household_members.c.until_at > at),
            households.c.regiehouder != regiehouder,
        )
        .limit(1)
    )
    if row.first() is not None:
        raise RegiehouderExistsError("a person already has another regiehouder")


async def _open_member(conn: AsyncConnection, household_id: str, person: str) -> bool:
    row = await conn.execute(
        select(household_members.c.id)
        .where(
            household_members.c.household_id == household_id,
            household_members.c.person == person,
            household_members.c.until_at.is_(None),
        )
        .limit(1)
    )
    return row.first() is not None


async def _open_custody(conn: AsyncConnection, household_id: str, parent: str, child: str) -> bool:
    row = await conn.execute(
        select(custody.c.id)
        .where(
            custody.c.household_id == household_id,
            custody.c.parent == parent,
            custody.c.child == child,
            custody.c.until_at.is_(None),
        )
        .limit(1)
    )
    return row.first() is not None


async def _replace_contact(
    conn: AsyncConnection, household_id: str, organisation: str, professional: str, at: datetime
) -> None:
    """Close the household's current contact person at `at` and open the new one."""
    await conn.execute(
        update(household_contacts)
        .where(
            household_contacts.c.household_id == household_id,
            household_contacts.c.until_at.is_(None),
        )
        .values(until_at=at)
    )
    await _open_contact(conn, household_id, organisation, professional, at)


async def _open_contact(
    conn: AsyncConnection, household_id: str, organisation: str, professional: str, since: datetime
) -> None:
    """A contact-person row from `since` on (callers close any previous one first)."""
    await conn.execute(
        insert(household_contacts).values(
            household_id=household_id,
            organisation=organisation,
            professional=professional,
            since=since,
        )
    )


async def _event(
    conn: AsyncConnection,
    household_id: str,
    event: str,
    at: datetime,
    actor: Actor,
    detail: dict[str, str],
    *,
    audit: AuditStep | None,
) -> None:
    """The change's history row, then the caller's audit step (last, before COMMIT)."""
    await append_event(
        conn, household_events, ("household_id", household_id), event, at, actor, detail
    )
    if audit is not None:
        await audit(conn, household_id)
