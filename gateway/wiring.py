"""Wiring the consent package and the custody register into the app: stores on typed
keys, the expiry sweep, the register client with its freshness check.

`consent` never imports `gateway`; here the gateway hands it the engine, the age
rules from `config/consent.toml`, the signing function (the gateway's Ed25519
key, so receipts verify against `/.well-known/jwks.json`) and its issuer name.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

import structlog
from aiohttp import web

from adapters.custody_http import REGISTER_ID, HttpCustodySource
from consent import RECEIPT_TYP, AgeRules, SqlCaseStore, SqlConsentStore, SqlHouseholdStore
from gateway.access.custody import CustodyFreshness, RegisterCustodySource
from gateway.access.officer_log import LastVerification
from gateway.access.rate_limit import RateLimiter
from gateway.appkeys import (
    AUDIT,
    CASES,
    CONSENTS,
    CUSTODY,
    ENGINE,
    HOUSEHOLD_SESSIONS,
    HOUSEHOLDS,
    HTTP_SESSION,
    KEYS,
    LAST_VERIFICATION,
    LOGIN_STATES,
    OFFICER_OIDC,
    OFFICER_SESSIONS,
    OIDC,
    PSEUDONYMISER,
    SETTINGS,
    VERIFY_LIMITER,
)
from gateway.auth.login_states import LoginStateStore
from gateway.auth.officer_sessions import OfficerSessionStore
from gateway.auth.oidc import OidcConfig, OidcRelyingParty
from gateway.auth.sessions import HouseholdSessionStore
from gateway.errors import SettingsError
from gateway.exchange.wiring import source_token_factory

__all__ = [
    "EXPIRY_SWEEP_SECONDS",
    "consent_context",
    "custody_context",
    "load_age_rules",
    "login_context",
    "officer_context",
]

log = structlog.get_logger("gateway.consent")

EXPIRY_SWEEP_SECONDS = 600.0


def load_age_rules(app: web.Application) -> AgeRules:
    path = app[SETTINGS].config_dir / "consent.toml"
    try:
        return AgeRules.load(path)
    except (ValueError, OSError) as exc:
        raise SettingsError(str(path), str(exc)) from exc


async def consent_context(app: web.Application) -> AsyncIterator[None]:
    """Runs after `_database`: the stores share its engine."""
    engine = app[ENGINE]
    keys = app[KEYS]

    def sign(claims: Mapping[str, Any]) -> str:
        return keys.sign_jwt(claims, typ=RECEIPT_TYP)

    app[HOUSEHOLDS] = SqlHouseholdStore(engine)
    app[CASES] = SqlCaseStore(engine)
    app[CONSENTS] = SqlConsentStore(
        engine, rules=load_age_rules(app), sign=sign, issuer=app[SETTINGS].base_url
    )
    settings = app[SETTINGS]
    app[HOUSEHOLD_SESSIONS] = HouseholdSessionStore(
        engine,
        idle=timedelta(seconds=settings.session_idle_seconds),
        absolute=timedelta(seconds=settings.session_absolute_seconds),
    )
    app[LOGIN_STATES] = LoginStateStore(engine)

    async def sweep_forever() -> None:
        while True:
            await asyncio.sleep(EXPIRY_SWEEP_SECONDS)
            try:
                expired = await app[CONSENTS].expire_due()
                await app[HOUSEHOLD_SESSIONS].prune()
                await app[LOGIN_STATES].prune()
                if OFFICER_SESSIONS in app:  # set by `officer_context`, which runs later
                    await app[OFFICER_SESSIONS].prune()
            except Exception as exc:  # a passing database outage must not end the loop
                log.warning("consent_sweep_failed", error_type=type(exc).__name__)
            else:
                if expired:
                    log.info("consents_expired", count=expired)

    task = asyncio.create_task(sweep_forever())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await app[CONSENTS].close()


async def custody_context(app: web.Application) -> AsyncIterator[None]:
    """The register client on the app's HTTP session, and the freshness check on the stores."""
    settings = app[SETTINGS]
    client = HttpCustodySource(
        settings.custody_register_url,
        app[HTTP_SESSION],
        source_token_factory(app[KEYS], settings.audience),
        timeout=settings.custody_register_timeout_seconds,
        audience=REGISTER_ID,
    )
    app[CUSTODY] = CustodyFreshness(
        RegisterCustodySource(client),
        app[HOUSEHOLDS],
        app[CONSENTS],
        app[PSEUDONYMISER].pseudonym,
        settings.custody_freshness_seconds,
        audit=app[AUDIT],
    )
    yield


async def login_context(app: web.Application) -> AsyncIterator[None]:
    """The portal's OIDC relying party on the app's HTTP session (None without an issuer).
    The client secret is read here, from its file, so a missing one stops start-up."""
    settings = app[SETTINGS]
    if not settings.oidc_issuer:
        app[OIDC] = None
    else:
        config = OidcConfig(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret(),
            redirect_url=settings.oidc_callback_url,
            bsn_claim=settings.oidc_bsn_claim,
            timeout_seconds=settings.oidc_timeout_seconds,
        )
        app[OIDC] = OidcRelyingParty(config, app[HTTP_SESSION], app[LOGIN_STATES])
    yield


async def officer_context(app: web.Application) -> AsyncIterator[None]:
    """The privacy-officer console: its sessions on the engine, its OIDC login (the same
    relying party as the portal's, same provider and client, its own callback), and the
    re-verify rate limit. Runs after `login_context`."""
    settings = app[SETTINGS]
    app[OFFICER_SESSIONS] = OfficerSessionStore(
        app[ENGINE],
        idle=timedelta(seconds=settings.officer_session_idle_seconds),
        absolute=timedelta(seconds=settings.officer_session_absolute_seconds),
    )
    app[VERIFY_LIMITER] = RateLimiter(
        settings.officer_verify_per_minute, settings.verify_per_minute
    )
    app[LAST_VERIFICATION] = LastVerification()
    portal = app[OIDC]
    app[OFFICER_OIDC] = (
        None
        if portal is None
        else OidcRelyingParty(
            replace(portal.config, redirect_url=settings.officer_oidc_callback_url),
            app[HTTP_SESSION],
            app[LOGIN_STATES],
        )
    )
    yield
