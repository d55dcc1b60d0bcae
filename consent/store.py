"""`SqlConsentStore`: consents and refusals, their append-only history, receipts,
notifications, and the consent check the exchange pipeline asks.

No cache: every check reads the subject's live declarations through the
`(subject, status)` index, so a withdrawal is honoured on the very next request
on every gateway instance that shares the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    DateTime,
    Integer,
    and_,
    bindparam,
    cast,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consent._fastread import CheckReader, as_date, as_datetime, as_list
from consent._sql import AuditStep, actor_from, append_event, aware, begin_write, new_id, utc
from consent.errors import (
    ConsentAlreadyWithdrawnError,
    ConsentNotActiveError,
    ConsentNotFoundError,
    InvalidValidityError,
    NoCustodyError,
    WithdrawalNotPermittedError,
)
from consent.model import (
    Actor,
    ConsentEvent,
    ConsentRecord,
    ConsentScope,
    Coverage,
    GiverRole,
    NewConsent,
    Notification,
    RequesterRef,
    SourceRef,
    SubjectState,
    SubjectSummary,
)
from consent.receipts import receipt_claims
from consent.rules import AgeRules, evaluate
from consent.tables import (
    case_subjects,
    cases,
    consent_events,
    consent_notifications,
    consent_receipts,
    consents,
    custody,
    household_members,
    households,
)

__all__ = ["ConsentStore", "Receipt", "SqlConsentStore"]

Item = tuple[str, str, SourceRef | None]

_LIVE = ("active", "refused")
_NEVER = datetime.min.replace(tzinfo=UTC)  # a relation the register never confirmed
_CHECK_COLUMNS = (
    consents.c.id,
    consents.c.subject,
    consents.c.given_by,
    consents.c.decision,
    consents.c.status,
    consents.c.purposes,
    consents.c.categories,
    consents.c.recipient_organisations,
    consents.c.recipient_types,
    consents.c.source_organisations,
    consents.c.source_types,
    consents.c.valid_from,
    consents.c.valid_until,
    consents.c.regions,
)

# Built once. The check reads, in one round trip, the subject's memberships (with their
# household's regiehouder and region) joined with the custody relations naming them as
# child (indexes: household_members.person, custody.child), their live declarations
# (index: consents subject+status) and the open cases covering them (index:
# case_subjects.subject). Validity in time is judged in Python, at the request's
# moment, so the statement has a single parameter. Row layout: kind, the profile
# columns, the consent columns, the case columns (each part fills only its own).
_TZ = DateTime(timezone=True)
_PROFILE_COLUMNS = (
    household_members.c.birth_date,
    custody.c.parent,
    custody.c.since,
    custody.c.until_at,
    household_members.c.id.label("member_id"),
    household_members.c.household_id,
    households.c.regiehouder,
    household_members.c.since.label("member_since"),
    household_members.c.until_at.label("member_until"),
    households.c.region,
    custody.c.confirmed_at,
)
_CASE_COLUMNS = (
    cases.c.organisation.label("case_organisation"),
    cases.c.reference.label("case_reference"),
    cases.c.id.label("case_id"),
)


def _nulls(columns: Sequence[Any]) -> list[Any]:
    return [cast(null(), column.type).label(column.name) for column in columns]


_PROFILE_PART = (
    select(
        literal_column("0", Integer).label("kind"),
        *_PROFILE_COLUMNS,
        *_nulls(_CHECK_COLUMNS),
        *_nulls(_CASE_COLUMNS),
    )
    .select_from(
        household_members.join(
            households, households.c.id == household_members.c.household_id
        ).outerjoin(custody, custody.c.child == household_members.c.person)
    )
    .where(household_members.c.person == bindparam("subject"))
)
_LIVE_PART = select(
    literal_column("1", Integer).label("kind"),
    *_nulls(_PROFILE_COLUMNS),
    *_CHECK_COLUMNS,
    *_nulls(_CASE_COLUMNS),
).where(
    consents.c.subject == bindparam("subject"),
    # Constants inlined: an expanding IN would be re-rendered on every execution.
    consents.c.status.in_([literal_column(f"'{status}'") for status in _LIVE]),
)
_CASES_PART = (
    select(
        literal_column("2", Integer).label("kind"),
        *_nulls(_PROFILE_COLUMNS),
        *_nulls(_CHECK_COLUMNS),
        *_CASE_COLUMNS,
    )
    .select_from(case_subjects.join(cases, cases.c.id == case_subjects.c.case_id))
    .where(
        case_subjects.c.subject == bindparam("subject"),
        cases.c.status == literal_column("'open'"),
    )
)
_CHECK = union_all(_PROFILE_PART, _LIVE_PART, _CASES_PART)
_P = 1 + len(_PROFILE_COLUMNS)  # where the consent columns start in a `_CHECK` row
_C = _P + len(_CHECK_COLUMNS)  # where the case columns start


@dataclass(frozen=True, slots=True)
class Receipt:
    id: str
    consent_id: str
    event: str
    issued_at: datetime
    jws: str


class ConsentStore(Protocol):
    """The port the exchange pipeline uses."""

    async def covers(
        self,
        subject: str,
        requester: RequesterRef,
        purpose: str,
        category: str,
        source: SourceRef | None,
        at: datetime,
    ) -> Coverage: ...

    async def covers_many(
        self, subject: str, requester: RequesterRef, items: Sequence[Item], at: datetime
    ) -> list[Coverage]: ...


class SqlConsentStore:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        rules: AgeRules,
        sign: Callable[[dict[str, Any]], str],
        issuer: str,
    ) -> None:
        self._engine = engine
        # The check's one read; every call sees the latest committed state.
        self._check = CheckReader(engine, _CHECK, "subject")
        self.rules = rules
        self._sign = sign
        self._issuer = issuer

    async def close(self) -> None:
        """Give back the connections the check keeps; call before disposing the engine."""
        await self._check.close()

    # -- the check ---------------------------------------------------------------------

    async def covers(
        self,
        subject: str,
        requester: RequesterRef,
        purpose: str,
        category: str,
        source: SourceRef | None,
        at: datetime,
    ) -> Coverage:
        return (await self.covers_many(subject, requester, [(purpose, category, source)], at))[0]

    async def covers_many(
        self, subject: str, requester: RequesterRef, items: Sequence[Item], at: datetime
    ) -> list[Coverage]:
        """One coverage per (purpose, category, source), from one read of the subject's
        state (`subject_state`), evaluated in memory. Nothing is cached."""
        return self.covers_in(await self.subject_state(subject, at), requester, items)

    async def subject_state(self, subject: str, at: datetime) -> SubjectState:
        """The subject's household, birth date, custody holders and live declarations
        at `at`, from one indexed read (`_CHECK`). Nothing is cached.

        Only relations the custody register confirmed count as custody holders;
        `custody_checked_at` says how fresh they are (the gateway re-reads stale ones)."""
        when = utc(at)
        rows = await self._check.rows(subject)
        profile = [r for r in rows if r[0] == 0]
        live = tuple(_check_record(r) for r in rows if r[0] == 1) if profile else ()
        open_cases = {(r[_C], r[_C + 1]): r[_C + 2] for r in rows if r[0] == 2}
        holders: set[str] = set()
        checked: datetime | None = None
        current: tuple[Any, ...] | None = None
        for row in profile:
            (_, _, parent, since, until, member_id, _, _,
             member_since, member_until, _, confirmed_at) = row[:12]  # fmt: skip
            if parent is not None and _in_force(since, until, when):
                confirmed = as_datetime(confirmed_at)
                if confirmed is not None:
                    holders.add(parent)
                oldest = confirmed or _NEVER
                checked = oldest if checked is None else min(checked, oldest)
            if _in_force(member_since, member_until, when) and (
                current is None or member_id < current[5]
            ):
                current = row
        birth = as_date((current or profile[0])[1]) if profile else None
        summary = (
            SubjectSummary(current[6], birth, current[7], current[10])
            if current is not None and birth is not None
            else None
        )
        return SubjectState(
            subject,
            when,
            summary,
            birth,
            frozenset(holders),
            live,
            open_cases=open_cases,
            custody_checked_at=checked,
        )

    def covers_in(
        self, state: SubjectState, requester: RequesterRef, items: Sequence[Item]
    ) -> list[Coverage]:
        """`covers_many` on a state already read (the exchange reads it once per request)."""
        return [
            evaluate(
                state.subject,
                state.birth_date,
                state.custody_holders,
                state.live,
                requester,
                purpose,
                category,
                source,
                state.at,
                self.rules,
                state.region,
            )
            for purpose, category, source in items
        ]

    # -- recording ---------------------------------------------------------------------

    async def record(
        self, new: NewConsent, *, at: datetime | None = None, audit: AuditStep | None = None
    ) -> ConsentRecord:
        """Record a grant or refusal; supersedes the giver's earlier declaration on the
        same scope; writes the event, a signed receipt and the notifications, then runs
        `audit` (with the new consent's id) in the same transaction."""
        when = utc(at or datetime.now(UTC))
        valid_from, given_at = utc(new.valid_from), utc(new.given_at)
        valid_until = utc(new.valid_until) if new.valid_until is not None else None
        if valid_until is not None and valid_until <= valid_from:
            raise InvalidValidityError("valid_until must be after valid_from")
        if not new.scope.purposes or not new.scope.categories:
            raise InvalidValidityError("a consent needs at least one purpose and one category")
        consent_id = new_id("cs")
        giver_role: GiverRole = "self" if new.given_by == new.subject else "custody_holder"
        record = ConsentRecord(
            id=consent_id,
            subject=new.subject,
            given_by=new.given_by,
            giver_role=giver_role,
            decision=new.decision,
            status="active" if new.decision == "grant" else "refused",
            scope=new.scope,
            recorded_via=new.recorded_via,
            recorded_by=new.recorded_by,
            given_at=given_at,
            valid_from=valid_from,
            valid_until=valid_until,
            evidence_reference=new.evidence_reference,
            policy_version=new.policy_version,
        )
        event = "granted" if new.decision == "grant" else "refused"
        async with begin_write(self._engine) as conn:
            if giver_role == "custody_holder" and not await _has_custody(
                conn, new.given_by, new.subject, when
            ):
                raise NoCustodyError("the person acting for the child has no custody")
            scope = new.scope
            await conn.execute(
                insert(consents).values(
                    id=consent_id,
                    subject=new.subject,
                    given_by=new.given_by,
                    giver_role=giver_role,
                    decision=new.decision,
                    status=record.status,
                    scope_key=scope.key(),
                    purposes=sorted(scope.purposes),
                    categories=sorted(scope.categories),
                    recipient_organisations=sorted(scope.recipient_organisations),
                    recipient_types=sorted(scope.recipient_types),
                    source_organisations=sorted(scope.source_organisations),
                    source_types=sorted(scope.source_types),
                    regions=sorted(scope.regions),
                    given_at=given_at,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    recorded_via=new.recorded_via,
                    recorded_by=new.recorded_by.as_dict(),
                    evidence_reference=new.evidence_reference,
                    policy_version=new.policy_version,
                )
            )
            await self._supersede(conn, record, when)
            await self._log(conn, record, event, when, new.recorded_by, {})
            if audit is not None:
                await audit(conn, consent_id)
        return await self.get(consent_id)

    async def withdraw(
        self,
        consent_id: str,
        *,
        actor: Actor,
        at: datetime | None = None,
        evidence_reference: str | None = None,
        withdrawn_by: str | None = None,
        audit: AuditStep | None = None,
    ) -> ConsentRecord:
        """Withdraw a live declaration, if the actor may (`may_withdraw`), then run
        `audit` in the same transaction.

        `withdrawn_by` is the person a professional withdraws for (on paper, with
        `evidence_reference`): the subject or a custody holder of the subject."""
        when = utc(at or datetime.now(UTC))
        async with begin_write(self._engine) as conn:
            current = await _load(conn, consent_id)
            role = await _withdrawal_role(conn, current, actor, withdrawn_by, when, self.rules)
            if role is None:
                raise WithdrawalNotPermittedError("the actor may not withdraw this consent")
            result = await conn.execute(
                update(consents)
                .where(consents.c.id == consent_id, consents.c.status.in_(_LIVE))
                .values(status="withdrawn", withdrawn_at=when)
            )
            if not result.rowcount:
                if current.status == "withdrawn":
                    raise ConsentAlreadyWithdrawnError("the consent was already withdrawn")
                raise ConsentNotActiveError(f"the consent is {current.status}; nothing to withdraw")
            record = await _load(conn, consent_id)
            detail = {"withdrawn_by_role": role}
            if withdrawn_by is not None:
                detail["withdrawn_by"] = withdrawn_by
            if evidence_reference:
                detail["evidence_reference"] = evidence_reference
            await self._log(conn, record, "withdrawn", when, actor, detail)
            if audit is not None:
                await audit(conn, consent_id)
        return await self.get(consent_id)

    async def may_withdraw(
        self,
        record: ConsentRecord,
        actor: Actor,
        withdrawn_by: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Whether `actor` (for `withdrawn_by`, if a professional names one) may withdraw."""
        when = utc(at or datetime.now(UTC))
        async with self._engine.connect() as conn:
            role = await _withdrawal_role(conn, record, actor, withdrawn_by, when, self.rules)
            return role is not None

    async def expire_due(self, at: datetime | None = None) -> int:
        """Mark declarations whose validity has ended as expired (with their event)."""
        when = utc(at or datetime.now(UTC))
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(consents.c.id).where(
                        consents.c.status.in_(_LIVE),
                        consents.c.valid_until.is_not(None),
                        consents.c.valid_until <= when,
                    )
                )
            ).all()
            for row in rows:
                await conn.execute(
                    update(consents).where(consents.c.id == row.id).values(status="expired")
                )
                await _append_event(conn, row.id, "expired", when, Actor("system"), {})
        return len(rows)

    # -- reading -----------------------------------------------------------------------

    async def get(self, consent_id: str) -> ConsentRecord:
        async with self._engine.connect() as conn:
            return await _load(conn, consent_id)

    async def for_subject(self, subject: str) -> list[ConsentRecord]:
        return await self._where(consents.c.subject == subject)

    async def for_people(self, people: Sequence[str]) -> list[ConsentRecord]:
        """Declarations about, or given by, any of `people` (the portal's view)."""
        return await self._where(
            or_(consents.c.subject.in_(list(people)), consents.c.given_by.in_(list(people)))
        )

    async def receipts(self, consent_id: str) -> list[Receipt]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(consent_receipts)
                .where(consent_receipts.c.consent_id == consent_id)
                .order_by(consent_receipts.c.issued_at, consent_receipts.c.id)
            )
            return [Receipt(r.id, r.consent_id, r.event, aware(r.issued_at), r.jws) for r in rows]

    async def notifications(self, person: str) -> list[Notification]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(consent_notifications)
                .where(consent_notifications.c.person == person)
                .order_by(consent_notifications.c.created_at, consent_notifications.c.id)
            )
            return [
                Notification(
                    r.id, r.person, r.consent_id, r.event, aware(r.created_at), actor_from(r.actor)
                )
                for r in rows
            ]

    async def _where(self, condition: Any) -> list[ConsentRecord]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(consents).where(condition).order_by(consents.c.given_at, consents.c.id)
                )
            ).all()
            events = await _events(conn, [r.id for r in rows])
        return [replace(_record(r), events=tuple(events.get(r.id, ()))) for r in rows]

    # -- internals ---------------------------------------------------------------------

    async def _supersede(self, conn: AsyncConnection, record: ConsentRecord, at: datetime) -> None:
        older = (
            await conn.execute(
                select(consents.c.id).where(
                    consents.c.subject == record.subject,
                    consents.c.given_by == record.given_by,
                    consents.c.scope_key == record.scope.key(),
                    consents.c.status.in_(_LIVE),
                    consents.c.id != record.id,
                )
            )
        ).all()
        for row in older:
            await conn.execute(
                update(consents)
                .where(consents.c.id == row.id)
                .values(status="superseded", superseded_by=record.id)
            )
            await _append_event(
                conn, row.id, "superseded", at, record.recorded_by, {"superseded_by": record.id}
            )

    async def _log(
        self,
        conn: AsyncConnection,
        record: ConsentRecord,
        event: str,
        at: datetime,
        actor: Actor,
        detail: dict[str, str],
    ) -> None:
        """The event, a signed receipt, and a notification for each person affected
        who did not act themselves (the subject, and whoever gave the consent)."""
        await _append_event(conn, record.id, event, at, actor, detail)
        current = replace(
            record,
            status="withdrawn" if event == "withdrawn" else record.status,
            withdrawn_at=at if event == "withdrawn" else record.withdrawn_at,
        )
        receipt_id = new_id("rc")
        claims = receipt_claims(
            current, event=event, at=at, receipt_id=receipt_id, issuer=self._issuer
        )
        await conn.execute(
            insert(consent_receipts).values(
                id=receipt_id,
                consent_id=record.id,
                event=event,
                issued_at=at,
                jws=self._sign(claims),
            )
        )
        affected = dict.fromkeys((record.subject, record.given_by))
        notify = [p for p in affected if not (actor.kind == "person" and actor.person == p)]
        if notify:
            await conn.execute(
                insert(consent_notifications),
                [
                    {
                        "id": new_id("nt"),
                        "person": person,
                        "consent_id": record.id,
                        "event": event,
                        "created_at": at,
                        "actor": actor.as_dict(),
                    }
                    for person in notify
                ],
            )


