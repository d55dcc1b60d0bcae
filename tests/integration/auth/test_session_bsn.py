"""A session's BSN is stored only sealed with a key derived from the session token."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.auth.sessions import HouseholdSessionStore
from gateway.storage.tables import household_sessions

BSN = "123456782"


async def test_the_bsn_is_sealed_at_rest_and_only_the_token_opens_it(engine: AsyncEngine) -> None:
    store = HouseholdSessionStore(engine)
    token = await store.create("ps_mum", "hh_1", bsn=BSN)
    plain = await store.create("ps_dad", "hh_1")
    session = await store.resolve(token)
    assert session is not None and session.bsn == BSN and BSN not in repr(session)
    without = await store.resolve(plain)
    assert without is not None and without.bsn is None
    async with engine.connect() as conn:
        rows = (await conn.execute(select(household_sessions))).mappings().all()
    assert all(BSN not in str(dict(row)) for row in rows)
    sealed = {row["person"]: row["bsn_sealed"] for row in rows}
    assert sealed["ps_mum"] and sealed["ps_dad"] is None
    async with engine.begin() as conn:  # someone copies the sealed value to their own session
        await conn.execute(
            household_sessions.update()
            .where(household_sessions.c.person == "ps_dad")
            .values(bsn_sealed=sealed["ps_mum"])
        )
    stolen = await store.resolve(plain)
    assert stolen is not None and stolen.bsn is None
