"""The exchange pipeline's ports, connected to their real implementations.

`StoreSubjectReader` reads the subject's household, custody and live consents
from the consent store in one read per exchange (no cache: a withdrawal counts
on the very next request), custody re-read from the custody register only when
it is older than its freshness (`gateway.access.custody.CustodyFreshness`),
`AuditAccessLog` appends to the hash-chained audit log, and `build_adapters`
turns each organisation's adapter settings into a `SourceAdapter`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.base import SourceAdapter
from adapters.errors import AdapterConfigError
from adapters.registry import build_adapter
from consent import RequesterRef, SourceRef, SqlConsentStore, SubjectState
from gateway.appkeys import (
    AUDIT,
    CONSENTS,
    CUSTODY,
    EXCHANGE_DEPS,
    HTTP_SESSION,
    KEYS,
    LIVE_CONFIG,
    METRICS,
    ORGANISATIONS,
    POLICIES,
    PSEUDONYMISER,
    SETTINGS,
    VOCABULARY,
)
from gateway.audit.model import AuditEvent
from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore
from gateway.auth.organisations import Organisation, OrganisationRegistry
from gateway.errors import AuditUnavailable, SettingsError
from gateway.exchange.metered import MeteredAccessLog, MeteredAdapter
from gateway.exchange.model import AccessRecord, SubjectInfo
from gateway.exchange.pipeline import (
    ConsentView,
    ExchangeDeps,
    ExchangeMeta,
    HouseholdRequester,
    SubjectRecord,
)

if TYPE_CHECKING:
    from gateway.access.custody import CustodyFreshness  # it builds on this module's token factory

__all__ = [
    "AuditAccessLog",
    "StoreSubjectReader",
    "build_adapters",
    "exchange_context",
    "source_token_factory",
]

SOURCE_TOKEN_SECONDS = 60


class StoreSubjectReader:
    """The subject's registry entry and consents, from the consent store's single read;
    custody holders only as the custody register confirms them (`CustodyFreshness`)."""

    def __init__(self, consents: SqlConsentStore, custody: CustodyFreshness) -> None:
        self._consents = consents
        self._custody = custody

    async def read(self, pseudonym: str, at: datetime, bsn: str | None = None) -> SubjectRecord:
        state = await self._consents.subject_state(pseudonym, at)
        return _StoreSubject(self._consents, await self._custody.current(state, bsn))


class _StoreSubject:
    def __init__(self, consents: SqlConsentStore, state: SubjectState) -> None:
        self._consents = consents
        self._state = state
        summary = state.summary
        self.info = (
            SubjectInfo(state.subject, None, None, None)
            if summary is None
            else SubjectInfo(
                state.subject, summary.household_id, summary.birth_date, summary.regiehouder
            )
        )

    def consent(
        self, requester: Organisation, purpose: str, items: Sequence[tuple[str, Organisation]]
    ) -> list[ConsentView]:
        if not items:
            return []
        coverages = self._consents.covers_in(
            self._state,
            RequesterRef(requester.id, requester.type, requester.region),
            [(purpose, category, SourceRef(src.id, src.type)) for category, src in items],
        )
        return [ConsentView(c.ok, c.consent_ids, c.missing) for c in coverages]

    def open_case(self, organisation_id: str, reference: str) -> str | None:
        return self._state.open_case(organisation_id, reference)


class AuditAccessLog:
    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    async def record(self, meta: ExchangeMeta, records: Sequence[AccessRecord]) -> Sequence[int]:
        try:
            events = self._events(meta, records)
            return await self._audit.append(events)
        except AuditUnavailable:
            raise
        except Exception as exc:  # anything else: the log did not take it, so nothing leaves
            raise AuditUnavailable("Audit log unavailable; no data released") from exc

    @staticmethod
    def _events(meta: ExchangeMeta, records: Sequence[AccessRecord]) -> list[AuditEvent]:
        principal = meta.requester
        # A household member's own read on the portal is `household.read`, attributed to
        # their pseudonym (`professional`) with role `household`, never to an organisation.
        if isinstance(principal, HouseholdRequester):
            event_type, org, who, role = "household.read", None, principal.person, "household"
        else:
            event_type = "exchange.decision"
            org, who, role = principal.organisation.id, principal.subject, principal.role
        return [
            AuditEvent(
                event_type=event_type,
                request_id=meta.request_id,
                trace_id=meta.trace_id,
                requester_org=org,
                professional=who,
                role=role,
                subject=meta.subject.pseudonym,
                household=meta.subject.household_id,
                purpose=meta.purpose,
                source=record.source,
                category=record.category,
                decision=record.decision,
                reason=record.reason,
                rule_ids=record.rule_ids,
                legal_basis=record.legal_basis,
                consent_ids=record.consent_ids,
                policy_version=meta.policy_version,
                break_glass=record.break_glass,
                justification=meta.justification if record.break_glass else None,
                outcome=record.outcome,
                confidentiality="confidential" if record.confidential else "normal",
                details=(
                    {"exchange_id": meta.exchange_id}
                    if meta.case_id is None
                    else {"exchange_id": meta.exchange_id, "case_id": meta.case_id}
                ),
            )
            for record in records
        ]


def source_token_factory(keys: KeyStore, issuer: str) -> Callable[[str], str]:
    """Short-lived gateway tokens for source systems (audience = the source organisation)."""
    import secrets
    import time

    def mint(audience: str) -> str:
        now = int(time.time())
        return keys.sign_jwt(
            {
                "iss": issuer,
                "sub": issuer,
                "aud": audience,
                "iat": now,
                "exp": now + SOURCE_TOKEN_SECONDS,
                "jti": secrets.token_urlsafe(16),
            }
        )

    return mint


def build_adapters(
    organisations: OrganisationRegistry,
    *,
    config_dir: Path,
    data_dir: Path,
    session: aiohttp.ClientSession,
    token_factory: Callable[[str], str],
    categories: Sequence[str],
    default_timeout: float,
    engines: Callable[[str], AsyncEngine] | None = None,
) -> dict[str, SourceAdapter]:
    adapters: dict[str, SourceAdapter] = {}
    for org in organisations:
        if org.adapter is None:
            continue
        settings: Mapping[str, Any] = {
            "timeout": default_timeout,
            **{
                key: value.replace("{data_dir}", str(data_dir)) if isinstance(value, str) else value
                for key, value in org.adapter.items()
            },
        }
        try:
            adapters[org.id] = build_adapter(
                org.id,
                settings,
                config_dir=config_dir,
                session=session,
                token_factory=token_factory,
                categories=categories,
                engines_factory=engines,
            )
        except AdapterConfigError as exc:
            raise SettingsError(f"config/organisations.toml:{org.id}", str(exc)) from exc
    return adapters


async def exchange_context(app: web.Application) -> AsyncIterator[None]:
    """Build the source adapters and the pipeline's dependencies; release them on shutdown."""
    settings = app[SETTINGS]
    policies = app[POLICIES]
    metrics = app[METRICS]
    token_factory = source_token_factory(app[KEYS], settings.audience)

    def build(organisations: OrganisationRegistry) -> dict[str, SourceAdapter]:
        built = build_adapters(
            organisations,
            config_dir=settings.config_dir,
            data_dir=settings.data_dir,
            session=app[HTTP_SESSION],
            token_factory=token_factory,
            categories=list(app[VOCABULARY].categories),
            default_timeout=settings.source_timeout_seconds,
        )
        return {org_id: MeteredAdapter(adapter, metrics) for org_id, adapter in built.items()}

    # A reload builds the adapters of changed organisations with `build` too.
    live = app[LIVE_CONFIG]
    live.use_adapters(build(app[ORGANISATIONS]), build)
    app[EXCHANGE_DEPS] = ExchangeDeps(
        engine=lambda: policies.engine,
        organisations=live.organisations_view(),
        adapters=live.adapters_view(),
        pseudonymise=app[PSEUDONYMISER].pseudonym,
        subjects=StoreSubjectReader(app[CONSENTS], app[CUSTODY]),
        access_log=MeteredAccessLog(AuditAccessLog(app[AUDIT]), metrics, app[VOCABULARY].purposes),
        deadline_seconds=settings.exchange_deadline_seconds,
        age_rules=app[CONSENTS].rules,
    )
    yield
    await live.close()
