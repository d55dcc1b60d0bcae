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
    from gateway.access.visible import PortalRules
    from gateway.audit.reader import AuditReader
    from gateway.audit.writer import AuditLog
    from gateway.auth.login_states import LoginStateStore
    from gateway.auth.oidc import OidcRelyingParty
    from gateway.auth.organisation_tokens import OrganisationAuthenticator
    from gateway.auth.organisations import OrganisationRegistry
    from gateway.auth.sessions import HouseholdSessionStore
    from gateway.exchange.pipeline import ExchangeDeps
    from gateway.insight.config import InsightConfig
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
    "LOGIN_STATES",
    "LOG_ORGANISATION",
    "LOG_PURPOSE",
    "OIDC",
    "ORGANISATIONS",
    "POLICIES",
    "PORTAL_RULES",
    "PROCESSING_REGISTER",
    "PSEUDONYMISER",
    "REQUEST_ID",
    "SETTINGS",
    "TRACEPARENT",
    "TRACE_ID",
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
INSIGHT: web.AppKey[InsightConfig] = web.AppKey("insight")  # config/insight.toml
PROCESSING_REGISTER: web.AppKey[ProcessingRegister] = web.AppKey("processing_register")

# Per-request values (typed request storage).
REQUEST_ID = web.RequestKey("request_id", str)
TRACE_ID = web.RequestKey("trace_id", str)
TRACEPARENT = web.RequestKey("traceparent", str)
ERROR_CODE = web.RequestKey("error_code", str)
LOG_ORGANISATION = web.RequestKey("log_organisation", str)
LOG_PURPOSE = web.RequestKey("log_purpose", str)
