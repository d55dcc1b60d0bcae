"""The officer's insight routes over real HTTP on both engines: policies, simulation,
signals, statistics, and the attacks on each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from audit_support import decision, finance
from consent_support import Client
from support import REPO, GatewayFixture

from gateway.api.officer import insight_schema
from gateway.appkeys import AUDIT, AUDIT_READER
from gateway.audit.query import AuditFilters, Scope

OFFICER = "privacy_officer"
REGIONAL = "regional_privacy_officer"
ROUTES = [
    ("GET", "/api/v1/policies"),
    ("POST", "/api/v1/policies/simulate"),
    ("POST", "/api/v1/policies/compare"),
    ("GET", "/api/v1/signals"),
    ("GET", "/api/v1/statistics"),
]


def policy_texts() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((REPO / "config" / "policies").glob("*.toml"))}


def stricter() -> dict[str, str]:
    """The policies in force plus one forbid rule: no finances for the wijkteam."""
    texts = policy_texts()
    texts["zz-stricter.toml"] = (
        "[[rules]]\n"
        'id = "no-finances-for-wijkteam"\n'
        'effect = "forbid"\n'
        'description = { nl = "Het wijkteam krijgt geen financiele gegevens.", '
        'en = "The local team gets no financial data." }\n'
        'requester_types = ["wijkteam"]\n'
        'purposes = ["support_planning"]\n'
        'source_types = ["*"]\n'
        'categories = ["finances"]\n'
    )
    return texts


def period(days: int = 30) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "from": (now - timedelta(days=days)).isoformat(),
        "to": (now + timedelta(minutes=1)).isoformat(),
    }


async def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, await response.text()
    body: dict[str, Any] = await response.json()
    assert body["code"] == code, body
    return body


# --- policies ---------------------------------------------------------------------------


async def test_policies_list_the_rules_in_plain_words_and_the_art_30_register(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.get(
        "/api/v1/policies", headers=gateway.auth("wijkteam-utrecht", OFFICER)
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["version"].startswith("sha256:")
    school = next(r for r in body["rules"] if r["id"] == "wijkteam-support-planning-school")
    assert "5" in school["conditions"]["nl"][0] and school["text"]["en"]
    register = body["register"]
    assert register["controller"]["privacy_officer"]  # (a)
    assert {p["id"] for p in register["purposes"]} >= {"support_planning", "acute_safety"}  # (b)
    assert register["data_subjects"] and register["categories"]  # (c)
    assert {r["id"] for r in register["recipients"]} >= {"wijkteam", "gi"}  # (d)
    assert any(r["period"] == "P20Y" for r in register["retention"])  # (f)
    assert register["security_measures"][0]["nl"]  # (g)
    logged = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="audit.query"), Scope(None), limit=5
    )
    assert [e.details.get("view") for e in logged.entries] == ["policies"]


# --- who may call -----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_household_session_reaches_no_insight_route(
    client: Client, session_headers: dict[str, str], method: str, path: str
) -> None:
    response = await client.request(method, path, headers=session_headers, json={})
    await problem(response, 403, "forbidden")
    token = session_headers["Authorization"].split(" ", 1)[1]
    client.session.cookie_jar.update_cookies({"__Host-gw_session": token})
    response = await client.request(method, path, json={})
    assert response.status == 403, await response.text()
    client.session.cookie_jar.clear()


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_an_officer_role_the_organisation_may_not_assert_is_refused(
    client: Client, gateway: GatewayFixture, method: str, path: str
) -> None:
    # The wijkteam is no regional privacy office: it may not assert the regional role.
    headers = gateway.auth("wijkteam-utrecht", REGIONAL)
    await problem(
        await client.request(method, path, headers=headers, json={}), 403, "role_not_allowed"
    )


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_professional_role_is_not_an_officer(
    client: Client, gateway: GatewayFixture, method: str, path: str
) -> None:
    headers = gateway.auth("wijkteam-utrecht", "hulpverlener")
    response = await client.request(method, path, headers=headers, json={})
    assert response.status == 403


# --- simulation -------------------------------------------------------------------------


async def test_a_stricter_rule_shows_which_past_permits_it_would_refuse(
    client: Client, gateway: GatewayFixture
) -> None:
    await client.app[AUDIT].append([finance(n) for n in range(3)])
    await client.app[AUDIT].append(
        [
            decision(
                9,
                category="contact_details",
                rule_ids=("wijkteam-support-planning",),
                consent_ids=("cs_1",),
                reason="permitted",
                source="gi-jeugdbescherming-demo",
            )
        ]
    )
    response = await client.post(
        "/api/v1/policies/simulate",
        json={"policies": stricter(), **period()},
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["replayed"] == 4
    assert [c["seq"] for c in body["changes"]] == [1, 2, 3]
    change = body["changes"][0]
    assert change["change"] == "permit_to_deny"
    assert change["candidate"]["rule_ids"] == ["no-finances-for-wijkteam"]
    assert change["candidate"]["reason"] == "forbidden_by_rule"
    assert [r["id"] for r in body["rule_changes"]["added"]] == ["no-finances-for-wijkteam"]


async def test_the_rules_in_force_change_nothing(client: Client, gateway: GatewayFixture) -> None:
    await client.app[AUDIT].append([finance(n) for n in range(3)])
    response = await client.post(
        "/api/v1/policies/simulate",
        json={"policies": policy_texts(), **period()},
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    body = await response.json()
    assert body["replayed"] == 3 and body["changes"] == [] and body["undetermined"] == []
    assert body["candidate_version"] == body["in_force_version"]


async def test_an_officer_never_sees_another_organisations_decisions_in_a_simulation(
    client: Client, gateway: GatewayFixture
) -> None:
    # The RVT asks the RVT: no business of the wijkteam's or the GI's officer.
    await client.app[AUDIT].append(
        [
            finance(n, requester_org="rvt-utrecht-proeftuin", source="rvt-utrecht-proeftuin")
            for n in range(3)
        ]
    )
    for org in ("wijkteam-utrecht", "gi-jeugdbescherming-demo"):
        response = await client.post(
            "/api/v1/policies/simulate",
            json={"policies": stricter(), **period()},
            headers=gateway.auth(org, OFFICER),
        )
        body = await response.json()
        assert body["replayed"] == 0 and body["changes"] == [], org


async def test_an_invalid_rule_set_lists_every_problem(
    client: Client, gateway: GatewayFixture
) -> None:
    texts = {
        "a.toml": "this is = not [toml",
        "b.toml": '[[rules]]\nid = "x"\neffect = "perhaps"\n',
    }
    response = await client.post(
        "/api/v1/policies/simulate",
        json={"policies": texts, **period()},
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    body = await problem(response, 422, "policy_invalid")
    errors = body["errors"]
    assert any("a.toml" in e and "invalid TOML" in e for e in errors)
    assert sum("b.toml" in e for e in errors) >= 2


async def test_a_huge_rule_set_is_refused_with_its_own_code(
    client: Client, gateway: GatewayFixture
) -> None:
    rule = (
        '[[rules]]\nid = "r{n}"\neffect = "forbid"\n'
        'description = {{ nl = "x", en = "x" }}\nrequester_types = ["wijkteam"]\n'
        'purposes = ["support_planning"]\nsource_types = ["*"]\ncategories = ["finances"]\n'
    )
    many = {"many.toml": "".join(rule.format(n=n) for n in range(501))}
    response = await client.post(
        "/api/v1/policies/simulate",
        json={"policies": many, **period()},
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    await problem(response, 422, "too_many_rules")
    files = {f"f{n}.toml": "" for n in range(51)}
    response = await client.post(
        "/api/v1/policies/simulate",
        json={"policies": files, **period()},
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    await problem(response, 422, "too_many_rules")
    big = {"big.toml": "#" * 300_000}
    response = await client.post(
        "/api/v1/policies/simulate",
        json={"policies": big, **period()},
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    await problem(response, 413, "payload_too_large")


async def test_a_period_too_long_is_refused(client: Client, gateway: GatewayFixture) -> None:
    response = await client.post(
        "/api/v1/policies/simulate",
        json={"policies": policy_texts(), **period(days=400)},
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    await problem(response, 422, "simulation_period_too_long")


# --- signals ----------------------------------------------------------------------------


async def test_probing_and_break_glass_without_basis_are_signalled_to_the_right_officer(
    client: Client, gateway: GatewayFixture
) -> None:
    audit = client.app[AUDIT]
    await audit.append(
        [
            decision(
                n,
                decision="deny",
                outcome="denied",
                reason="no_matching_rule",
                professional="prof-probe",
            )
            for n in range(12)
        ]
    )
    body = await (
        await client.get("/api/v1/signals", headers=gateway.auth("wijkteam-utrecht", OFFICER))
    ).json()
    probing = [s for s in body["signals"] if s["kind"] == "probing"]
    assert len(probing) == 1 and probing[0]["professional"] == "prof-probe"
    assert probing[0]["count"] == 12 and probing[0]["seqs"] == [12]
    assert probing[0]["explanation"]["nl"] and probing[0]["filters"]["decision"] == "deny"
    assert probing[0]["filters"]["professional"] == "prof-probe"  # the link opens exactly these
    # The RVT's officer sees none of it: neither requester nor source.
    other = await (
        await client.get("/api/v1/signals", headers=gateway.auth("rvt-utrecht-proeftuin", OFFICER))
    ).json()
    assert all(s["organisation"] != "wijkteam-utrecht" for s in other["signals"])


# --- statistics -------------------------------------------------------------------------


async def test_statistics_suppress_a_single_household(
    client: Client, gateway: GatewayFixture
) -> None:
    await client.app[AUDIT].append([decision(1, household="hh_only_one")])
    headers = gateway.auth("wijkteam-utrecht", OFFICER)
    body = await (await client.get("/api/v1/statistics", headers=headers)).json()
    cell = next(c for c in body["cells"] if c["measure"] == "households_supported")
    assert cell["value"] is None and cell["suppressed"] is True
    total = next(t for t in body["totals"] if t["measure"] == "households_supported")
    assert total["value"] == 0


async def test_statistics_drill_down_outside_the_scope_is_refused(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.get(
        "/api/v1/statistics?organisation=rvt-utrecht-proeftuin",
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    await problem(response, 403, "forbidden")
    response = await client.get(
        "/api/v1/statistics?from=2020-Q1&to=2026-Q4",
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    await problem(response, 400, "invalid_filter")


async def test_every_answer_converts_into_its_declaration(
    client: Client, gateway: GatewayFixture
) -> None:
    await client.app[AUDIT].append([finance(n) for n in range(3)])
    await client.app[AUDIT].append(
        [decision(10 + n, decision="deny", outcome="denied") for n in range(10)]
    )

    def officer() -> dict[str, str]:
        return gateway.auth("wijkteam-utrecht", OFFICER)

    listing = await (await client.get("/api/v1/policies", headers=officer())).json()
    assert msgspec.convert(listing, insight_schema.PolicyListing).rules
    simulated = await client.post(
        "/api/v1/policies/simulate", json={"policies": stricter(), **period()}, headers=officer()
    )
    answer = msgspec.convert(await simulated.json(), insight_schema.SimulationAnswer)
    assert answer.changes and answer.summary[0].count == 3
    signals = await (await client.get("/api/v1/signals", headers=officer())).json()
    assert msgspec.convert(signals, insight_schema.SignalList).signals
    figures = await (await client.get("/api/v1/statistics", headers=officer())).json()
    assert msgspec.convert(figures, insight_schema.Statistics).cells


async def test_statistics_round_consistently_and_a_region_sees_its_own_units_only(
    client: Client, gateway: GatewayFixture
) -> None:
    await client.app[AUDIT].append([decision(n, household=f"hh_{n:03d}") for n in range(12)])
    await client.app[AUDIT].append(
        [decision(50 + n, household=f"hh_p{n:03d}", requester_org="rvt-utrecht-proeftuin")
         for n in range(30)]
    )  # fmt: skip

    async def households(org: str, role: str) -> list[tuple[str, int | None]]:
        body = await (
            await client.get("/api/v1/statistics", headers=gateway.auth(org, role))
        ).json()
        return [
            (c["unit"], c["value"]) for c in body["cells"] if c["measure"] == "households_supported"
        ]

    first = await households("wijkteam-utrecht", OFFICER)
    assert first[0][0] == "wijkteam-utrecht" and first[0][1] in (10, 15)
    assert await households("wijkteam-utrecht", OFFICER) == first  # nothing to average
    region = await households("veilig-thuis-utrecht", REGIONAL)
    assert [unit for unit, _ in region] == ["utrecht"] and region[0][1] in (10, 15)
    pilot = await households("rvt-utrecht-proeftuin", REGIONAL)
    assert pilot == [("utrecht-proeftuin", 30)]


async def test_two_versions_are_compared_rule_by_rule(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.post(
        "/api/v1/policies/compare",
        json={"policies": stricter()},
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    body = msgspec.convert(await response.json(), insight_schema.PolicyComparison)
    assert [r.id for r in body.rule_changes.added] == ["no-finances-for-wijkteam"]
    assert body.rule_changes.removed == [] and body.other_version != body.in_force_version
    broken = await client.post(
        "/api/v1/policies/compare",
        json={"policies": {"x.toml": "[[rules]]\nid = 1\n"}},
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    await problem(broken, 422, "policy_invalid")
