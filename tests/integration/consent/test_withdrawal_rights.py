"""Who may withdraw a consent: the person, a custody holder, the recording organisation.

Over real HTTP on both engines. Nobody else: an organisation that may see the consent
gets 403 `withdrawal_not_permitted`, one that may not see it 404, and nothing changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from consent_support import (
    CHILD_8,
    CHILD_13,
    FATHER,
    MOTHER,
    OUTSIDER,
    TEEN_17,
    Client,
    assert_problem,
    consent_body,
    snapshot,
)
from sqlalchemy import update
from support import GatewayFixture

from adapters.reference.custody_register import CustodyRegister
from consent.tables import custody
from gateway.appkeys import CONSENTS, ENGINE, HOUSEHOLD_SESSIONS, HOUSEHOLDS, PSEUDONYMISER

WIJKTEAM, VT, GI = "wijkteam-utrecht", "veilig-thuis-utrecht", "gi-jeugdbescherming-demo"
PAPER = {"evidence_reference": "letter-2026-11"}


async def vt_household_with_consent(client: Client, gateway: GatewayFixture) -> str:
    """VT is regiehouder of the outsider and records their consent; the consent lets the
    wijkteam see the household for support planning (so it may see the consent)."""
    created = await client.post(
        "/api/v1/households",
        json={
            "members": [{"bsn": OUTSIDER, "birth_date": "1980-01-01", "role": "adult"}],
            "contact_person": {"professional": "vt-1"},
        },
        headers=gateway.auth(VT),
    )
    assert created.status == 201
    recorded = await client.post(
        "/api/v1/consents", json=consent_body(OUTSIDER), headers=gateway.auth(VT)
    )
    assert recorded.status == 201
    return str((await recorded.json())["id"])


async def test_an_organisation_that_did_not_record_a_consent_cannot_withdraw_it(
    client: Client, gateway: GatewayFixture, database_url: str
) -> None:
    consent_id = await vt_household_with_consent(client, gateway)
    path = f"/api/v1/consents/{consent_id}/withdraw"
    before = await snapshot(database_url)
    sees = await client.post(
        path + "?purpose=support_planning", json=PAPER, headers=gateway.auth(WIJKTEAM)
    )
    await assert_problem(sees, 403, "withdrawal_not_permitted")
    blind = await client.post(path, json=PAPER, headers=gateway.auth(GI))
    await assert_problem(blind, 404, "not_found")
    # Naming someone who is neither the person nor a custody holder does not help.
    stranger = await client.post(
        path + "?purpose=support_planning",
        json={**PAPER, "withdrawn_by": {"bsn": MOTHER}},
        headers=gateway.auth(WIJKTEAM),
    )
    await assert_problem(stranger, 403, "withdrawal_not_permitted")
    assert await snapshot(database_url) == before


async def test_on_paper_a_professional_withdraws_for_the_person_it_is_about(
    client: Client, gateway: GatewayFixture
) -> None:
    consent_id = await vt_household_with_consent(client, gateway)
    response = await client.post(
        f"/api/v1/consents/{consent_id}/withdraw?purpose=support_planning",
        json={**PAPER, "withdrawn_by": {"bsn": OUTSIDER}},
        headers=gateway.auth(WIJKTEAM),
    )
    assert response.status == 200, await response.text()
    withdrawn = await response.json()
    assert withdrawn["status"] == "withdrawn"
    detail = withdrawn["history"][-1]["detail"]
    assert detail["withdrawn_by_role"] == "subject"
    assert detail["withdrawn_by"] == client.app[PSEUDONYMISER].pseudonym(OUTSIDER)
    assert OUTSIDER not in str(withdrawn)


async def test_on_paper_only_a_parent_with_custody_withdraws_for_a_child(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    """The wijkteam recorded it; VT (after a hand-over, regiehouder) did not: VT needs a
    custody holder's word, and the father (no custody) is not one."""
    recorded = await client.post(
        "/api/v1/consents",
        json=consent_body(CHILD_8, given_by={"bsn": MOTHER}),
        headers=gateway.auth(WIJKTEAM),
    )
    assert recorded.status == 201
    path = f"/api/v1/consents/{(await recorded.json())['id']}/withdraw"
    handed = await client.post(
        f"/api/v1/households/{household['id']}/transfer",
        json={"to": VT, "contact_person": {"professional": "vt-2"}},
        headers=gateway.auth(WIJKTEAM),
    )
    assert handed.status == 200
    alone = await client.post(path, json=PAPER, headers=gateway.auth(VT))
    await assert_problem(alone, 403, "withdrawal_not_permitted")
    father = await client.post(
        path, json={**PAPER, "withdrawn_by": FATHER}, headers=gateway.auth(VT)
    )
    await assert_problem(father, 403, "withdrawal_not_permitted")
    bad = await client.post(
        path, json={**PAPER, "withdrawn_by": "123456789"}, headers=gateway.auth(VT)
    )
    await assert_problem(bad, 400, "invalid_bsn")
    mother = await client.post(
        path, json={**PAPER, "withdrawn_by": MOTHER}, headers=gateway.auth(VT)
    )
    assert mother.status == 200, await mother.text()
    assert (await mother.json())["history"][-1]["detail"]["withdrawn_by_role"] == "custody_holder"


