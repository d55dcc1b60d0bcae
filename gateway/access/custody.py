"""Custody from the custody register: the port wired to HTTP, and freshness at decision time.

`RegisterCustodySource` is the consent package's `CustodySource` on the HTTP register
client (every adapter failure becomes `CustodyRegisterUnavailableError`).
`CustodyFreshness` keeps the exchange's common case free of HTTP: a subject whose
confirmed custody relations are younger than `custody_freshness_seconds` is decided
on them as read; an older (or never confirmed) relation is re-read from the register
when the request carries the subject's BSN, and the register's answer is written
back (relations it no longer names end). If that cannot be done, custody holders
count as unknown (none), so a consent that needs them is not satisfied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.custody_http import HttpCustodySource
from adapters.errors import SourceUnavailable
from consent import (
    AuditStep,
    CustodyRegisterUnavailableError,
    CustodySource,
    RegisteredPerson,
    SqlConsentStore,
    SqlHouseholdStore,
    SubjectState,
)
from gateway.audit.model import AuditEvent
from gateway.audit.writer import AuditLog

__all__ = ["CustodyFreshness", "RegisterCustodySource"]

log = structlog.get_logger("gateway.access.custody")


class RegisterCustodySource:
    """`CustodySource` over the register's HTTP API."""

    def __init__(self, client: HttpCustodySource) -> None:
        self._client = client

    async def persons(self, bsns: Sequence[str]) -> Mapping[str, RegisteredPerson]:
        try:
            entries = await self._client.entries(bsns)
        except SourceUnavailable as exc:
            log.warning("custody_register_unavailable", reason=exc.reason_code)
            raise CustodyRegisterUnavailableError(exc.reason_code) from exc
        return {
            bsn: RegisteredPerson(e.bsn, e.birth_date, e.custody_holders)
            for bsn, e in entries.items()
        }

    async def children(self, bsn: str) -> tuple[str, ...]:
        """The BSNs of `bsn`'s children as the register knows them (for the portal)."""
        try:
            return await self._client.children(bsn)
        except SourceUnavailable as exc:
            log.warning("custody_register_unavailable", reason=exc.reason_code)
            raise CustodyRegisterUnavailableError(exc.reason_code) from exc


class CustodyFreshness:
    """Custody holders as of now: as read while fresh, re-read from the register when not."""

    def __init__(
        self,
        source: CustodySource,
        households: SqlHouseholdStore,
        consents: SqlConsentStore,
        pseudonymise: Callable[[str], str],
        freshness_seconds: int,
        audit: AuditLog | None = None,
    ) -> None:
        self.source = source
        self._audit = audit
        self._households = households
        self._consents = consents
        self._pseudonymise = pseudonymise
        self._freshness = timedelta(seconds=freshness_seconds)

    def is_stale(self, state: SubjectState) -> bool:
        """Whether `state`'s custody holders need the register (only where they matter)."""
        checked = state.custody_checked_at
        if checked is None or state.birth_date is None:
            return False  # no custody relations in force, or not registered
        rules = self._consents.rules
        if rules.age_at(state.birth_date, state.at) >= rules.child_alone_from:
            return False  # custody does not decide for this subject
        return state.at - checked > self._freshness

    async def current(self, state: SubjectState, bsn: str | None) -> SubjectState:
        """`state` with custody holders the register stands behind, or none (unknown)."""
        if not self.is_stale(state):
            return state
        if bsn is None:
            return replace(state, custody_holders=frozenset())
        try:
            await self.reconfirm(bsn, state.subject, state.at)
            return await self._consents.subject_state(state.subject, state.at)
        except CustodyRegisterUnavailableError:
            return replace(state, custody_holders=frozenset())
        except Exception as exc:  # the write-back failed: decide as if unknown
            log.warning("custody_reconfirm_failed", error_type=type(exc).__name__)
            return replace(state, custody_holders=frozenset())

    async def reconfirm(self, bsn: str, pseudonym: str, at: datetime) -> None:
        """Ask the register about `bsn` and write its answer back to the relations."""
        found = (await self.source.persons([bsn])).get(bsn)
        holders = found.custody_holders if found is not None else frozenset()
        confirmed = frozenset(self._pseudonymise(holder) for holder in holders)
        await self._households.custody_reconfirmed(
            pseudonym, confirmed, at=at, audit=self._audit_step(pseudonym)
        )

    def _audit_step(self, child: str) -> AuditStep | None:
        """Each custody change the register brings is audited in the same transaction."""
        audit = self._audit
        if audit is None:
            return None

        async def step(conn: AsyncConnection, household_id: str) -> None:
            event = AuditEvent(
                event_type="household.custody_followed",
                request_id="custody-register",
                subject=child,
                household=household_id,
                details={"event": "custody_followed"},
            )
            await audit.append_with(conn, [event])

        return step
