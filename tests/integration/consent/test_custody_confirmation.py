"""Household writes that claim people or custody are checked against the custody register
(a real reference register on a socket), over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestServer
from consent_support import (
    CHILD_6,
    CHILD_8,
    FATHER,
    MOTHER,
    OUTSIDER,
    PROFESSIONAL,
    SECOND_PARENT,
    Client,
    assert_problem,
    consent_body,
    count_rows,
    household_body,
    years_ago,
)
from sqlalchemy import func, select, update
from support import GatewayFixture

from adapters.reference.custody_register import CustodyRegister
from consent import NewMember, NoCustodyError, RequesterRef, SqlHouseholdStore
from consent.tables import consents, custody, household_members
from gateway.appkeys import CONSENTS, CUSTODY, ENGINE, HOUSEHOLDS, PSEUDONYMISER

WIJKTEAM = "wijkteam-utrecht"


async def _register(client: Client, gateway: GatewayFixture, body: dict[str, Any]) -> Any:
    return await client.post("/api/v1/households", json=body, headers=gateway.auth(WIJKTEAM))


async def _change(
    client: Client, gateway: GatewayFixture, household: dict[str, Any], body: dict[str, Any]
) -> Any:
    path = f"/api/v1/households/{household['id']}/changes"
    return await client.post(path, json=body, headers=gateway.auth(WIJKTEAM))


async def _row_counts(client: Client) -> tuple[int, int, int]:
    """(custody rows, members, consents): a refused change wrote nothing."""
    async with client.app[ENGINE].connect() as conn:
        counts = [
            (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in (custody, household_members, consents)
        ]
    return counts[0], counts[1], counts[2]


async def test_registered_custody_carries_when_the_register_confirmed_it(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    assert len(household["custody"]) == 3
    for relation in household["custody"]:
        confirmed = datetime.fromisoformat(relation["confirmed_at"])
        assert datetime.now(UTC) - confirmed < timedelta(minutes=1)


async def test_custody_the_register_does_not_know_is_refused_and_nothing_written(
    client: Client, gateway: GatewayFixture
) -> None:
    body = household_body()
    body["custody"].append({"parent": FATHER, "child": CHILD_8})  # the father has no gezag
    response = await _register(client, gateway, body)
    problem = await assert_problem(response, 422, "custody_not_confirmed")
    assert FATHER not in str(problem) and CHILD_8 not in str(problem)
    assert await count_rows(gateway.settings.database_url) == (0, 0)


async def test_a_birth_date_that_is_not_the_registers_is_refused(
    client: Client, gateway: GatewayFixture
) -> None:
    body = household_body()
    body["members"][2]["birth_date"] = years_ago(8, days=1)  # the child of 8, one day off
    await assert_problem(await _register(client, gateway, body), 422, "person_not_confirmed")
    stranger = household_body()
    stranger["members"].append(
        {"bsn": "999999990", "birth_date": "2001-01-01", "role": "adult"}
    )  # valid BSN, unknown to the register
    await assert_problem(await _register(client, gateway, stranger), 422, "person_not_confirmed")
    assert await count_rows(gateway.settings.database_url) == (0, 0)


async def test_register_down_at_registration_is_503_and_nothing_written(
    client: Client, gateway: GatewayFixture, custody_server: TestServer
) -> None:
    await custody_server.close()
    response = await _register(client, gateway, household_body())
    await assert_problem(response, 503, "custody_register_unavailable")
    assert await count_rows(gateway.settings.database_url) == (0, 0)


async def test_changes_that_claim_people_or_custody_are_checked_against_the_register(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    before = await _row_counts(client)
    invented = await _change(
        client,
        gateway,
        household,
        {"change": "custody_granted", "parent": FATHER, "child": CHILD_8},
    )
    await assert_problem(invented, 422, "custody_not_confirmed")
    still_there = await _change(
        client, gateway, household, {"change": "custody_ended", "parent": MOTHER, "child": CHILD_8}
    )
    await assert_problem(still_there, 422, "custody_not_confirmed")
    wrong_date = await _change(
        client,
        gateway,
        household,
        {
            "change": "member_joined",
            "member": {"bsn": OUTSIDER, "birth_date": "1981-01-01", "role": "adult"},
        },
    )
    await assert_problem(wrong_date, 422, "person_not_confirmed")
    assert await _row_counts(client) == before
    joined = await _change(
        client,
        gateway,
        household,
        {
            "change": "member_joined",
            "member": {"bsn": OUTSIDER, "birth_date": "1980-01-01", "role": "adult"},
        },
    )
    assert joined.status == 200, await joined.text()


async def test_a_relation_never_confirmed_gives_no_custody(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    """A relation written without the register (as before it existed) counts for nothing:
    no paper consent in the child's name, no custody at decision time."""
    ps = client.app[PSEUDONYMISER].pseudonym
    store: SqlHouseholdStore = client.app[HOUSEHOLDS]
    await store.custody_granted(household["id"], ps(FATHER), ps(CHILD_8), actor=PROFESSIONAL)
    assert not await store.has_custody(ps(FATHER), ps(CHILD_8))
    assert ps(CHILD_8) not in await store.children_in_custody(ps(FATHER))
    state = await client.app[CONSENTS].subject_state(ps(CHILD_8), datetime.now(UTC))
    assert state.custody_holders == frozenset({ps(MOTHER)})
    assert state.custody_checked_at == datetime.min.replace(tzinfo=UTC)  # stale: to re-read
    paper = await client.post(
        "/api/v1/consents",
        json=consent_body(CHILD_8, given_by={"bsn": FATHER}),
        headers=gateway.auth(WIJKTEAM),
    )
    await assert_problem(paper, 403, "no_custody")
    # Re-read from the register on the way: the asserted relation ended, the mother's fresh.
    household_now = await store.get(household["id"])
    open_relations = {(c.parent, c.child) for c in household_now.custody if c.until is None}
    assert (ps(FATHER), ps(CHILD_8)) not in open_relations
    assert (ps(MOTHER), ps(CHILD_8)) in open_relations
    state = await client.app[CONSENTS].subject_state(ps(CHILD_8), datetime.now(UTC))
    assert datetime.now(UTC) - (state.custody_checked_at or datetime.min.replace(tzinfo=UTC)) < (
        timedelta(minutes=1)
    )


