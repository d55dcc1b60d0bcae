"""A signal's `filters`, followed in the log search (GET /api/v1/audit/entries), land on
its entries: exactly, where `filters_exact` says so, and otherwise on a superset holding
every linked entry, never on another professional's or another requester's (both engines)."""

from __future__ import annotations

from typing import Any

from audit_support import decision
from consent_support import Client
from support import GatewayFixture

from gateway.appkeys import AUDIT
from gateway.audit.model import AuditEvent

OFFICER = "privacy_officer"
WIJKTEAM = "wijkteam-utrecht"
VT = "veilig-thuis-utrecht"


def _events() -> list[AuditEvent]:
    return [
        # seqs 1-25: a volume spike of prof-busy at the wijkteam (asked of VT)
        *(decision(n, professional="prof-busy") for n in range(25)),
        # 26-37: twelve refusals of prof-probe within the hour
        *(
            decision(100 + n, professional="prof-probe", decision="deny", outcome="denied")
            for n in range(12)
        ),
        # 38-42: VT's own prof-busy asking the wijkteam: in the wijkteam officer's scope
        # (as the source) and in `organisation=wijkteam-utrecht`, but not the wijkteam's
        *(
            decision(200 + n, professional="prof-busy", requester_org=VT, source=WIJKTEAM)
            for n in range(5)
        ),
        # 43: prof-busy's exchange for a purpose that expects a case, without one
        decision(300, professional="prof-busy", purpose="child_protection_investigation"),
    ]


async def _search(client: Client, gateway: GatewayFixture, filters: dict[str, str]) -> set[int]:
    response = await client.get(
        "/api/v1/audit/entries",
        params={**filters, "limit": "500"},
        headers=gateway.auth(WIJKTEAM, OFFICER),
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    assert body["next_cursor"] is None
    return {int(e["seq"]) for e in body["entries"]}


async def test_following_a_signals_filters_lands_on_its_entries(
    client: Client, gateway: GatewayFixture
) -> None:
    await client.app[AUDIT].append(_events())
    response = await client.get("/api/v1/signals", headers=gateway.auth(WIJKTEAM, OFFICER))
    assert response.status == 200, await response.text()
    signals = {(s["kind"], s["professional"]): s for s in (await response.json())["signals"]}
    spike, probing = signals["volume_spike", "prof-busy"], signals["probing", "prof-probe"]
    for signal in (spike, probing):
        filters = signal["filters"]
        assert filters["professional"] == signal["professional"]
        assert filters["requester"] == WIJKTEAM and filters["from"] < filters["to"]
        assert signal["filters_exact"] is True
    # Exactly the signal's entries: not VT's prof-busy (38-42), not the searches
    # themselves (each search is an `audit.query` entry of the officer).
    assert await _search(client, gateway, spike["filters"]) == set(range(1, 26)) | {43}
    assert spike["count"] == 26
    assert await _search(client, gateway, probing["filters"]) == set(range(26, 38))
    assert probing["count"] == 12
    # Where the pattern is not a filter: the professional's permits of the window, the
    # signal's own among them, and still not VT's prof-busy.
    no_case = signals["no_registered_case", "prof-busy"]
    assert no_case["filters_exact"] is False and no_case["seqs"] == [43]
    found = await _search(client, gateway, no_case["filters"])
    assert found == set(range(1, 26)) | {43}