async def login(client: Client, household: dict[str, Any], bsn: str) -> dict[str, str]:
    person = client.app[PSEUDONYMISER].pseudonym(bsn)
    token = await client.app[HOUSEHOLD_SESSIONS].create(person, household["id"])
    return {"Authorization": f"Session {token}"}


SCOPE: dict[str, Any] = {
    "purposes": ["support_planning"],
    "categories": ["support_plan"],
    "recipients": {"organisations": [WIJKTEAM]},
}


async def test_a_household_member_who_is_neither_the_person_nor_a_custody_holder_cannot(
    client: Client,
    gateway: GatewayFixture,
    household: dict[str, Any],
    database_url: str,
    custody_register: CustodyRegister,
) -> None:
    mother = await login(client, household, MOTHER)
    given = await client.post(
        "/api/v1/me/consents",
        json={**SCOPE, "subject": client.app[PSEUDONYMISER].pseudonym(CHILD_8)},
        headers=mother,
    )
    assert given.status == 201, await given.text()
    path = f"/api/v1/me/consents/{(await given.json())['id']}/withdraw"
    before = await snapshot(database_url)
    father = await client.post(path, headers=await login(client, household, FATHER))
    await assert_problem(father, 404, "not_found")
    assert await snapshot(database_url) == before

    # The mother loses custody (a court, then the register, then the regiehouder records
    # it): she still sees what she gave, but may no longer withdraw.
    custody_register.end_custody(MOTHER, CHILD_8)
    ended = await client.post(
        f"/api/v1/households/{household['id']}/changes",
        json={"change": "custody_ended", "parent": MOTHER, "child": CHILD_8},
        headers=gateway.auth(WIJKTEAM),
    )
    assert ended.status == 200
    before = await snapshot(database_url)
    lost = await client.post(path, headers=mother)
    await assert_problem(lost, 403, "withdrawal_not_permitted")
    assert await snapshot(database_url) == before


