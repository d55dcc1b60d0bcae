"""Logging in and out, and the language switch.

`GET /login` explains the login (DigiD through a broker; in the demo, the demo's own
provider) and links to `/login/start`, where the OpenID Connect flow begins; an
`?error=<code>` from that flow is said in plain words (an unknown code: a general
message; the code itself is never echoed). `POST /logout` (CSRF-checked) revokes the
session and forgets the cookie. `GET /taal` sets the `lang` cookie and returns to the
page it came from (only a path on this site).
"""

from __future__ import annotations

from aiohttp import web

from gateway.appkeys import HOUSEHOLD_SESSIONS, SETTINGS
from gateway.auth.sessions import clear_session_cookie
from gateway.web.csrf import require_csrf
from gateway.web.household.session import optional_session
from gateway.web.i18n import LANG_COOKIE, LANGUAGES
from gateway.web.rendering import render, safe_return_path

__all__ = ["LOGIN_ERRORS", "language_switch", "login_page", "logout"]

#: The words for each `?error=` code (the login flow's `gateway.auth.oidc.LOGIN_ERRORS`,
#: and the pages' own `session_expired` and `logged_out`): a catalogue key under
#: `login.error.`. A code not listed reads as `login_failed`.
LOGIN_ERRORS: dict[str, str] = {
    "session_expired": "session_expired",
    "logged_out": "logged_out",
    "login_unavailable": "login_unavailable",
    "login_cancelled": "login_cancelled",
    "provider_unavailable": "provider_unavailable",
    "provider_error": "provider_unavailable",
    "unknown_person": "not_registered",
    "too_young": "too_young",
    "invalid_bsn": "invalid_bsn",
    "service_unavailable": "service_unavailable",
    "login_expired": "login_failed",
    "state_mismatch": "login_failed",
    "code_refused": "login_failed",
    "id_token_invalid": "login_failed",
    "nonce_mismatch": "login_failed",
}


async def login_page(request: web.Request) -> web.Response:
    session = await optional_session(request)
    code = request.query.get("error")
    error = None if code is None else LOGIN_ERRORS.get(code, "login_failed")
    return render(
        request,
        "login.html",
        {"error": error, "demo": request.app[SETTINGS].demo_mode},
        session_token=session.token if session else None,
    )


async def logout(request: web.Request) -> web.Response:
    session = await optional_session(request)
    if session is None:
        raise web.HTTPSeeOther("/login")
    await require_csrf(request, session.token)
    await request.app[HOUSEHOLD_SESSIONS].revoke(session.token)
    response = web.HTTPSeeOther("/login?error=logged_out")
    clear_session_cookie(response)
    raise response


async def language_switch(request: web.Request) -> web.Response:
    lang = request.query.get("lang", "")
    back = safe_return_path(request.query.get("terug"))
    response = web.HTTPSeeOther(back)
    if lang in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            path="/",
            httponly=True,
            secure=request.app[SETTINGS].https,
            samesite="Lax",
        )
    raise response
