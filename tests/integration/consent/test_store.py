"""The stores against a real database: the check, age rules on the birthday, custody
changes, expiry, and a withdrawal seen by a second gateway instance at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from consent_support import GI_REF as GI
from consent_support import MOTHER, PROFESSIONAL, T0, Client, consent_body, household_body
from consent_support import SUPPORT_PLANNING_SCOPE as SCOPE
from consent_support import VEILIG_THUIS_SOURCE as SOURCE
from consent_support import WIJKTEAM_REF as WIJKTEAM
from support import GatewayFixture

from consent import (
    AgeRules,
    NewConsent,
    NewMember,
    SqlConsentStore,
    SqlHouseholdStore,
)
from gateway.app import create_app
from gateway.appkeys import CONSENTS, PSEUDONYMISER
from gateway.storage.db import create_engine


def new_consent(subject: str, given_by: str, **changes: Any) -> NewConsent:
    values: dict[str, Any] = {
        "subject": subject,
        "given_by": given_by,
        "decision": "grant",
        "scope": SCOPE,
        "recorded_via": "paper",
        "recorded_by": PROFESSIONAL,
        "given_at": T0,
        "valid_from": T0,
        "evidence_reference": "form-1",
        "policy_version": "sha256:test",
    }
    values.update(changes)
    return NewConsent(**values)


async def test_age_rules_apply_at_decision_time(gateway: GatewayFixture) -> None:
    """Parents consent for an 11-year-old: enough until the 12th birthday; from then
    the child must consent too; on the 16th the parents' consents stop counting."""
    engine = create_engine(gateway.settings.database_url)
    try:
        homes = SqlHouseholdStore(engine)
        store = SqlConsentStore(engine, rules=AgeRules(), sign=lambda c: "jws", issuer="test")
        birth = date(2015, 3, 1)
        await homes.register(
            regiehouder="wijkteam-utrecht",
            region="utrecht",
            members=[
                NewMember("ps_mum", date(1985, 1, 1), "parent"),
                NewMember("ps_dad", date(1984, 1, 1), "parent"),
                NewMember("ps_kid", birth, "child"),
            ],
            custody_pairs=[("ps_mum", "ps_kid"), ("ps_dad", "ps_kid")],
            contact_organisation="wijkteam-utrecht",
            contact_professional="p-1",
            actor=PROFESSIONAL,
            at=T0 - timedelta(days=1),
            custody_confirmed_at=T0 - timedelta(days=1),  # the register confirmed both
        )
        for parent in ("ps_mum", "ps_dad"):
            await store.record(new_consent("ps_kid", parent), at=T0)

        def at(d: date) -> datetime:  # midnight on the Dutch calendar (the default zone)
            return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo("Europe/Amsterdam"))

        eve12, day12 = at(date(2027, 2, 28)) + timedelta(hours=23), at(date(2027, 3, 1))
        before = await store.covers(
            "ps_kid", WIJKTEAM, "support_planning", "support_plan", None, eve12
        )
        assert before.ok
        assert len(before.consent_ids) == 2
        on = await store.covers("ps_kid", WIJKTEAM, "support_planning", "support_plan", None, day12)
        assert (on.ok, on.missing, on.rule) == (False, ("ps_kid",), "child_and_custody_holders")
        await store.record(
            new_consent("ps_kid", "ps_kid", given_at=day12, valid_from=day12), at=day12
        )
        assert (
            await store.covers("ps_kid", WIJKTEAM, "support_planning", "support_plan", None, day12)
        ).ok
        day16 = at(date(2031, 3, 1))
        sixteen = await store.covers(
            "ps_kid", WIJKTEAM, "support_planning", "support_plan", None, day16
        )
        assert sixteen.ok
        assert sixteen.rule == "self"
        assert len(sixteen.consent_ids) == 1  # only the young person's own consent counts
        many = await store.covers_many(
            "ps_kid",
            WIJKTEAM,
            [
                ("support_planning", "support_plan", SOURCE),
                ("support_planning", "health", SOURCE),
                ("safety_assessment", "support_plan", None),
            ],
            day16,
        )
        assert [c.ok for c in many] == [True, False, False]
        other = await store.covers("ps_kid", GI, "support_planning", "support_plan", None, day16)
        assert not other.ok
        # When custody ends the parent's consent stops counting.
        await homes.custody_ended(
            (await homes.households_of("ps_kid"))[0], "ps_dad", "ps_kid", actor=PROFESSIONAL, at=T0
        )
        mid = at(date(2026, 6, 1))
        after = await store.covers(
            "ps_kid", WIJKTEAM, "support_planning", "support_plan", None, mid
        )
        assert after.ok
        assert after.consent_ids == tuple(
            c.id for c in await store.for_subject("ps_kid") if c.given_by == "ps_mum"
        )
        unknown = await store.covers("ps_nobody", WIJKTEAM, "support_planning", "school", None, mid)
        assert (unknown.ok, unknown.missing, unknown.rule) == (
            False,
            ("ps_nobody",),
            "not_registered",
        )
    finally:
        await store.close()
        await engine.dispose()


