"""The portal's login: `GET /login/start` sends the browser to the identity provider,
`GET /oidc/callback` brings it back (`gateway.auth.oidc` checks everything).

Both answer with redirects only. A login succeeds for a member of a household the
gateway knows, 12 or older (younger children are represented by their parents with
custody; `child_consents_from` in config/consent.toml): a new session (any session
cookie the browser sent along is revoked: no fixation) whose `auth.login` audit entry
commits with it, then `/`. Every refusal goes to `/login?error=<code>` (the codes of
`gateway.auth.oidc.LOGIN_ERRORS`; the login page explains them), logged with that
code; a refusal after the browser's own login state matched is also an
`auth.login_refused` audit entry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from aiohttp import web

from gateway.appkeys import (
    AUDIT,
    CONSENTS,
    ERROR_CODE,
    HOUSEHOLD_SESSIONS,
    HOUSEHOLDS,
    OIDC,
    PSEUDONYMISER,
    SETTINGS,
)
from gateway.auth.login_audit import audit_refusal, login_event
from gateway.auth.login_states import LOGIN_COOKIE, clear_login_cookie, set_login_cookie
from gateway.auth.oidc import LoginRefused
from gateway.auth.sessions import COOKIE_NAME, set_session_cookie
from gateway.http.problems import as_gateway_error

__all__ = ["OPENAPI", "setup"]

log = structlog.get_logger("gateway.login")
UNAUDITED = "portal_login_refusal_not_audited"  # a refusal the audit log could not take


async def login_start(request: web.Request) -> web.StreamResponse:
    relying_party = request.app[OIDC]
    if relying_party is None:
        return _refused(request, LoginRefused("login_unavailable"))
    try:
        url, login_id = await relying_party.start()
    except LoginRefused as refused:
        return _refused(request, refused)
    response = _found(url)
    set_login_cookie(response, login_id)
    return response


async def oidc_callback(request: web.Request) -> web.StreamResponse:
    try:
        return await _callback(request)
    except LoginRefused:
        raise
    except Exception as exc:  # an outage mid-login: a page the person can read, not JSON
        error = as_gateway_error(exc)
        if error is None or error.status != 503:
            raise
        log.warning("portal_login_unavailable", code=error.code)
        return _refused(request, LoginRefused("service_unavailable"))


async def _callback(request: web.Request) -> web.StreamResponse:
    relying_party = request.app[OIDC]
    if relying_party is None:
        return _refused(request, LoginRefused("login_unavailable"))
    query = {key: request.query[key] for key in ("state", "code", "error") if key in request.query}
    try:
        bsn = await relying_party.finish(request.cookies.get(LOGIN_COOKIE, ""), query)
        person = request.app[PSEUDONYMISER].pseudonym(bsn)
        households = await request.app[HOUSEHOLDS].households_of(person)
        if not households:
            raise LoginRefused("unknown_person", after_state=True)
        if await _too_young(request, person):
            raise LoginRefused("too_young", after_state=True)
    except LoginRefused as refused:
        if refused.after_state:
            await audit_refusal(request, log, UNAUDITED, decision="deny", reason=refused.code)
        return _refused(request, refused)
    household = households[0]  # a person in two households: the one they joined first
    event = login_event(
        request,
        "auth.login",
        subject=person,
        household=household,
        decision="permit",
        details={"method": "oidc"},
    )
    token = await request.app[HOUSEHOLD_SESSIONS].create(
        person,
        household,
        replaces=request.cookies.get(COOKIE_NAME) or None,
        audit=request.app[AUDIT].within([event]),
        bsn=bsn,  # sealed with the token: the portal asks the sources about them by it
    )
    log.info("portal_login")
    response = _found("/")
    clear_login_cookie(response)
    set_session_cookie(response, token, request.app[SETTINGS])
    return response


async def _too_young(request: web.Request, person: str) -> bool:
    """Under `child_consents_from` (12): the parents with custody act for the child."""
    birth = await request.app[HOUSEHOLDS].birth_date(person)
    if birth is None:
        return False
    rules = request.app[CONSENTS].rules
    return rules.age_at(birth, datetime.now(UTC)) < rules.child_consents_from


def _refused(request: web.Request, refused: LoginRefused) -> web.StreamResponse:
    request[ERROR_CODE] = refused.code
    log.info("portal_login_refused", code=refused.code)
    response = _found(f"/login?error={refused.code}")
    clear_login_cookie(response)
    return response


def _found(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})


def setup(app: web.Application) -> None:
    app.router.add_get("/login/start", login_start)
    app.router.add_get("/oidc/callback", oidc_callback)


def _redirect(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"Location": {"schema": {"type": "string"}}},
    }


OPENAPI: dict[str, dict[str, Any]] = {
    "/login/start": {
        "get": {
            "operationId": "portalLoginStart",
            "summary": "Start the portal login: a redirect to the identity provider (OIDC, "
            "authorization code with PKCE); sets the short-lived `__Host-gw_login` cookie",
            "tags": ["household"],
            "security": [],
            "responses": {
                "302": _redirect(
                    "To the identity provider, or to `/login?error=<code>` "
                    "(`login_unavailable`, `provider_unavailable`)"
                )
            },
        }
    },
    "/oidc/callback": {
        "get": {
            "operationId": "portalLoginCallback",
            "summary": "The identity provider's redirect back: checks state, code, ID token "
            "and BSN; a new household session (`__Host-gw_session`) and a redirect to `/`",
            "tags": ["household"],
            "security": [],
            "parameters": [
                {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                for name in ("state", "code", "error")
            ],
            "responses": {
                "302": _redirect(
                    "To `/` with a new session, or to `/login?error=<code>` "
                    "(codes: gateway.auth.oidc.LOGIN_ERRORS)"
                )
            },
        }
    },
}