async def _has_custody(conn: AsyncConnection, parent: str, child: str, at: datetime) -> bool:
    """A relation in force at `at` that the custody register confirmed."""
    row = await conn.execute(
        select(custody.c.id)
        .where(
            and_(custody.c.parent == parent, custody.c.child == child),
            custody.c.confirmed_at.is_not(None),
            custody.c.since <= at,
            or_(custody.c.until_at.is_(None), custody.c.until_at > at),
        )
        .limit(1)
    )
    return row.first() is not None


async def _custody_speaks_for(
    conn: AsyncConnection, record: ConsentRecord, rules: AgeRules, at: datetime
) -> bool:
    """Whether a custody holder may act on `record` for its subject at `at`."""
    row = (
        await conn.execute(
            select(household_members.c.birth_date)
            .where(household_members.c.person == record.subject)
            .order_by(household_members.c.id)
            .limit(1)
        )
    ).first()
    birth = as_date(row.birth_date) if row is not None else None
    if birth is None:
        return False
    age = rules.age_at(birth, at)
    if age >= rules.child_alone_from:
        return False
    return age < rules.child_consents_from or record.giver_role == "custody_holder"


async def _withdrawal_role(
    conn: AsyncConnection,
    record: ConsentRecord,
    actor: Actor,
    withdrawn_by: str | None,
    at: datetime,
    rules: AgeRules,
) -> str | None:
    """Who withdraws, if they may: the person it is about (`subject`), a custody holder
    of that person (`custody_holder`), through the portal or on paper through a
    professional naming them; or the organisation that recorded it (`recorder`).
    None for anybody else.

    A custody holder speaks for the person only while custody decides for them (under
    `child_alone_from`), and from `child_consents_from` on not over the child's own
    declaration: a parent cannot undo what a 16-year-old (or a 13-year-old, for their
    own part) decided. An unknown age counts as grown up (fail closed)."""
    if actor.kind == "system":
        return "system"
    person = actor.person if actor.kind == "person" else withdrawn_by
    if person is not None:
        if person == record.subject:
            return "subject"
        if await _custody_speaks_for(conn, record, rules, at) and await _has_custody(
            conn, person, record.subject, at
        ):
            return "custody_holder"
        return None
    recorder = record.recorded_by
    if (
        actor.kind == "professional"
        and recorder.kind == "professional"
        and actor.organisation is not None
        and recorder.organisation == actor.organisation
    ):
        return "recorder"
    return None


