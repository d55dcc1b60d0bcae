"""Typed keys for everything the app holds. No singletons: state lives on the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.auth.keys import KeyStore
from gateway.http.subjects import Pseudonymiser
from gateway.settings import Settings
from policies import PolicyStore, Vocabulary

if TYPE_CHECKING:
    from consent import SqlCaseStore, SqlConsentStore, SqlHouseholdStore
    from gateway.access.custody import CustodyFreshness
    from gateway.access.officer_log import LastVerification
    from gateway.access.rate_limit import RateLimiter
    from gateway.access.visible import PortalRules
    from gateway.audit.reader import AuditReader
    from gateway.audit.writer import AuditLog
    from gateway.auth.jwks_remote import RemoteJwks
    from gateway.auth.login_states import LoginStateStore
    from gateway.auth.officer_sessions import OfficerSessionStore
    from gateway.auth.officers import OfficerRegistry
    from gateway.auth.oidc import OidcRelyingParty
    from gateway.auth.organisation_tokens import OrganisationAuthenticator
    from gateway.auth.organisations import OrganisationRegistry
    from gateway.auth.sessions import HouseholdSessionStore
    from gateway.config_reload import LiveConfiguration
    from gateway.exchange.pipeline import ExchangeDeps
    from gateway.insight.config import InsightConfig
    from gateway.metrics import Metrics
    from policies.processing_register import ProcessingRegister

__all__ = [
    "AUDIT",
    "AUDIT_READER",
    "AUTHENTICATOR",
    "CASES",
    "CONSENTS",
    "CUSTODY",
    "ENGINE",
    "ERROR_CODE",
    "EXCHANGE_DEPS",
    "HOUSEHOLDS",
    "HOUSEHOLD_SESSIONS",
    "HTTP_SESSION",
    "INSIGHT",
    "KEYS",
    "LAST_VERIFICATION",
    "LIVE_CONFIG",
    "LOGIN_STATES",
    "LOG_ORGANISATION",
    "LOG_PURPOSE",
    "METRICS",
    "OFFICERS",
    "OFFICER_OIDC",
    "OFFICER_SESSIONS",
    "OIDC",
    "ORGANISATIONS",
    "POLICIES",
    "PORTAL_RULES",
    "PROCESSING_REGISTER",
    "PSEUDONYMISER",
    "REMOTE_JWKS",
    "REQUEST_ID",
    "SETTINGS",
    "TRACEPARENT",
    "TRACE_ID",
    "VERIFY_LIMITER",
    "VOCABULARY",
]

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
KEYS = web.AppKey("keys", KeyStore)
PSEUDONYMISER = web.AppKey("pseudonymiser", Pseudonymiser)
HTTP_SESSION = web.AppKey("http_session", aiohttp.ClientSession)
POLICIES = web.AppKey("policies", PolicyStore)  # the policy set in force (reloadable)
VOCABULARY = web.AppKey("vocabulary", Vocabulary)
ORGANISATIONS: web.AppKey[OrganisationRegistry] = web.AppKey("organisations")
AUTHENTICATOR: web.AppKey[OrganisationAuthenticator] = web.AppKey("authenticator")
AUDIT: web.AppKey[AuditLog] = web.AppKey("audit")  # the tamper-evident audit log
AUDIT_READER: web.AppKey[AuditReader] = web.AppKey("audit_reader")  # every query of it
EXCHANGE_DEPS: web.AppKey[ExchangeDeps] = web.AppKey("exchange_deps")
HOUSEHOLDS: web.AppKey[SqlHouseholdStore] = web.AppKey("households")
CONSENTS: web.AppKey[SqlConsentStore] = web.AppKey("consents")
CASES: web.AppKey[SqlCaseStore] = web.AppKey("cases")  # registered cases
CUSTODY: web.AppKey[CustodyFreshness] = web.AppKey("custody")  # the custody register
HOUSEHOLD_SESSIONS: web.AppKey[HouseholdSessionStore] = web.AppKey("household_sessions")
LOGIN_STATES: web.AppKey[LoginStateStore] = web.AppKey("login_states")  # OIDC logins
OIDC: web.AppKey[OidcRelyingParty | None] = web.AppKey("oidc")  # None: no provider set
PORTAL_RULES: web.AppKey[PortalRules] = web.AppKey("portal_rules")  # consent.toml [portal]
# The privacy-officer console: configured officers, their sessions, their OIDC login
# (the same relying party, its own callback), and the re-verify rate limit.
OFFICERS: web.AppKey[OfficerRegistry] = web.AppKey("officers")
OFFICER_SESSIONS: web.AppKey[OfficerSessionStore] = web.AppKey("officer_sessions")
OFFICER_OIDC: web.AppKey[OidcRelyingParty | None] = web.AppKey("officer_oidc")
VERIFY_LIMITER: web.AppKey[RateLimiter] = web.AppKey("verify_limiter")
LAST_VERIFICATION: web.AppKey[LastVerification] = web.AppKey("last_verification")
# The configuration generation in force and its reload (gateway/config_reload.py).
LIVE_CONFIG: web.AppKey[LiveConfiguration] = web.AppKey("live_config")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")  # this process's Prometheus registry
REMOTE_JWKS: web.AppKey[RemoteJwks] = web.AppKey("remote_jwks")  # keys from jwks_uri
INSIGHT: web.AppKey[InsightConfig] = web.AppKey("insight")  # config/insight.toml
PROCESSING_REGISTER: web.AppKey[ProcessingRegister] = web.AppKey("processing_register")

# Per-request values (typed request storage).
REQUEST_ID = web.RequestKey("request_id", str)
TRACE_ID = web.RequestKey("trace_id", str)
TRACEPARENT = web.RequestKey("traceparent", str)
ERROR_CODE = web.RequestKey("error_code", str)
LOG_ORGANISATION = web.RequestKey("log_organisation", str)
LOG_PURPOSE = web.RequestKey("log_purpose", str)