async def _age(client: Client, child: str, seconds: float) -> None:
    when = datetime.now(UTC) - timedelta(seconds=seconds)
    async with client.app[ENGINE].begin() as conn:
        await conn.execute(
            update(custody).where(custody.c.child == child).values(confirmed_at=when)
        )


async def test_a_paper_consent_on_stale_custody_follows_the_register(
    client: Client,
    gateway: GatewayFixture,
    household: dict[str, Any],
    custody_register: CustodyRegister,
) -> None:
    ps = client.app[PSEUDONYMISER].pseudonym
    custody_register.end_custody(MOTHER, CHILD_8)
    await _age(client, ps(CHILD_8), 3600)
    paper = await client.post(
        "/api/v1/consents",
        json=consent_body(CHILD_8, given_by={"bsn": MOTHER}),
        headers=gateway.auth(WIJKTEAM),
    )
    await assert_problem(paper, 403, "no_custody")
    assert not await client.app[HOUSEHOLDS].has_custody(ps(MOTHER), ps(CHILD_8))


async def test_a_paper_consent_on_stale_custody_with_the_register_down_is_503(
    client: Client,
    gateway: GatewayFixture,
    household: dict[str, Any],
    custody_server: TestServer,
) -> None:
    ps = client.app[PSEUDONYMISER].pseudonym
    await custody_server.close()
    await _age(client, ps(CHILD_8), 3600)
    before = await count_rows(gateway.settings.database_url)
    paper = await client.post(
        "/api/v1/consents",
        json=consent_body(CHILD_8, given_by={"bsn": MOTHER}),
        headers=gateway.auth(WIJKTEAM),
    )
    await assert_problem(paper, 503, "custody_register_unavailable")
    assert await count_rows(gateway.settings.database_url) == before