async def test_expiry_is_recorded_as_an_event(gateway: GatewayFixture) -> None:
    engine = create_engine(gateway.settings.database_url)
    try:
        homes = SqlHouseholdStore(engine)
        signed: list[dict[str, Any]] = []

        def sign(claims: dict[str, Any]) -> str:
            signed.append(claims)
            return "jws"

        store = SqlConsentStore(engine, rules=AgeRules(), sign=sign, issuer="test")
        await homes.register(
            regiehouder="wijkteam-utrecht",
            region="utrecht",
            members=[NewMember("ps_adult", date(1980, 1, 1), "adult")],
            custody_pairs=[],
            contact_organisation="wijkteam-utrecht",
            contact_professional="p-1",
            actor=PROFESSIONAL,
            at=T0 - timedelta(days=1),
        )
        record = await store.record(
            new_consent("ps_adult", "ps_adult", valid_until=T0 + timedelta(days=30)), at=T0
        )
        inside = T0 + timedelta(days=29)
        end = T0 + timedelta(days=30)
        q = ("ps_adult", WIJKTEAM, "support_planning", "school", None)
        assert (await store.covers(*q, inside)).ok
        assert not (await store.covers(*q, end)).ok
        assert await store.expire_due(inside) == 0
        assert await store.expire_due(end) == 1
        expired = await store.get(record.id)
        assert expired.status == "expired"
        assert [e.event for e in expired.events] == ["granted", "expired"]
        assert signed[0]["event"] == "granted"
        assert signed[0]["valid_until"] == (T0 + timedelta(days=30)).isoformat()
    finally:
        await store.close()
        await engine.dispose()


@pytest.mark.usefixtures("custody_server")
async def test_withdrawal_is_honoured_at_once_by_another_instance(
    gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    """Two gateway apps on one database: withdraw through A, check through B."""
    first: Client = await aiohttp_client(create_app(gateway.settings))
    second: Client = await aiohttp_client(create_app(gateway.settings))
    created = await first.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth("wijkteam-utrecht")
    )
    assert created.status == 201

    response = await first.post(
        "/api/v1/consents", json=consent_body(MOTHER), headers=gateway.auth("wijkteam-utrecht")
    )
    consent_id = (await response.json())["id"]
    subject = second.app[PSEUDONYMISER].pseudonym(MOTHER)
    now = datetime.now(UTC)
    check = second.app[CONSENTS].covers
    granted = await check(subject, WIJKTEAM, "support_planning", "support_plan", None, now)
    assert granted.ok
    assert granted.consent_ids == (consent_id,)
    withdrawn = await first.post(
        f"/api/v1/consents/{consent_id}/withdraw",
        json={"evidence_reference": "letter"},
        headers=gateway.auth("wijkteam-utrecht"),
    )
    assert withdrawn.status == 200
    after = await check(
        subject, WIJKTEAM, "support_planning", "support_plan", None, datetime.now(UTC)
    )
    assert not after.ok
    assert after.missing == (subject,)
    listing = await second.get(
        f"/api/v1/consents?subject={MOTHER}", headers=gateway.auth("wijkteam-utrecht")
    )
    assert [c["status"] for c in (await listing.json())["consents"]] == ["withdrawn"]
