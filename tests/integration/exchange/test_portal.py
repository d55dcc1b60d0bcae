"""The household portal's JSON API (`/api/v1/me/dossier|access-log|export`) over the whole
demo deployment: reference sources and custody register on real sockets, households
seeded through the register, sessions created with the store (as the login does)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import jwt
import msgspec
import pytest
from aiohttp.test_utils import TestServer
from audit_support import decision, fail_inserts
from deployment import Deployment

from gateway.access.dossier import SessionIdentities as _Identities
from gateway.access.dossier import my_dossier
from gateway.access.visible import PortalRules
from gateway.api.me import schema as me
from gateway.api.me.dossier import dossier_ports
from gateway.appkeys import (
    AUDIT,
    AUDIT_READER,
    HOUSEHOLD_SESSIONS,
    HOUSEHOLDS,
    PORTAL_RULES,
    PSEUDONYMISER,
)
from gateway.exchange.pipeline import RequestMeta

OFFICER = "privacy_officer"
RESTRICTED = {"reporter_identity", "shelter_address"}


async def login(dep: Deployment, scenario: str, *, with_bsn: bool = True) -> dict[str, str]:
    bsn = dep.population.scenario(scenario).bsn
    return await login_bsn(dep, bsn, with_bsn=with_bsn)


async def login_bsn(dep: Deployment, bsn: str, *, with_bsn: bool = True) -> dict[str, str]:
    person = ps(dep, bsn)
    (household,) = await dep.app[HOUSEHOLDS].households_of(person)
    token = await dep.app[HOUSEHOLD_SESSIONS].create(
        person, household, bsn=bsn if with_bsn else None
    )
    return {"Authorization": f"Session {token}"}


def ps(dep: Deployment, bsn: str) -> str:
    return dep.app[PSEUDONYMISER].pseudonym(bsn)


def household_of(dep: Deployment, scenario: str) -> list[str]:
    person = dep.population.scenario(scenario)
    return list(dep.population.household(person.household_id).members)


def parent_with_custody_of(dep: Deployment, scenario: str) -> str:
    child = dep.population.scenario(scenario).bsn
    for household in dep.population.households:
        for c in household.custody:
            if c.child_bsn == child and c.has_custody:
                return c.parent_bsn
    raise AssertionError(scenario)


async def get(dep: Deployment, path: str, headers: dict[str, str]) -> Any:
    response = await dep.client.get(path, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


def categories(person: dict[str, Any]) -> set[str]:
    return {c["category"] for org in person["organisations"] for c in org["categories"]}


async def test_a_member_sees_their_own_dossier_live_and_the_view_is_audited(
    deployment: Deployment,
) -> None:
    dep = deployment
    mum = dep.population.scenario("shelter_address")
    body = await get(dep, "/api/v1/me/dossier", await login(dep, "shelter_address"))
    msgspec.convert(body, me.MyDossier)  # the answer is its declaration
    own = body["people"][0]
    assert own["relation"] == "self" and own["person"] == ps(dep, mum.bsn) and own["available"]
    assert own["organisations"], "the reference sources hold data about her"
    for org in own["organisations"]:
        assert {"id", "name", "type"} <= set(org["organisation"])
        for category in org["categories"]:
            assert category["label"]["nl"] and category["label"]["en"] and category["records"]
    assert "shelter_address" in categories(own)  # her own restricted data: shown to her
    page = await dep.app[AUDIT_READER].entries_for_subject([ps(dep, mum.bsn)], limit=500)
    reads = [e for e in page.entries if e.event_type == "household.read"]
    assert reads and all(e.requester_org is None for e in reads)
    assert {e.professional for e in reads} == {ps(dep, mum.bsn)}
    assert {e.details.get("exchange_id") for e in reads} == {own["exchange_id"]}
    assert all(e.purpose == "client_access" for e in reads)


async def test_a_parent_without_custody_sees_nothing_of_the_children(
    deployment: Deployment,
) -> None:
    dep = deployment
    body = await get(dep, "/api/v1/me/dossier", await login(dep, "parent_without_custody"))
    assert [p["relation"] for p in body["people"]] == ["self"]
    log = await get(dep, "/api/v1/me/access-log", await login(dep, "parent_without_custody"))
    assert [p["relation"] for p in log["people"]] == ["self"]


async def test_a_sixteen_year_olds_data_is_not_shown_to_the_parent(deployment: Deployment) -> None:
    dep = deployment
    parent = parent_with_custody_of(dep, "child_16_17")
    teen = ps(dep, dep.population.scenario("child_16_17").bsn)
    await dep.app[AUDIT].append([decision(1, subject=teen)])
    headers = await login_bsn(dep, parent)
    body = await get(dep, "/api/v1/me/dossier", headers)
    assert teen not in {p["person"] for p in body["people"]}
    log = await get(dep, "/api/v1/me/access-log", headers)
    assert teen not in {e["subject"] for e in log["entries"]}


async def test_a_twelve_to_fifteen_year_old_is_shown_to_the_parent_only_where_configured(
    deployment: Deployment,
) -> None:
    dep = deployment
    parent = parent_with_custody_of(dep, "child_under_ots")  # the child is 14
    child = ps(dep, dep.population.scenario("child_under_ots").bsn)
    headers = await login_bsn(dep, parent)
    body = await get(dep, "/api/v1/me/dossier", headers)
    assert child not in {p["person"] for p in body["people"]}
    assert dep.app[PORTAL_RULES] == PortalRules()  # the shipped default
    ports = replace(dossier_ports(dep.app), portal=PortalRules(custody_holders_see_12_to_15=True))
    meta = RequestMeta("req_portal_test", "0" * 32, "")
    body = await my_dossier(ports, ps(dep, parent), None, SessionIdentities(ps(dep, parent)), meta)
    assert child in {p["person"] for p in body["people"] if p["relation"] == "child"}


async def test_a_child_sees_their_own_dossier_and_not_the_parents(deployment: Deployment) -> None:
    dep = deployment
    child = dep.population.scenario("child_under_ots")  # 14
    parent = parent_with_custody_of(dep, "child_under_ots")
    await dep.app[AUDIT].append([decision(2, subject=ps(dep, parent))])
    headers = await login(dep, "child_under_ots")
    body = await get(dep, "/api/v1/me/dossier", headers)
    assert [(p["person"], p["relation"]) for p in body["people"]] == [(ps(dep, child.bsn), "self")]
    log = await get(dep, "/api/v1/me/access-log", headers)
    assert {e["subject"] for e in log["entries"]} <= {ps(dep, child.bsn)}


async def test_another_households_child_cannot_be_asked_for_by_a_parameter(
    deployment: Deployment,
) -> None:
    dep = deployment
    other = ps(dep, dep.population.scenario("child_consented_at_11").bsn)  # 12-15, household A
    await dep.app[AUDIT].append([decision(3, subject=other)])
    headers = await login(dep, "shelter_address")
    for subject in (other, "ps_" + "0" * 40):  # existing and unknown: the same answer
        response = await dep.client.get(f"/api/v1/me/access-log?subject={subject}", headers=headers)
        assert response.status == 400
        body = await response.json()
        assert body["code"] == "invalid_filter" and subject not in await response.text()
        dossier = await get(dep, f"/api/v1/me/dossier?person={subject}", headers)
        assert subject not in {p["person"] for p in dossier["people"]}


async def test_restricted_data_about_a_child_never_reaches_the_parent(
    deployment: Deployment,
) -> None:
    dep = deployment
    toddler = dep.population.scenario("vt_report_subject")  # a VT report with the reporter
    mum_bsn = parent_with_custody_of(dep, "vt_report_subject")
    child = ps(dep, toddler.bsn)
    headers = await login_bsn(dep, mum_bsn)
    # The child's BSN comes from the register's `kinderen` of hers: fetched live.
    body = await get(dep, "/api/v1/me/dossier", headers)
    (part,) = [p for p in body["people"] if p["person"] == child]
    assert part["relation"] == "child" and part["available"] and part["organisations"]
    assert "reports" in categories(part)  # the VT report about the child, without its reporter
    assert not categories(part) & RESTRICTED
    reads = await dep.app[AUDIT_READER].entries_for_subject([child], limit=500)
    assert {e.professional for e in reads.entries if e.event_type == "household.read"} == {
        ps(dep, mum_bsn)
    }
    await dep.app[AUDIT].append(
        [
            decision(4, subject=child, category="reporter_identity", decision="deny"),
            decision(5, subject=child, category="shelter_address"),
            decision(6, subject=child, category="reports"),
        ]
    )
    log = await get(dep, "/api/v1/me/access-log?limit=100", headers)
    about_child = [
        e
        for e in log["entries"]
        if e["subject"] == child and e["event_type"] == "exchange.decision"
    ]
    shown = {
        e["category"]["code"] for e in log["entries"] if e["category"] and e["subject"] == child
    }
    assert shown and not shown & RESTRICTED
    assert {e["category"]["code"] for e in about_child if e["category"]} == {"reports"}
    export = await get(dep, "/api/v1/me/export", headers)
    document = export["export"]
    for part in document["dossier"]:
        if part["person"] == child:
            assert not categories(part) & RESTRICTED
    exported = {
        e["category"]["code"]
        for e in document["access_log"]
        if e["category"] and e["subject"] == child
    }
    assert "reports" in exported and not exported & RESTRICTED


async def test_the_access_log_explains_marks_break_glass_and_hides_confidential_entries(
    deployment: Deployment,
) -> None:
    dep = deployment
    adult = ps(dep, dep.population.scenario("adult").bsn)
    headers = await login(dep, "adult")
    first = await get(dep, "/api/v1/me/access-log", headers)
    assert first["previous_visit_at"] is None
    assert "Veilig Thuis" in first["withheld_notice"]["nl"] and first["withheld_notice"]["en"]
    seqs = await dep.app[AUDIT].append(
        [
            decision(7, subject=adult, legal_basis="consent", rule_ids=("wijkteam-support-1",)),
            decision(
                8,
                subject=adult,
                purpose="acute_safety",
                break_glass=True,
                justification="Acuut",
                requester_org="gi-jeugdbescherming-demo",
            ),
            decision(9, subject=adult, confidentiality="confidential"),
        ]
    )
    second = await get(dep, "/api/v1/me/access-log", headers)
    msgspec.convert(second, me.MyAccessLog)  # the answer is its declaration
    assert second["previous_visit_at"] is not None
    assert "Veilig Thuis" in second["withheld_notice"]["nl"]  # always there, same words
    assert second["withheld_notice"] == first["withheld_notice"]
    by_seq = {e["seq"]: e for e in second["entries"]}
    assert seqs[2] not in by_seq  # confidential: hidden until lifted
    plain = by_seq[seqs[0]]
    assert plain["new"] is True and plain["who"] == {"kind": "organisation", "role": "hulpverlener"}
    assert plain["organisation"]["id"] == "wijkteam-utrecht"
    assert plain["legal_basis"]["label"]["nl"] and plain["legal_basis"]["article"]
    assert plain["purpose"]["label"]["nl"] and plain["category"]["code"] == "reports"
    assert plain["permitted"] is True
    assert by_seq[seqs[1]]["break_glass"] == {"review_status": "pending", "verdict": None}
    own = [e for e in second["entries"] if e["event_type"] == "household.access_log_read"]
    assert own and all(e["who"] == {"kind": "you"} and not e["new"] for e in own)
    lifted = await dep.client.post(
        f"/api/v1/audit/entries/{seqs[2]}/lift-confidentiality",
        json={"note": "Onderzoek afgerond"},
        headers=dep.gateway.auth("wijkteam-utrecht", OFFICER),
    )
    assert lifted.status == 201, await lifted.text()
    reviewed = await dep.client.post(
        f"/api/v1/audit/break-glass/{seqs[1]}/review",
        json={"verdict": "justified", "note": "Terecht"},
        headers=dep.gateway.auth("gi-jeugdbescherming-demo", OFFICER),
    )
    assert reviewed.status == 201, await reviewed.text()
    third = await get(dep, "/api/v1/me/access-log", headers)
    by_seq = {e["seq"]: e for e in third["entries"]}
    assert seqs[2] in by_seq and by_seq[seqs[0]]["new"] is False
    assert by_seq[seqs[1]]["break_glass"] == {"review_status": "reviewed", "verdict": "justified"}
    page = await get(dep, "/api/v1/me/access-log?limit=1", headers)
    assert len(page["entries"]) == 1 and page["next_cursor"]
    rest = await get(dep, f"/api/v1/me/access-log?limit=1&cursor={page['next_cursor']}", headers)
    assert rest["entries"][0]["seq"] < page["entries"][0]["seq"]
    assert rest["previous_visit_at"] == page["previous_visit_at"]  # one visit, one marker
    too_many = await dep.client.get("/api/v1/me/access-log?limit=1000", headers=headers)
    assert too_many.status == 400


async def test_the_export_is_signed_with_a_key_from_the_served_jwks(deployment: Deployment) -> None:
    dep = deployment
    headers = await login(dep, "criminal_record")
    body = await get(dep, "/api/v1/me/export", headers)
    msgspec.convert(body, me.MyExport)  # the answer is its declaration
    jwks = await (await dep.client.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(body["jws"])
    (key,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    claims = jwt.decode(
        body["jws"], jwt.PyJWK(key).key, algorithms=["EdDSA"], options={"verify_aud": False}
    )
    assert header["typ"] == "household-export+jwt"
    assert claims["export"] == body["export"]
    document = body["export"]
    mine = ps(dep, dep.population.scenario("criminal_record").bsn)
    assert document["person"] == mine and document["dossier"][0]["person"] == mine
    assert document["access_log"] and isinstance(document["consents"], list)
    tampered = body["jws"].split(".")
    tampered[1] = tampered[1][:-2] + ("AA" if tampered[1][-2:] != "AA" else "BB")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(".".join(tampered), jwt.PyJWK(key).key, algorithms=["EdDSA"])
    page = await dep.app[AUDIT_READER].entries_for_subject([mine], limit=500)
    kinds = [e.event_type for e in page.entries]
    assert "household.export" in kinds and "household.read" in kinds
    assert "household.access_log_read" not in kinds  # a download is not a visit
    log = await get(dep, "/api/v1/me/access-log", headers)
    assert log["previous_visit_at"] is None


@pytest.mark.parametrize(
    "path", ["/api/v1/me/dossier", "/api/v1/me/access-log", "/api/v1/me/export"]
)
async def test_an_organisation_token_is_refused_on_the_portal_routes(
    deployment: Deployment, path: str
) -> None:
    dep = deployment
    response = await dep.client.get(path, headers=dep.gateway.auth("wijkteam-utrecht"))
    assert response.status == 401
    assert (await response.json())["code"] == "unauthenticated"
    assert (await dep.client.get(path)).status == 401


@pytest.mark.parametrize(
    "path", ["/api/v1/me/dossier", "/api/v1/me/access-log", "/api/v1/me/export"]
)
async def test_no_data_leaves_when_the_audit_log_is_unavailable(
    deployment: Deployment, path: str
) -> None:
    dep = deployment
    headers = await login(dep, "shelter_address")
    async with dep.app[AUDIT].engine.begin() as conn:
        await fail_inserts(conn)
    response = await dep.client.get(path, headers=headers)
    assert response.status == 503
    body = await response.json()
    assert body["code"] == "audit_unavailable"
    assert "organisations" not in body and "entries" not in body and "jws" not in body


async def test_with_the_register_down_no_childs_sources_are_asked(
    deployment: Deployment, custody_server: TestServer
) -> None:
    dep = deployment
    mum_bsn = parent_with_custody_of(dep, "vt_report_subject")
    child = ps(dep, dep.population.scenario("vt_report_subject").bsn)
    headers = await login_bsn(dep, mum_bsn)
    await custody_server.close()
    body = await get(dep, "/api/v1/me/dossier", headers)
    parts = {p["person"]: p for p in body["people"]}
    assert parts[ps(dep, mum_bsn)]["available"] and parts[ps(dep, mum_bsn)]["organisations"]
    assert parts[child]["available"] is False and parts[child]["organisations"] == []
    reads = await dep.app[AUDIT_READER].entries_for_subject([child], limit=500)
    assert not [e for e in reads.entries if e.event_type == "household.read"]


async def test_a_session_without_a_bsn_fetches_nothing(deployment: Deployment) -> None:
    dep = deployment
    headers = await login(dep, "adult", with_bsn=False)
    body = await get(dep, "/api/v1/me/dossier", headers)
    assert [(p["available"], p["organisations"]) for p in body["people"]] == [(False, [])]


def SessionIdentities(person: str) -> _Identities:  # noqa: N802 - reads like the class
    return _Identities(person, None, lambda bsn: bsn)


async def test_one_members_restricted_data_never_appears_for_another_member(
    deployment: Deployment,
) -> None:
    dep = deployment
    mum = await get(dep, "/api/v1/me/dossier", await login(dep, "shelter_address"))
    (own,) = [p for p in mum["people"] if p["relation"] == "self"]
    shelter = [
        value
        for org in own["organisations"]
        for category in org["categories"]
        if category["category"] == "shelter_address"
        for record in category["records"]
        for value in record.values()
        if isinstance(value, str) and len(value) > 3
    ]
    assert shelter, "the synthetic mother lives in a shelter"
    for scenario in ("parent_without_custody", "child_16_17"):  # the same household
        headers = await login(dep, scenario)
        for path in ("/api/v1/me/dossier", "/api/v1/me/export"):
            answer = await dep.client.get(path, headers=headers)
            text = await answer.text()
            # A short value (a house number, "2287") also turns up by chance inside ids and
            # hashes; so: no value of the address as a value of the answer, and no longer
            # part of it anywhere in the text.
            values = set(_string_leaves(await answer.json()))
            leaked = [v for v in shelter if v in values or (len(v) >= 8 and v in text)]
            assert not leaked, (scenario, path)
            if path.endswith("dossier"):
                assert "reporter_identity" not in text
    for part in mum["people"]:
        assert "reporter_identity" not in categories(part)  # nobody's, not even about oneself


def _string_leaves(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (keys excluded)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
