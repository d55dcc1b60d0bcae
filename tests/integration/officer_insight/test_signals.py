"""Each misuse signal fires on its pattern and stays quiet without it (both engines)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from audit_support import decision
from consent_support import Client

from gateway.appkeys import AUDIT, ENGINE
from gateway.audit.query import Scope
from gateway.audit.signals import SignalQueries
from gateway.insight.config import SignalSettings, WorkingHours
from gateway.insight.signals import Signal, find_signals

WIJKTEAM = Scope(frozenset({"wijkteam-utrecht"}))
ALWAYS = WorkingHours(start=time(0, 0), end=time.max, days=frozenset(range(1, 8)))
SETTINGS = SignalSettings()


async def signals(
    client: Client,
    *,
    scope: Scope = WIJKTEAM,
    later: timedelta = timedelta(0),
    hours: WorkingHours = ALWAYS,
    settings: SignalSettings = SETTINGS,
) -> list[Signal]:
    now = datetime.now(UTC) + later + timedelta(seconds=1)
    return await find_signals(SignalQueries(client.app[ENGINE]), scope, now, settings, hours)


def kinds(found: list[Signal]) -> list[str]:
    return [s.kind for s in found]


async def test_a_professional_far_above_their_own_level_is_a_volume_spike(client: Client) -> None:
    await client.app[AUDIT].append([decision(n, professional="prof-busy") for n in range(25)])
    (spike,) = [s for s in await signals(client) if s.kind == "volume_spike"]
    assert spike.professional == "prof-busy" and spike.count == 25
    assert spike.explanation_nl and spike.explanation_en and spike.seqs
    # Two days on, the same 25 are their usual level, not a spike.
    assert "volume_spike" not in kinds(await signals(client, later=timedelta(days=2)))


async def test_a_small_burst_stays_quiet(client: Client) -> None:
    await client.app[AUDIT].append([decision(n) for n in range(5)])
    assert kinds(await signals(client)) == []


async def test_decisions_outside_working_hours_are_signalled(client: Client) -> None:
    await client.app[AUDIT].append([decision(n, professional="prof-night") for n in range(3)])
    today = datetime.now(UTC).astimezone(ALWAYS.zone).isoweekday()
    never_today = replace(ALWAYS, days=frozenset(set(range(1, 8)) - {today}))
    (night,) = [s for s in await signals(client, hours=never_today)]
    assert night.kind == "outside_working_hours" and night.count == 3
    assert night.seqs == (3,) and night.filters["organisation"] == "wijkteam-utrecht"
    assert kinds(await signals(client, hours=ALWAYS)) == []


async def test_a_burst_of_denials_is_probing(client: Client) -> None:
    await client.app[AUDIT].append(
        [decision(n, decision="deny", outcome="denied") for n in range(10)]
    )
    assert kinds(await signals(client)) == ["probing"]
    quieter = replace(SETTINGS, probing_denials=11)
    assert kinds(await signals(client, settings=quieter)) == []


async def test_break_the_glass_without_a_later_regular_basis(client: Client) -> None:
    audit = client.app[AUDIT]
    glass = dict(purpose="acute_safety", break_glass=True, justification="Acuut onveilig")
    await audit.append([decision(0, subject="ps_a", **glass), decision(1, subject="ps_b", **glass)])
    # Within the grace period: nothing yet.
    assert kinds(await signals(client)) == []
    found = await signals(client, later=timedelta(days=4))
    (use,) = [s for s in found if s.kind == "break_glass_without_basis"]
    assert use.count == 2 and set(use.seqs) == {1, 2}
    assert use.filters["professional"] == "prof-17" and use.filters["break_glass"] == "true"
    assert use.filters["requester"] == "wijkteam-utrecht" and not use.filters_exact
    # A regular permit for one of them follows: that one is no longer a signal.
    await audit.append([decision(2, subject="ps_a")])
    (use,) = [
        s
        for s in await signals(client, later=timedelta(days=4))
        if s.kind == "break_glass_without_basis"
    ]
    assert use.count == 1 and use.seqs == (2,)


async def test_a_child_protection_exchange_without_a_registered_case(client: Client) -> None:
    purpose = "child_protection_investigation"
    await client.app[AUDIT].append(
        [
            decision(0, purpose=purpose, requester_org="rvdk-midden-nederland"),
            decision(1, purpose=purpose, details={"exchange_id": "ex_1", "case_id": "case_1"}),
        ]
    )
    found = await signals(client, scope=Scope(frozenset({"rvdk-midden-nederland"})))
    assert [(s.kind, s.organisation, s.seqs) for s in found] == [
        ("no_registered_case", "rvdk-midden-nederland", (1,))
    ]
    # The wijkteam's officer: its own exchange named a case; the RvDK's is not in its scope
    # (its source was VT, requested by the RvDK).
    assert kinds(await signals(client)) == []


async def test_another_organisations_pattern_is_not_in_the_scope(client: Client) -> None:
    await client.app[AUDIT].append(
        [
            decision(
                n,
                decision="deny",
                outcome="denied",
                requester_org="rvt-utrecht-proeftuin",
                source="rvt-utrecht-proeftuin",
            )
            for n in range(12)
        ]
    )
    assert kinds(await signals(client)) == []
    rvt = Scope(frozenset({"rvt-utrecht-proeftuin"}))
    assert kinds(await signals(client, scope=rvt)) == ["probing"]