async def test_the_person_it_is_about_withdraws_in_the_portal(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    """A consent the wijkteam recorded on paper for the father, withdrawn by himself."""
    recorded = await client.post(
        "/api/v1/consents", json=consent_body(FATHER), headers=gateway.auth(WIJKTEAM)
    )
    assert recorded.status == 201
    response = await client.post(
        f"/api/v1/me/consents/{(await recorded.json())['id']}/withdraw",
        headers=await login(client, household, FATHER),
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["history"][-1]["detail"]["withdrawn_by_role"] == "subject"


async def test_a_parent_cannot_withdraw_what_a_young_person_decided_alone(
    client: Client, gateway: GatewayFixture, household: dict[str, Any], database_url: str
) -> None:
    """From 16 the young person decides alone: the mother (custody) may not withdraw the
    17-year-old's consent, neither in the portal nor on paper through an organisation."""
    recorded = await client.post(
        "/api/v1/consents", json=consent_body(TEEN_17), headers=gateway.auth(WIJKTEAM)
    )
    assert recorded.status == 201, await recorded.text()
    consent_id = (await recorded.json())["id"]
    handed = await client.post(
        f"/api/v1/households/{household['id']}/transfer",
        json={"to": VT, "contact_person": {"professional": "vt-2"}},
        headers=gateway.auth(WIJKTEAM),
    )
    assert handed.status == 200
    before = await snapshot(database_url)
    portal = await client.post(
        f"/api/v1/me/consents/{consent_id}/withdraw",
        headers=await login(client, household, MOTHER),
    )
    await assert_problem(portal, 403, "withdrawal_not_permitted")
    paper = await client.post(
        f"/api/v1/consents/{consent_id}/withdraw",
        json={**PAPER, "withdrawn_by": MOTHER},
        headers=gateway.auth(VT),
    )
    await assert_problem(paper, 403, "withdrawal_not_permitted")
    assert await snapshot(database_url) == before
    himself = await client.post(
        f"/api/v1/consents/{consent_id}/withdraw",
        json={**PAPER, "withdrawn_by": TEEN_17},
        headers=gateway.auth(VT),
    )
    assert himself.status == 200, await himself.text()


async def test_a_parent_cannot_withdraw_a_13_year_olds_own_declaration(
    client: Client, gateway: GatewayFixture, household: dict[str, Any], database_url: str
) -> None:
    """From 12 the child's own declaration is the child's: the parent withdraws (or
    refuses) their own part, never the child's."""
    recorded = await client.post(
        "/api/v1/consents", json=consent_body(CHILD_13), headers=gateway.auth(WIJKTEAM)
    )
    assert recorded.status == 201, await recorded.text()
    consent_id = (await recorded.json())["id"]
    before = await snapshot(database_url)
    portal = await client.post(
        f"/api/v1/me/consents/{consent_id}/withdraw",
        headers=await login(client, household, MOTHER),
    )
    await assert_problem(portal, 403, "withdrawal_not_permitted")
    assert await snapshot(database_url) == before


async def _custody_confirmed_long_ago(client: Client, child: str) -> None:
    """Stand in for the freshness window passing: the relations were confirmed an hour ago."""
    when = datetime.now(UTC) - timedelta(hours=1)
    async with client.app[ENGINE].begin() as conn:
        await conn.execute(
            update(custody).where(custody.c.child == child).values(confirmed_at=when)
        )


async def test_a_parent_whose_custody_the_register_ended_cannot_withdraw_on_stale_custody(
    client: Client,
    gateway: GatewayFixture,
    household: dict[str, Any],
    database_url: str,
    custody_register: CustodyRegister,
) -> None:
    """A court ends the mother's custody; the register knows, the regiehouder has not
    recorded it yet. Her withdrawal would take effect at once, so it is not decided on
    custody older than the freshness: re-read, or refused if it cannot be."""
    ps = client.app[PSEUDONYMISER].pseudonym
    mother = await login(client, household, MOTHER)
    given = await client.post(
        "/api/v1/me/consents", json={**SCOPE, "subject": ps(CHILD_8)}, headers=mother
    )
    assert given.status == 201, await given.text()
    consent_id = (await given.json())["id"]
    handed = await client.post(
        f"/api/v1/households/{household['id']}/transfer",
        json={"to": VT, "contact_person": {"professional": "vt-2"}},
        headers=gateway.auth(WIJKTEAM),
    )
    assert handed.status == 200
    custody_register.end_custody(MOTHER, CHILD_8)
    await _custody_confirmed_long_ago(client, ps(CHILD_8))
    before = await snapshot(database_url)
    portal = await client.post(f"/api/v1/me/consents/{consent_id}/withdraw", headers=mother)
    await assert_problem(portal, 422, "custody_not_confirmed")
    path = f"/api/v1/consents/{consent_id}/withdraw"
    unnamed = await client.post(
        path, json={**PAPER, "withdrawn_by": MOTHER}, headers=gateway.auth(VT)
    )
    await assert_problem(unnamed, 422, "custody_not_confirmed")
    assert await snapshot(database_url) == before
    # Naming the child lets the register be asked: it no longer names her.
    named = await client.post(
        path,
        json={**PAPER, "withdrawn_by": MOTHER, "subject": CHILD_8},
        headers=gateway.auth(VT),
    )
    await assert_problem(named, 403, "withdrawal_not_permitted")
    assert not await client.app[HOUSEHOLDS].has_custody(ps(MOTHER), ps(CHILD_8))
    assert (await client.app[CONSENTS].get(consent_id)).status_at(datetime.now(UTC)) == "active"


async def test_on_stale_custody_the_register_confirms_a_parent_withdraws_on_paper(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    ps = client.app[PSEUDONYMISER].pseudonym
    recorded = await client.post(
        "/api/v1/consents",
        json=consent_body(CHILD_8, given_by={"bsn": MOTHER}),
        headers=gateway.auth(WIJKTEAM),
    )
    assert recorded.status == 201
    handed = await client.post(
        f"/api/v1/households/{household['id']}/transfer",
        json={"to": VT, "contact_person": {"professional": "vt-2"}},
        headers=gateway.auth(WIJKTEAM),
    )
    assert handed.status == 200
    await _custody_confirmed_long_ago(client, ps(CHILD_8))
    response = await client.post(
        f"/api/v1/consents/{(await recorded.json())['id']}/withdraw",
        json={**PAPER, "withdrawn_by": MOTHER, "subject": {"bsn": CHILD_8}},
        headers=gateway.auth(VT),
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["history"][-1]["detail"]["withdrawn_by_role"] == "custody_holder"
