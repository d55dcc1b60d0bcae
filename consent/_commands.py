"""The commands that change a declaration: record, withdraw, expire (and supersede).

Each is one write transaction (`begin_write`) that also writes the history event,
the signed receipt and the notifications, and runs the caller's audit step, so
either all of it is kept or none of it. Who may withdraw is decided here too,
inside the transaction that withdraws.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consent._fastread import as_date
from consent._notifications import notify_affected
from consent._records import append_consent_event, has_custody, load
from consent._sql import AuditStep, begin_write, new_id, utc
from consent.check import LIVE
from consent.errors import (
    ConsentAlreadyWithdrawnError,
    ConsentNotActiveError,
    InvalidValidityError,
    NoCustodyError,
    WithdrawalNotPermittedError,
)
from consent.model import Actor, ConsentRecord, GiverRole, NewConsent
from consent.receipts import ReceiptIssuer
from consent.rules import AgeRules
from consent.tables import consents, household_members


async def record(
    engine: AsyncEngine,
    receipts: ReceiptIssuer,
    new: NewConsent,
    *,
    at: datetime | None,
    audit: AuditStep | None,
) -> str:
    """Record a grant or refusal (see `SqlConsentStore.record`); the new consent's id."""
    when = utc(at or datetime.now(UTC))
    valid_from, given_at = utc(new.valid_from), utc(new.given_at)
    valid_until = utc(new.valid_until) if new.valid_until is not None else None
    if valid_until is not None and valid_until <= valid_from:
        raise InvalidValidityError("valid_until must be after valid_from")
    if not new.scope.purposes or not new.scope.categories:
        raise InvalidValidityError("a consent needs at least one purpose and one category")
    consent_id = new_id("cs")
    giver_role: GiverRole = "self" if new.given_by == new.subject else "custody_holder"
    created = ConsentRecord(
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
    async with begin_write(engine) as conn:
        if giver_role == "custody_holder" and not await has_custody(
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
                status=created.status,
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
        await _supersede(conn, created, when)
        await _log(conn, receipts, created, event, when, new.recorded_by, {})
        if audit is not None:
            await audit(conn, consent_id)
    return consent_id


async def withdraw(
    engine: AsyncEngine,
    receipts: ReceiptIssuer,
    consent_id: str,
    *,
    actor: Actor,
    at: datetime | None,
    evidence_reference: str | None,
    withdrawn_by: str | None,
    audit: AuditStep | None,
    rules: AgeRules,
) -> None:
    """Withdraw a live declaration, if the actor may (see `SqlConsentStore.withdraw`)."""
    when = utc(at or datetime.now(UTC))
    async with begin_write(engine) as conn:
        current = await load(conn, consent_id)
        role = await withdrawal_role(conn, current, actor, withdrawn_by, when, rules)
        if role is None:
            raise WithdrawalNotPermittedError("the actor may not withdraw this consent")
        result = await conn.execute(
            update(consents)
            .where(consents.c.id == consent_id, consents.c.status.in_(LIVE))
            .values(status="withdrawn", withdrawn_at=when)
        )
        if not result.rowcount:
            if current.status == "withdrawn":
                raise ConsentAlreadyWithdrawnError("the consent was already withdrawn")
            raise ConsentNotActiveError(f"the consent is {current.status}; nothing to withdraw")
        withdrawn = await load(conn, consent_id)
        detail = {"withdrawn_by_role": role}
        if withdrawn_by is not None:
            detail["withdrawn_by"] = withdrawn_by
        if evidence_reference:
            detail["evidence_reference"] = evidence_reference
        await _log(conn, receipts, withdrawn, "withdrawn", when, actor, detail)
        if audit is not None:
            await audit(conn, consent_id)


async def expire_due(engine: AsyncEngine, at: datetime | None) -> int:
    """Mark declarations whose validity has ended as expired (with their event)."""
    when = utc(at or datetime.now(UTC))
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(consents.c.id).where(
                    consents.c.status.in_(LIVE),
                    consents.c.valid_until.is_not(None),
                    consents.c.valid_until <= when,
                )
            )
        ).all()
        for row in rows:
            await conn.execute(
                update(consents).where(consents.c.id == row.id).values(status="expired")
            )
            await append_consent_event(conn, row.id, "expired", when, Actor("system"), {})
    return len(rows)


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


async def withdrawal_role(
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
        if await _custody_speaks_for(conn, record, rules, at) and await has_custody(
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


async def _supersede(conn: AsyncConnection, record: ConsentRecord, at: datetime) -> None:
    """The giver's earlier live declarations on the same scope give way to `record`."""
    older = (
        await conn.execute(
            select(consents.c.id).where(
                consents.c.subject == record.subject,
                consents.c.given_by == record.given_by,
                consents.c.scope_key == record.scope.key(),
                consents.c.status.in_(LIVE),
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
        await append_consent_event(
            conn, row.id, "superseded", at, record.recorded_by, {"superseded_by": record.id}
        )


async def _log(
    conn: AsyncConnection,
    receipts: ReceiptIssuer,
    record: ConsentRecord,
    event: str,
    at: datetime,
    actor: Actor,
    detail: dict[str, str],
) -> None:
    """The event, a signed receipt, and the notifications of the people affected."""
    await append_consent_event(conn, record.id, event, at, actor, detail)
    current = replace(
        record,
        status="withdrawn" if event == "withdrawn" else record.status,
        withdrawn_at=at if event == "withdrawn" else record.withdrawn_at,
    )
    await receipts.issue(conn, current, event, at)
    await notify_affected(conn, record, event, at, actor)
