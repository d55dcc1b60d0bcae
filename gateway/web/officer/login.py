"""The console's login: the same OpenID Connect relying party as the household portal
(`gateway.auth.oidc`: PKCE, state, nonce, signed ID token), with its own callback
(`/fg/oidc/callback`) and its own login cookie, so the two logins never mix.

The ID token's officer claims are checked against `config/privacy_officers.toml`
(`gateway.auth.officers`): never the role from the claim alone. A login makes a new
officer session (any session cookie the browser sent along is revoked) whose
`auth.login` audit entry commits with it; a refusal after the state matched is an
`auth.login_refused` entry. Every refusal goes to `/fg/inloggen?fout=<code>`.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from gateway.appkeys import (
    AUDIT,
    ERROR_CODE,
    OFFICER_OIDC,
    OFFICER_SESSIONS,
    OFFICERS,
    SETTINGS,
)
from gateway.auth.login_audit import audit_refusal, login_event
from gateway.auth.login_states import clear_login_cookie, set_login_cookie
from gateway.auth.officer_sessions import (
    OFFICER_COOKIE,
    OFFICER_LOGIN_COOKIE,
    clear_officer_cookie,
    set_officer_cookie,
)
from gateway.auth.officers import OfficerRefused
from gateway.auth.oidc import LoginRefused
from gateway.http.problems import as_gateway_error
from gateway.web.csrf import require_csrf
from gateway.web.officer.session import LOGIN_PATH, officer_page, optional_officer
from gateway.web.officer.views import page

__all__ = ["LOGIN_ERRORS", "callback", "login_page", "login_start", "logout"]

log = structlog.get_logger("gateway.officer_login")
UNAUDITED = "officer_login_refusal_not_audited"  # a refusal the audit log could not take

#: `?fout=` code -> catalogue key under `fg.login.error.` (anything else: `login_failed`).
LOGIN_ERRORS: dict[str, str] = {
    "session_expired": "session_expired",
    "logged_out": "logged_out",
    "login_unavailable": "login_unavailable",
    "provider_unavailable": "login_unavailable",
    "provider_error": "login_unavailable",
    "login_cancelled": "login_cancelled",
    "not_an_officer": "not_an_officer",
    "officer_office_mismatch": "not_an_officer",
    "service_unavailable": "service_unavailable",
}


async def login_page(request: web.Request) -> web.Response:
    found = await optional_officer(request)
    code = request.query.get("fout")
    error = None if code is None else LOGIN_ERRORS.get(code, "login_failed")
    return page(
        request,
        "officer/login.html",
        {"error": error, "demo": request.app[SETTINGS].demo_mode},
        found,
    )


async def login_start(request: web.Request) -> web.StreamResponse:
    relying_party = request.app[OFFICER_OIDC]
    if relying_party is None:
        return _refused(request, "login_unavailable")
    try:
        url, login_id = await relying_party.start()
    except LoginRefused as refused:
        return _refused(request, refused.code)
    response = web.Response(status=302, headers={"Location": url})
    set_login_cookie(response, login_id, OFFICER_LOGIN_COOKIE)
    return response


async def callback(request: web.Request) -> web.StreamResponse:
    try:
        return await _callback(request)
    except Exception as exc:  # an outage mid-login: a page the officer can read
        error = as_gateway_error(exc)
        if error is None or error.status != 503:
            raise
        log.warning("officer_login_unavailable", code=error.code)
        return _refused(request, "service_unavailable")


async def _callback(request: web.Request) -> web.StreamResponse:
    relying_party = request.app[OFFICER_OIDC]
    if relying_party is None:
        return _refused(request, "login_unavailable")
    query = {key: request.query[key] for key in ("state", "code", "error") if key in request.query}
    try:
        claims = await relying_party.finish_claims(
            request.cookies.get(OFFICER_LOGIN_COOKIE, ""), query
        )
        officer = request.app[OFFICERS].check(claims)
    except LoginRefused as refused:
        if refused.after_state:
            await audit_refusal(request, log, UNAUDITED, decision="deny", reason=refused.code)
        return _refused(request, refused.code)
    except OfficerRefused as refused:  # the state matched: the provider vouched for someone
        await audit_refusal(request, log, UNAUDITED, decision="deny", reason=refused.code)
        return _refused(request, refused.code)
    event = login_event(
        request,
        "auth.login",
        requester_org=officer.organisation,
        professional=officer.id,
        role=officer.role,
        decision="permit",
        details={"method": "oidc", "console": "officer"},
    )
    token = await request.app[OFFICER_SESSIONS].create(
        officer.id,
        officer.organisation,
        officer.role,
        replaces=request.cookies.get(OFFICER_COOKIE) or None,
        audit=request.app[AUDIT].within([event]),
    )
    log.info("officer_login")
    response = web.Response(status=302, headers={"Location": "/fg"})
    clear_login_cookie(response, OFFICER_LOGIN_COOKIE)
    set_officer_cookie(response, token)
    return response


async def logout(request: web.Request) -> web.Response:
    found = await officer_page(request)
    await require_csrf(request, found.token)
    await request.app[OFFICER_SESSIONS].revoke(found.token)
    response = web.HTTPSeeOther(f"{LOGIN_PATH}?fout=logged_out")
    clear_officer_cookie(response)
    raise response


def _refused(request: web.Request, code: str) -> web.StreamResponse:
    request[ERROR_CODE] = code
    log.info("officer_login_refused", code=code)
    response = web.Response(status=302, headers={"Location": f"{LOGIN_PATH}?fout={code}"})
    clear_login_cookie(response, OFFICER_LOGIN_COOKIE)
    return response
