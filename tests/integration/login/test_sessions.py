"""Portal sessions in the database: idle and absolute limits, the throttled last-seen
write, revocation, the cookie, and which audience may use which routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from consent_support import MOTHER, assert_problem
from login_support import Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support import GatewayFixture

from gateway.appkeys import HOUSEHOLD_SESSIONS, PSEUDONYMISER
from gateway.auth.login_states import LoginState, LoginStateStore
from gateway.auth.sessions import (
    COOKIE_NAME,
    HouseholdSessionStore,
    clear_session_cookie,
    set_session_cookie,
)
from gateway.storage.tables import household_sessions

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def store(engine: AsyncEngine) -> HouseholdSessionStore:
    return HouseholdSessionStore(engine, idle=timedelta(minutes=15), absolute=timedelta(hours=12))


async def last_seen(engine: AsyncEngine) -> datetime:
    async with engine.connect() as conn:
        value = (await conn.execute(select(household_sessions.c.last_seen_at))).scalar_one()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def test_a_session_ends_after_fifteen_idle_minutes(engine: AsyncEngine) -> None:
    sessions = store(engine)
    token = await sessions.create("ps_a", "hh_1", now=T0)
    assert await sessions.resolve(token, now=T0 + timedelta(minutes=14)) is not None
    # used at 14 minutes: the idle clock starts again from there
    assert await sessions.resolve(token, now=T0 + timedelta(minutes=28)) is not None
    assert await sessions.resolve(token, now=T0 + timedelta(minutes=44)) is None


async def test_a_session_ends_twelve_hours_after_login_however_busy(engine: AsyncEngine) -> None:
    sessions = store(engine)
    token = await sessions.create("ps_a", "hh_1", now=T0)
    moment = T0
    while moment < T0 + timedelta(hours=12) - timedelta(minutes=10):
        moment += timedelta(minutes=10)
        assert await sessions.resolve(token, now=moment) is not None
    assert await sessions.resolve(token, now=T0 + timedelta(hours=12)) is None


async def test_last_seen_is_written_at_most_once_a_minute(engine: AsyncEngine) -> None:
    sessions = store(engine)
    token = await sessions.create("ps_a", "hh_1", now=T0)
    await sessions.resolve(token, now=T0 + timedelta(seconds=30))
    assert await last_seen(engine) == T0
    await sessions.resolve(token, now=T0 + timedelta(seconds=61))
    assert await last_seen(engine) == T0 + timedelta(seconds=61)


async def test_revoke_replace_and_prune(engine: AsyncEngine) -> None:
    sessions = store(engine)
    first = await sessions.create("ps_a", "hh_1", now=T0)
    second = await sessions.create("ps_a", "hh_1", now=T0, replaces=first)
    assert await sessions.resolve(first, now=T0) is None
    assert await sessions.resolve(second, now=T0) is not None
    await sessions.revoke(second)
    assert await sessions.resolve(second, now=T0) is None
    await sessions.create("ps_b", "hh_1", now=T0)
    assert await sessions.prune(now=T0 + timedelta(minutes=16)) == 1


async def test_a_login_state_is_taken_once_and_only_within_ten_minutes(
    engine: AsyncEngine,
) -> None:
    states = LoginStateStore(engine)
    login = LoginState("s", "n", "v" * 43, T0)
    login_id = await states.begin(login)
    assert await states.take(login_id, now=T0 + timedelta(minutes=1)) == login
    assert await states.take(login_id, now=T0 + timedelta(minutes=1)) is None
    stale = await states.begin(login)
    assert await states.take(stale, now=T0 + timedelta(minutes=10)) is None
    assert await states.take("", now=T0) is None


def test_the_cookie_is_host_prefixed_secure_http_only_and_lax(gateway: GatewayFixture) -> None:
    response = web.Response()
    set_session_cookie(response, "tok", gateway.settings)
    morsel = response.cookies[COOKIE_NAME]
    assert COOKIE_NAME.startswith("__Host-")
    assert morsel["secure"] is True and morsel["httponly"] is True
    assert morsel["samesite"] == "Lax" and morsel["path"] == "/" and not morsel["domain"]
    cleared = web.Response()
    clear_session_cookie(cleared)
    gone = cleared.cookies[COOKIE_NAME]
    assert gone.value == "" and gone["max-age"] == "0" and gone["secure"] is True


async def test_an_organisation_token_on_me_is_refused(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.get("/api/v1/me/consents", headers=gateway.auth("wijkteam-utrecht"))
    await assert_problem(response, 401, "unauthenticated")


async def test_a_household_session_on_the_audit_api_is_refused(
    client: Client, household: dict[str, Any]
) -> None:
    person = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    token = await client.app[HOUSEHOLD_SESSIONS].create(person, household["id"])
    for headers in (
        {"Authorization": f"Session {token}"},
        {"Cookie": f"{COOKIE_NAME}={token}"},
    ):
        for path in ("/api/v1/audit/entries", "/api/v1/audit/verify"):
            # issue 14: a household session on the officer API is 403, not "log in"
            response = await client.get(path, headers=headers)
            assert response.status == 403, path
            assert (await response.json())["code"] == "forbidden"
