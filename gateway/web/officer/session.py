"""The officer session of a console page: who is logged in, checked again against the
configured officers at every request.

No officer session: to the console's login page. A household session (and no officer
session) is 403: a family member never reaches an officer page, whatever they try.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from gateway.access.officer_log import Officer, OfficerLog
from gateway.appkeys import (
    AUDIT,
    AUDIT_READER,
    HOUSEHOLD_SESSIONS,
    LOG_ORGANISATION,
    OFFICER_SESSIONS,
    OFFICERS,
    ORGANISATIONS,
    REQUEST_ID,
    TRACE_ID,
)
from gateway.auth.officer_sessions import OFFICER_COOKIE, OfficerSession, clear_officer_cookie
from gateway.auth.sessions import COOKIE_NAME
from gateway.errors import Forbidden

__all__ = ["OfficerPage", "officer_log", "officer_page", "optional_officer"]

LOGIN_PATH = "/fg/inloggen"


@dataclass(frozen=True, slots=True)
class OfficerPage:
    session: OfficerSession
    token: str  # the session token (the CSRF token is bound to it)

    @property
    def officer(self) -> Officer:
        s = self.session
        return Officer(s.organisation, s.officer_id, s.role)


async def optional_officer(request: web.Request) -> OfficerPage | None:
    """The live officer session of the browser's cookie, still configured, or None."""
    token = request.cookies.get(OFFICER_COOKIE, "")
    if not token:
        return None
    session = await request.app[OFFICER_SESSIONS].resolve(token)
    if session is None:
        return None
    configured = request.app[OFFICERS].get(session.officer_id)
    if (
        configured is None
        or configured.organisation != session.organisation
        or configured.role != session.role
    ):
        await request.app[OFFICER_SESSIONS].revoke(token)  # removed from the configuration
        return None
    request[LOG_ORGANISATION] = session.organisation
    return OfficerPage(session, token)


async def officer_page(request: web.Request) -> OfficerPage:
    found = await optional_officer(request)
    if found is not None:
        return found
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    household = value.strip() if scheme.lower() == "session" else ""
    household = household or request.cookies.get(COOKIE_NAME, "")
    if household and await request.app[HOUSEHOLD_SESSIONS].resolve(household) is not None:
        raise Forbidden("A household session has no access to the privacy officer's console")
    if request.cookies.get(OFFICER_COOKIE):
        redirect = web.HTTPSeeOther(f"{LOGIN_PATH}?fout=session_expired")
        clear_officer_cookie(redirect)
        raise redirect
    raise web.HTTPSeeOther(LOGIN_PATH)


def officer_log(request: web.Request) -> OfficerLog:
    return OfficerLog(
        request.app[AUDIT_READER],
        request.app[AUDIT],
        request.app[ORGANISATIONS],
        request[REQUEST_ID],
        request.get(TRACE_ID),
    )
