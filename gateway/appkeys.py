"""Typed keys for everything the app holds. No singletons: state lives on the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.keys import KeyStore
from gateway.settings import Settings
from gateway.subjects import Pseudonymiser

if TYPE_CHECKING:
    from gateway.org_auth import OrganisationAuthenticator
    from gateway.organisations import OrganisationRegistry

__all__ = [
    "AUTHENTICATOR",
    "ENGINE",
    "ERROR_CODE",
    "HTTP_SESSION",
    "KEYS",
    "LOG_ORGANISATION",
    "LOG_PURPOSE",
    "ORGANISATIONS",
    "PSEUDONYMISER",
    "REQUEST_ID",
    "SETTINGS",
    "TRACEPARENT",
    "TRACE_ID",
]

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
KEYS = web.AppKey("keys", KeyStore)
PSEUDONYMISER = web.AppKey("pseudonymiser", Pseudonymiser)
HTTP_SESSION = web.AppKey("http_session", aiohttp.ClientSession)
ORGANISATIONS: web.AppKey[OrganisationRegistry] = web.AppKey("organisations")
AUTHENTICATOR: web.AppKey[OrganisationAuthenticator] = web.AppKey("authenticator")

# Per-request values (typed request storage).
REQUEST_ID = web.RequestKey("request_id", str)
TRACE_ID = web.RequestKey("trace_id", str)
TRACEPARENT = web.RequestKey("traceparent", str)
ERROR_CODE = web.RequestKey("error_code", str)
LOG_ORGANISATION = web.RequestKey("log_organisation", str)
LOG_PURPOSE = web.RequestKey("log_purpose", str)
