"""The household session of a page request: without one, back to the login page."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from gateway.appkeys import HOUSEHOLD_SESSIONS
from gateway.auth.sessions import COOKIE_NAME, HouseholdSession, clear_session_cookie

__all__ = ["PageSession", "optional_session", "page_session"]


@dataclass(frozen=True, slots=True)
class PageSession:
    session: HouseholdSession
    token: str  # the session token (the CSRF token is bound to it)

    @property
    def person(self) -> str:
        return self.session.person

    @property
    def household_id(self) -> str:
        return self.session.household_id


async def optional_session(request: web.Request) -> PageSession | None:
    """The live session of the browser's cookie, or None."""
    token = request.cookies.get(COOKIE_NAME, "")
    if not token:
        return None
    session = await request.app[HOUSEHOLD_SESSIONS].resolve(token)
    return None if session is None else PageSession(session, token)


async def page_session(request: web.Request) -> PageSession:
    """The live session, or a redirect to /login (saying the session ended when a
    cookie was sent that no longer counts, and forgetting that cookie)."""
    found = await optional_session(request)
    if found is not None:
        return found
    if request.cookies.get(COOKIE_NAME):
        redirect = web.HTTPSeeOther("/login?error=session_expired")
        clear_session_cookie(redirect)
        raise redirect
    raise web.HTTPSeeOther("/login")