async def test_the_store_refuses_a_consent_on_an_unconfirmed_relation(
    client: Client, gateway: GatewayFixture
) -> None:
    """Store level: `record` reads only confirmed relations (the NoCustody path)."""
    from consent import Actor, ConsentScope, NewConsent

    store: SqlHouseholdStore = client.app[HOUSEHOLDS]
    await store.register(
        regiehouder=WIJKTEAM,
        members=[
            NewMember("ps_mum", date(1985, 1, 1), "parent"),
            NewMember("ps_kid", date(2019, 1, 1), "child"),
        ],
        custody_pairs=[("ps_mum", "ps_kid")],
        contact_organisation=WIJKTEAM,
        contact_professional="p-1",
        actor=PROFESSIONAL,
    )
    now = datetime.now(UTC)
    new = NewConsent(
        subject="ps_kid",
        given_by="ps_mum",
        decision="grant",
        scope=ConsentScope(
            purposes=frozenset({"support_planning"}),
            categories=frozenset({"health"}),
            recipient_types=frozenset({"wijkteam"}),
        ),
        recorded_via="paper",
        recorded_by=Actor("professional", organisation=WIJKTEAM, professional="p-1"),
        given_at=now,
        valid_from=now,
        valid_until=None,
        evidence_reference="form-1",
        policy_version="test",
    )
    try:
        await client.app[CONSENTS].record(new)
    except NoCustodyError:
        pass
    else:  # pragma: no cover - the assertion below names the failure
        raise AssertionError("a consent on an unconfirmed custody relation was accepted")


async def test_a_custody_holder_left_out_of_the_claims_still_counts(
    client: Client, gateway: GatewayFixture
) -> None:
    """Leaving out a parent with custody gives the other no sole say: the register's
    holders are stored, a holder living elsewhere included."""
    ps = client.app[PSEUDONYMISER].pseudonym
    body = {
        "members": [
            {"bsn": MOTHER, "birth_date": years_ago(40), "role": "parent"},
            {"bsn": CHILD_6, "birth_date": years_ago(6), "role": "child"},
        ],
        "custody": [{"parent": MOTHER, "child": CHILD_6}],
        "contact_person": {"professional": "prof-1"},
    }
    response = await _register(client, gateway, body)
    assert response.status == 201, await response.text()
    created = await response.json()
    assert {(c["parent"], c["child"]) for c in created["custody"]} == {
        (ps(MOTHER), ps(CHILD_6)),
        (ps(SECOND_PARENT), ps(CHILD_6)),
    }
    state = await client.app[CONSENTS].subject_state(ps(CHILD_6), datetime.now(UTC))
    assert state.custody_holders == frozenset({ps(MOTHER), ps(SECOND_PARENT)})
    mother = await client.post(
        "/api/v1/consents",
        json=consent_body(CHILD_6, given_by={"bsn": MOTHER}),
        headers=gateway.auth(WIJKTEAM),
    )
    assert mother.status == 201, await mother.text()
    record = await mother.json()
    coverage = client.app[CONSENTS].covers_in(
        await client.app[CONSENTS].subject_state(ps(CHILD_6), datetime.now(UTC)),
        RequesterRef(WIJKTEAM, "wijkteam", "utrecht"),
        [("support_planning", "support_plan", None)],
    )[0]
    assert not coverage.ok and coverage.missing == (ps(SECOND_PARENT),), record["id"]


async def test_a_holder_the_register_adds_is_counted_at_the_next_re_read(
    client: Client,
    gateway: GatewayFixture,
    household: dict[str, Any],
    custody_register: CustodyRegister,
) -> None:
    ps = client.app[PSEUDONYMISER].pseudonym
    custody_register.grant_custody(SECOND_PARENT, CHILD_8)  # a court adds a guardian
    await _age(client, ps(CHILD_8), 3600)
    await client.app[CUSTODY].reconfirm(CHILD_8, ps(CHILD_8), datetime.now(UTC))
    state = await client.app[CONSENTS].subject_state(ps(CHILD_8), datetime.now(UTC))
    assert state.custody_holders == frozenset({ps(MOTHER), ps(SECOND_PARENT)})
    events = (await client.app[HOUSEHOLDS].get(household["id"])).events
    assert events[-1].event == "custody_granted" and events[-1].actor.kind == "system"
