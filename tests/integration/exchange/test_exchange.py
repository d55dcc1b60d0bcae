"""The exchange end to end over real HTTP: sources, policies, consent, minimisation, audit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from deployment import Deployment
from sqlalchemy import func, select, text

from gateway.appkeys import ENGINE, PSEUDONYMISER
from gateway.audit.tables import audit_entries

WIJKTEAM = "wijkteam-utrecht"


def by_item(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["source"], r["category"]): r for r in body["results"]}


async def audit_count(deployment: Deployment) -> int:
    async with deployment.app[ENGINE].connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(audit_entries))).scalar_one()
        )


async def test_parents_consent_for_young_child_returns_minimised_records(
    deployment: Deployment,
) -> None:
    child = deployment.population.scenario("child_under_12")
    response = await deployment.exchange(
        WIJKTEAM,
        {
            "subject": {"bsn": child.bsn},
            "purpose": "support_planning",
            "categories": ["contact_details", "health"],
            "sources": [WIJKTEAM],
        },
    )
    assert response.status == 200
    body = await response.json()
    items = by_item(body)
    contact = items[(WIJKTEAM, "contact_details")]
    assert contact["decision"] == "permit" and contact["consent_ids"]
    assert contact["records"] and contact["records"][0]["name"] == child.name
    assert items[(WIJKTEAM, "health")]["records"]
    raw = await response.text()
    # The reference source sends everything it holds; only the permitted categories come out.
    assert child.bsn not in raw
    assert "school" not in {r["category"] for r in body["results"]}
    native = deployment.population.document("wijkteam", child.bsn) or {}
    assert native, "the reference source holds more than was asked"
    for record in items[(WIJKTEAM, "contact_details")]["records"]:
        assert "school" not in record and "finances" not in record


async def test_consent_given_at_eleven_no_longer_suffices_at_twelve(
    deployment: Deployment,
) -> None:
    child = deployment.population.scenario("child_consented_at_11")
    response = await deployment.exchange(
        WIJKTEAM,
        {
            "subject": {"bsn": child.bsn},
            "purpose": "support_planning",
            "categories": ["health"],
            "sources": [WIJKTEAM],
        },
    )
    item = by_item(await response.json())[(WIJKTEAM, "health")]
    assert item["decision"] == "deny"
    assert item["reason"] == "consent_required"
    assert "records" not in item
    child_pseudonym = deployment.app[PSEUDONYMISER].pseudonym(child.bsn)
    assert item["missing_consent_from"] == ["subject"]
    assert child_pseudonym not in json.dumps(item)
    assert item["missing_consent"] == [
        {
            "party": "subject",
            "household_role": "child",
            "age_band": "12-15",
            "label": {
                "nl": "het kind zelf (12\u201315 jaar)",
                "en": "the child themselves (12\u201315)",
            },
        }
    ]


async def test_reporter_identity_never_leaves_veilig_thuis(deployment: Deployment) -> None:
    subject = deployment.population.scenario("vt_report_subject")
    for org in (
        "wijkteam-utrecht",
        "gi-jeugdbescherming-demo",
        "rvdk-midden-nederland",
        "rvt-utrecht-proeftuin",
    ):
        response = await deployment.exchange(
            org,
            {
                "subject": {"bsn": subject.bsn},
                "purpose": "safety_assessment",
                "categories": ["reporter_identity"],
                "sources": ["veilig-thuis-utrecht"],
            },
        )
        item = by_item(await response.json())[("veilig-thuis-utrecht", "reporter_identity")]
        assert item["decision"] == "deny", org
        assert "records" not in item


async def test_every_item_is_audited_before_the_answer(deployment: Deployment) -> None:
    before = await audit_count(deployment)
    child = deployment.population.scenario("child_under_12")
    response = await deployment.exchange(
        WIJKTEAM,
        {
            "subject": {"bsn": child.bsn},
            "purpose": "support_planning",
            "categories": ["contact_details", "reports", "health"],
        },
    )
    body = await response.json()
    assert await audit_count(deployment) - before == len(body["results"])
    async with deployment.app[ENGINE].connect() as conn:
        rows = (await conn.execute(select(audit_entries))).mappings().all()
    dumped = json.dumps([dict(r) for r in rows], default=str)
    assert child.bsn not in dumped and child.name not in dumped


async def test_audit_failure_releases_no_data(deployment: Deployment) -> None:
    async with deployment.app[ENGINE].begin() as conn:
        await conn.execute(text("ALTER TABLE audit_entries RENAME TO audit_entries_gone"))
    child = deployment.population.scenario("child_under_12")
    response = await deployment.exchange(
        WIJKTEAM,
        {
            "subject": {"bsn": child.bsn},
            "purpose": "support_planning",
            "categories": ["contact_details"],
            "sources": [WIJKTEAM],
        },
    )
    assert response.status == 503
    body = await response.json()
    assert body["code"] == "audit_unavailable"
    raw = await response.text()
    assert child.name not in raw and "records" not in raw


@pytest.mark.parametrize("deployment", [["gi-jeugdbescherming-demo"]], indirect=True)
async def test_hanging_source_times_out_and_others_still_answer(deployment: Deployment) -> None:
    child = deployment.population.scenario("child_under_12")
    response = await deployment.exchange(
        WIJKTEAM,
        {
            "subject": {"bsn": child.bsn},
            "purpose": "support_planning",
            "categories": ["contact_details"],
            "sources": [WIJKTEAM, "gi-jeugdbescherming-demo"],
        },
    )
    assert response.status == 200
    items = by_item(await response.json())
    slow = items[("gi-jeugdbescherming-demo", "contact_details")]
    assert slow["error"] == "source_unavailable" and "records" not in slow
    assert items[(WIJKTEAM, "contact_details")]["records"]


async def test_break_glass_is_flagged_for_review(deployment: Deployment) -> None:
    child = deployment.population.scenario("child_under_ots")
    response = await deployment.exchange(
        "veilig-thuis-utrecht",
        {
            "subject": {"bsn": child.bsn},
            "purpose": "acute_safety",
            "categories": ["contact_details"],
            "break_glass": {
                "justification": "Kind mogelijk in acuut gevaar; politie ter plaatse, "
                "adres nodig voor crisisinterventie."
            },
        },
    )
    assert response.status == 200
    async with deployment.app[ENGINE].connect() as conn:
        flagged = (
            await conn.execute(
                select(func.count()).select_from(audit_entries).where(audit_entries.c.break_glass)
            )
        ).scalar_one()
    assert flagged >= 1


BAD_BODIES = [
    (
        {"subject": {"bsn": "123456789"}, "purpose": "support_planning", "categories": ["health"]},
        400,
        "invalid_bsn",
    ),
    (
        {"subject": {"bsn": "999990019"}, "purpose": "gossip", "categories": ["health"]},
        400,
        "unknown_purpose",
    ),
    (
        {
            "subject": {"bsn": "999990019"},
            "purpose": "support_planning",
            "categories": ["horoscope"],
        },
        400,
        "unknown_category",
    ),
    (
        {
            "subject": {"bsn": "999990019"},
            "purpose": "support_planning",
            "categories": ["health"],
            "sources": ["nowhere"],
        },
        400,
        "unknown_source",
    ),
    (
        {"subject": {"bsn": "999990019"}, "purpose": "support_planning", "categories": []},
        400,
        "validation_failed",
    ),
    (
        {
            "subject": {"bsn": "999990019"},
            "purpose": "support_planning",
            "categories": ["health"] * 51,
        },
        400,
        "validation_failed",
    ),
    (
        {"subject": {"bsn": "999990019"}, "purpose": "acute_safety", "categories": ["health"]},
        400,
        "justification_required",
    ),
    (
        {
            "subject": {"bsn": "999990019"},
            "purpose": "support_planning",
            "categories": ["health"],
            "extra": 1,
        },
        400,
        "validation_failed",
    ),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_BODIES)
async def test_bad_request_bodies(
    deployment: Deployment, body: dict[str, Any], status: int, code: str
) -> None:
    before = await audit_count(deployment)
    response = await deployment.exchange(WIJKTEAM, body)
    assert response.status == status
    assert response.content_type == "application/problem+json"
    assert (await response.json())["code"] == code
    assert await audit_count(deployment) == before  # nothing written


async def test_no_token_is_401(deployment: Deployment) -> None:
    response = await deployment.client.post("/api/v1/exchanges", json={})
    assert response.status == 401
    assert (await response.json())["code"] == "token_missing"


async def test_replayed_token_is_refused(deployment: Deployment) -> None:
    headers = deployment.gateway.auth(WIJKTEAM)
    body = {
        "subject": {"bsn": "999990019"},
        "purpose": "support_planning",
        "categories": ["health"],
    }
    first = await deployment.client.post("/api/v1/exchanges", json=body, headers=headers)
    assert first.status == 200
    second = await deployment.client.post("/api/v1/exchanges", json=body, headers=headers)
    assert second.status == 401
    assert (await second.json())["code"] == "token_replayed"