async def _append_event(
    conn: AsyncConnection,
    consent_id: str,
    event: str,
    at: datetime,
    actor: Actor,
    detail: dict[str, str],
) -> None:
    await append_event(conn, consent_events, ("consent_id", consent_id), event, at, actor, detail)


async def _load(conn: AsyncConnection, consent_id: str) -> ConsentRecord:
    row = (await conn.execute(select(consents).where(consents.c.id == consent_id))).first()
    if row is None:
        raise ConsentNotFoundError("no such consent")
    events = await _events(conn, [consent_id])
    return replace(_record(row), events=tuple(events.get(consent_id, ())))


async def _events(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, list[ConsentEvent]]:
    found: dict[str, list[ConsentEvent]] = {}
    for start in range(0, len(ids), 500):
        rows = await conn.execute(
            select(consent_events)
            .where(consent_events.c.consent_id.in_(list(ids[start : start + 500])))
            .order_by(consent_events.c.id)
        )
        for r in rows:
            found.setdefault(r.consent_id, []).append(
                ConsentEvent(r.event, aware(r.at), actor_from(r.actor), dict(r.detail))
            )
    return found


def _scope(row: Row[Any]) -> ConsentScope:
    return ConsentScope(
        purposes=frozenset(row.purposes),
        categories=frozenset(row.categories),
        recipient_organisations=frozenset(row.recipient_organisations),
        recipient_types=frozenset(row.recipient_types),
        source_organisations=frozenset(row.source_organisations),
        source_types=frozenset(row.source_types),
        regions=frozenset(row.regions or ()),
    )


