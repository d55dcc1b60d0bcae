"""Every write commits with its audit entry, or not at all (issue 11 §1).

For each write route the audit insert is made to fail inside the database (as a full
disk would): the answer is 503 `audit_unavailable` and no row of any table changed.
Over real HTTP, on both engines.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from audit_support import decision, fail_inserts
from consent_support import (
    CHILD_8,
    FATHER,
    MOTHER,
    OUTSIDER,
    Client,
    assert_problem,
    consent_body,
    household_body,
    snapshot,
)
from support import GatewayFixture

from adapters.reference.custody_register import CustodyRegister
from gateway.appkeys import AUDIT, HOUSEHOLD_SESSIONS, PSEUDONYMISER

WIJKTEAM, VT, GI = "wijkteam-utrecht", "veilig-thuis-utrecht", "gi-jeugdbescherming-demo"
OFFICER = "privacy_officer"
PAPER = {"evidence_reference": "letter-2026-11"}

# A write: given the client, the gateway and the standard household, the request to make.
Write = Callable[
    [Client, GatewayFixture, dict[str, Any]], Awaitable[tuple[str, Any, dict[str, str]]]
]


async def _register(client: Client, gateway: GatewayFixture, _h: dict[str, Any]) -> Any:
    body = household_body()
    body["members"] = body["members"][:1]
    body["custody"] = []
    return "/api/v1/households", body, gateway.auth(WIJKTEAM)


def _change(body: dict[str, Any]) -> Write:
    async def write(client: Client, gateway: GatewayFixture, household: dict[str, Any]) -> Any:
        return f"/api/v1/households/{household['id']}/changes", body, gateway.auth(WIJKTEAM)

    return write


async def _transfer(client: Client, gateway: GatewayFixture, household: dict[str, Any]) -> Any:
    body = {"to": VT, "contact_person": {"professional": "vt-1"}}
    return f"/api/v1/households/{household['id']}/transfer", body, gateway.auth(WIJKTEAM)


async def _record(client: Client, gateway: GatewayFixture, _h: dict[str, Any]) -> Any:
    return "/api/v1/consents", consent_body(MOTHER), gateway.auth(WIJKTEAM)


async def _paper_consent(client: Client, gateway: GatewayFixture) -> str:
    response = await client.post(
        "/api/v1/consents", json=consent_body(MOTHER), headers=gateway.auth(WIJKTEAM)
    )
    assert response.status == 201
    return str((await response.json())["id"])


async def _withdraw(client: Client, gateway: GatewayFixture, _h: dict[str, Any]) -> Any:
    consent_id = await _paper_consent(client, gateway)
    return f"/api/v1/consents/{consent_id}/withdraw", PAPER, gateway.auth(WIJKTEAM)


async def _session(client: Client, household: dict[str, Any]) -> dict[str, str]:
    person = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    token = await client.app[HOUSEHOLD_SESSIONS].create(person, household["id"])
    return {"Authorization": f"Session {token}"}


async def _give(client: Client, gateway: GatewayFixture, household: dict[str, Any]) -> Any:
    body = {
        "purposes": ["support_planning"],
        "categories": ["support_plan"],
        "recipients": {"organisations": [WIJKTEAM]},
    }
    return "/api/v1/me/consents", body, await _session(client, household)


async def _withdraw_in_portal(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> Any:
    consent_id = await _paper_consent(client, gateway)
    return f"/api/v1/me/consents/{consent_id}/withdraw", {}, await _session(client, household)


async def _break_glass(client: Client) -> int:
    seqs = await client.app[AUDIT].append(
        [
            decision(
                1,
                purpose="acute_safety",
                break_glass=True,
                justification="Kind alleen thuis, acuut",
                requester_org=GI,
                source=GI,
                confidentiality="confidential",
            )
        ]
    )
    return seqs[0]


async def _review(client: Client, gateway: GatewayFixture, _h: dict[str, Any]) -> Any:
    seq = await _break_glass(client)
    body = {"verdict": "justified", "note": "Terecht"}
    return f"/api/v1/audit/break-glass/{seq}/review", body, gateway.auth(GI, OFFICER)


async def _lift(client: Client, gateway: GatewayFixture, _h: dict[str, Any]) -> Any:
    seq = await _break_glass(client)
    body = {"note": "Onderzoek afgerond"}
    return f"/api/v1/audit/entries/{seq}/lift-confidentiality", body, gateway.auth(GI, OFFICER)


WRITES: dict[str, Write] = {
    "register_household": _register,
    "member_joined": _change(
        {
            "change": "member_joined",
            "member": {"bsn": OUTSIDER, "birth_date": "1980-01-01", "role": "adult"},
        }
    ),
    "member_moved_out": _change({"change": "member_moved_out", "member": FATHER}),
    "custody_granted": _change({"change": "custody_granted", "parent": FATHER, "child": CHILD_8}),
    "custody_ended": _change({"change": "custody_ended", "parent": MOTHER, "child": CHILD_8}),
    "contact_person_changed": _change(
        {"change": "contact_person_changed", "contact_person": {"professional": "prof-9"}}
    ),
    "transfer": _transfer,
    "record_consent": _record,
    "withdraw_consent": _withdraw,
    "give_consent_in_portal": _give,
    "withdraw_in_portal": _withdraw_in_portal,
    "review_break_glass": _review,
    "lift_confidentiality": _lift,
}
# What the custody register must say first, for a change of custody to be one it confirms.
REGISTER_FIRST: dict[str, Callable[[CustodyRegister], None]] = {
    "custody_granted": lambda register: register.grant_custody(FATHER, CHILD_8),
    "custody_ended": lambda register: register.end_custody(MOTHER, CHILD_8),
}


@pytest.mark.parametrize("write", list(WRITES))
async def test_a_write_whose_audit_entry_fails_is_503_and_changes_nothing(
    client: Client,
    gateway: GatewayFixture,
    household: dict[str, Any],
    database_url: str,
    write: str,
    custody_register: CustodyRegister,
) -> None:
    REGISTER_FIRST.get(write, lambda _register: None)(custody_register)
    path, body, headers = await WRITES[write](client, gateway, household)
    async with client.app[AUDIT].engine.begin() as conn:
        await fail_inserts(conn)
    before = await snapshot(database_url)
    response = await client.post(path, json=body, headers=headers)
    await assert_problem(response, 503, "audit_unavailable")
    assert await snapshot(database_url) == before


@pytest.mark.parametrize("write", list(WRITES))
async def test_a_write_commits_with_exactly_one_audit_entry(
    client: Client,
    gateway: GatewayFixture,
    household: dict[str, Any],
    database_url: str,
    write: str,
    custody_register: CustodyRegister,
) -> None:
    """The same writes succeed when the audit log works, each adding one entry."""
    REGISTER_FIRST.get(write, lambda _register: None)(custody_register)
    path, body, headers = await WRITES[write](client, gateway, household)
    before = await snapshot(database_url)
    response = await client.post(path, json=body, headers=headers)
    assert response.status in (200, 201), await response.text()
    after = await snapshot(database_url)
    assert len(after["audit_entries"]) == len(before["audit_entries"]) + 1
    changed = {name for name in after if after[name] != before[name]}
    assert changed - {"audit_entries", "audit_chain_head", "audit_checkpoints"}, changed


@pytest.mark.parametrize("sub", ["Jan de Vries", "=cmd", "profé"])
async def test_a_caller_the_audit_log_cannot_name_writes_nothing(
    client: Client, gateway: GatewayFixture, household: dict[str, Any], database_url: str, sub: str
) -> None:
    """Seen: such a `sub` got 500 *after* the household and consent rows were committed.
    Now the write fails closed with nothing kept (refused at the edge, or 503 here)."""
    before = await snapshot(database_url)
    for path, body in (
        ("/api/v1/households", household_body()),
        ("/api/v1/consents", consent_body(MOTHER)),
        (f"/api/v1/households/{household['id']}/changes",
         {"change": "member_moved_out", "member": FATHER}),
    ):  # fmt: skip
        response = await client.post(path, json=body, headers=gateway.auth(WIJKTEAM, sub=sub))
        assert response.status in (401, 503), await response.text()
        assert response.content_type == "application/problem+json"
    assert await snapshot(database_url) == before
