"""`SqlConsentStore`: the one object callers hold for consents and refusals.

A facade over small modules, each named for what it does:

- `consent.check`: the hot-path check the exchange asks (`subject_state`, `covers*`),
  one indexed read and an in-memory evaluation; inherited, so a check costs no
  extra call;
- `consent._commands`: record, withdraw, expire, supersede (one transaction each,
  with the event, the receipt, the notifications and the caller's audit step);
- `consent._records`: full records and their history, read back;
- `consent.receipts`, `consent._notifications`: the signed receipts and what the
  people affected are told.

No cache: every check reads the subject's live declarations through the
`(subject, status)` index, so a withdrawal is honoured on the very next request
on every gateway instance that shares the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncEngine

from consent import _commands
from consent._notifications import notifications_for
from consent._records import load, load_where
from consent._sql import AuditStep, utc
from consent.check import ConsentStore, SqlConsentCheck
from consent.model import Actor, ConsentRecord, NewConsent, Notification
from consent.receipts import Receipt, ReceiptIssuer, read_receipts
from consent.rules import AgeRules
from consent.tables import consents

__all__ = ["ConsentStore", "Receipt", "SqlConsentStore"]


class SqlConsentStore(SqlConsentCheck):
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        rules: AgeRules,
        sign: Callable[[dict[str, Any]], str],
        issuer: str,
    ) -> None:
        super().__init__(engine, rules=rules)
        self._engine = engine
        self._receipts = ReceiptIssuer(sign, issuer)

    # -- recording ---------------------------------------------------------------------

    async def record(
        self, new: NewConsent, *, at: datetime | None = None, audit: AuditStep | None = None
    ) -> ConsentRecord:
        """Record a grant or refusal; supersedes the giver's earlier declaration on the
        same scope; writes the event, a signed receipt and the notifications, then runs
        `audit` (with the new consent's id) in the same transaction."""
        consent_id = await _commands.record(self._engine, self._receipts, new, at=at, audit=audit)
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
        await _commands.withdraw(
            self._engine,
            self._receipts,
            consent_id,
            actor=actor,
            at=at,
            evidence_reference=evidence_reference,
            withdrawn_by=withdrawn_by,
            audit=audit,
            rules=self.rules,
        )
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
            role = await _commands.withdrawal_role(
                conn, record, actor, withdrawn_by, when, self.rules
            )
            return role is not None

    async def expire_due(self, at: datetime | None = None) -> int:
        """Mark declarations whose validity has ended as expired (with their event)."""
        return await _commands.expire_due(self._engine, at)

    # -- reading -----------------------------------------------------------------------

    async def get(self, consent_id: str) -> ConsentRecord:
        async with self._engine.connect() as conn:
            return await load(conn, consent_id)

    async def for_subject(self, subject: str) -> list[ConsentRecord]:
        async with self._engine.connect() as conn:
            return await load_where(conn, consents.c.subject == subject)

    async def for_people(self, people: Sequence[str]) -> list[ConsentRecord]:
        """Declarations about, or given by, any of `people` (the portal's view)."""
        condition = or_(consents.c.subject.in_(list(people)), consents.c.given_by.in_(list(people)))
        async with self._engine.connect() as conn:
            return await load_where(conn, condition)

    async def receipts(self, consent_id: str) -> list[Receipt]:
        async with self._engine.connect() as conn:
            return await read_receipts(conn, consent_id)

    async def notifications(self, person: str) -> list[Notification]:
        async with self._engine.connect() as conn:
            return await notifications_for(conn, person)