def _in_force(since: Any, until: Any, at: datetime) -> bool:
    start, end = as_datetime(since), as_datetime(until)
    return start is not None and start <= at and (end is None or at < end)


def _check_record(row: tuple[Any, ...]) -> ConsentRecord:
    """A row of `_CHECK` (kind 1): just what the check needs."""
    (id_, subject, given_by, decision, status, purposes, categories,
     r_orgs, r_types, s_orgs, s_types, valid_from, valid_until, regions) = row[_P:_C]  # fmt: skip
    # A row without a start (the schema forbids it) is never in force: fail closed.
    start = as_datetime(valid_from) or datetime.max.replace(tzinfo=UTC)
    return ConsentRecord(
        id=id_,
        subject=subject,
        given_by=given_by,
        giver_role="self",
        decision=decision,
        status=status,
        scope=ConsentScope(
            purposes=frozenset(as_list(purposes)),
            categories=frozenset(as_list(categories)),
            recipient_organisations=frozenset(as_list(r_orgs)),
            recipient_types=frozenset(as_list(r_types)),
            source_organisations=frozenset(as_list(s_orgs)),
            source_types=frozenset(as_list(s_types)),
            regions=frozenset(as_list(regions)),
        ),
        recorded_via="portal",
        recorded_by=Actor("system"),
        given_at=start,
        valid_from=start,
        valid_until=as_datetime(valid_until),
        evidence_reference=None,
        policy_version="",
    )


def _record(row: Row[Any]) -> ConsentRecord:
    return ConsentRecord(
        id=row.id,
        subject=row.subject,
        given_by=row.given_by,
        giver_role=row.giver_role,
        decision=row.decision,
        status=row.status,
        scope=_scope(row),
        recorded_via=row.recorded_via,
        recorded_by=actor_from(row.recorded_by),
        given_at=aware(row.given_at),
        valid_from=aware(row.valid_from),
        valid_until=aware(row.valid_until) if row.valid_until is not None else None,
        evidence_reference=row.evidence_reference,
        policy_version=row.policy_version,
        withdrawn_at=aware(row.withdrawn_at) if row.withdrawn_at is not None else None,
        superseded_by=row.superseded_by,
    )
