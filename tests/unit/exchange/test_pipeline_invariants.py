"""The exchange pipeline's invariants, over in-memory ports (real policies, real consent rules).

Each test here fails on a specific wrong pipeline: one that caches the subject read,
asks sources for denied categories, ignores `aggregates_only`, drops the break-the-glass
justification, answers before the audit append is durable, or lets records out when
the audit log fails.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pipeline_support import (
    InMemoryAccessLog,
    InMemoryHouseholds,
    InMemorySourceAdapter,
    InMemorySubjectReader,
    Timeline,
    default_engine,
    in_memory_deps,
    organisation,
    pseudonym,
)

from gateway.auth.organisation_tokens import Principal
from gateway.auth.organisations import Organisation
from gateway.errors import AuditUnavailable
from gateway.exchange.model import ExchangeRequest, ExchangeResult, ItemResult
from gateway.exchange.pipeline import ExchangeDeps, RequestMeta, run_exchange
from policies import PolicyEngine

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
BSN = "999990019"
SUBJECT = pseudonym(BSN)
NAME = "Fenna Testpersoon"

WIJKTEAM = organisation("wijkteam-utrecht", "wijkteam")
GI = organisation("gi-jeugdbescherming-demo", "gi")
VT = organisation("veilig-thuis-utrecht", "veilig_thuis")
ORGS = (WIJKTEAM, GI, VT)
ALL_SOURCES = tuple(org.id for org in ORGS)

HELD: dict[str, list[dict[str, Any]]] = {
    "contact_details": [{"name": NAME, "phone": "0612345678"}],
    "health": [{"diagnosis": "astma"}],
    "school": [{"school": "De Regenboog"}],
    "reporter_identity": [{"reporter": "Buurvrouw Jansen"}],
    "finances": [{"debt": "schuld-bij-bank-4711"}],
    "support_plan": [{"goal": "plan-a"}, {"goal": "plan-b"}, {"goal": "plan-c"}],
    "household_composition": [{"member": "lid-anna"}, {"member": "lid-bram"}],
}


class World:
    """One deployment's worth of in-memory ports, sharing one timeline."""

    def __init__(self, **adapter_options: dict[str, Any]) -> None:
        self.timeline = Timeline()
        self.households = InMemoryHouseholds()
        self.households.register(SUBJECT, date(1990, 5, 1))  # an adult: consents alone
        self.reader = InMemorySubjectReader(self.households, timeline=self.timeline)
        self.log = InMemoryAccessLog(self.timeline)
        self.sources = {
            org.id: InMemorySourceAdapter(
                org.id,
                {BSN: HELD},
                timeline=self.timeline,
                **adapter_options.get(org.id, {}),
            )
            for org in ORGS
        }

    def deps(self, *, deadline: float = 1.0, engine: PolicyEngine | None = None) -> ExchangeDeps:
        return in_memory_deps(
            organisations=ORGS,
            adapters=self.sources.values(),
            subjects=self.reader,
            access_log=self.log,
            engine=engine,
            deadline_seconds=deadline,
            now=NOW,
        )

    async def exchange(
        self,
        requester: Organisation,
        purpose: str,
        categories: tuple[str, ...],
        sources: tuple[str, ...] | None = None,
        *,
        justification: str | None = None,
        deps: ExchangeDeps | None = None,
    ) -> ExchangeResult:
        request = ExchangeRequest(
            bsn=BSN,
            purpose=purpose,
            categories=categories,
            sources=sources,
            justification=justification,
        )
        principal = Principal(requester, "prof-42", "professional", "jti-1")
        meta = RequestMeta("req-1", "trace-1", "")
        result = await run_exchange(request, principal, meta, deps or self.deps())
        self.timeline.note("answer")  # the caller now holds the result
        return result


def by_item(result: ExchangeResult) -> dict[tuple[str, str], ItemResult]:
    return {(item.source, item.category): item for item in result.items}


def consent_for_support_planning(world: World, *categories: str, **scope: Any) -> str:
    return world.households.declare(
        SUBJECT,
        purposes=["support_planning"],
        categories=categories,
        recipient_organisations=[WIJKTEAM.id],
        **scope,
    )


# -- the subject is read afresh for every exchange ------------------------------------------


async def test_a_withdrawal_is_seen_on_the_very_next_exchange() -> None:
    world = World()
    consent = consent_for_support_planning(world, "contact_details")
    first = by_item(
        await world.exchange(WIJKTEAM, "support_planning", ("contact_details",), (WIJKTEAM.id,))
    )
    assert first[(WIJKTEAM.id, "contact_details")].records == HELD["contact_details"]
    assert world.reader.reads == 1

    world.households.withdraw(consent, NOW)
    second = by_item(
        await world.exchange(WIJKTEAM, "support_planning", ("contact_details",), (WIJKTEAM.id,))
    )
    item = second[(WIJKTEAM.id, "contact_details")]
    assert world.reader.reads == 2, "the subject must be read again, not taken from a cache"
    assert item.outcome == "denied" and item.reason == "consent_required"
    assert item.records is None and item.missing_consent_from == (SUBJECT,)
    assert world.sources[WIJKTEAM.id].asked == [("contact_details",)], "asked once, not twice"


async def test_a_consent_given_between_exchanges_counts_on_the_next() -> None:
    world = World()
    before = by_item(
        await world.exchange(WIJKTEAM, "support_planning", ("contact_details",), (WIJKTEAM.id,))
    )
    assert before[(WIJKTEAM.id, "contact_details")].reason == "consent_required"
    consent = consent_for_support_planning(world, "contact_details")
    after = by_item(
        await world.exchange(WIJKTEAM, "support_planning", ("contact_details",), (WIJKTEAM.id,))
    )
    assert after[(WIJKTEAM.id, "contact_details")].consent_ids == (consent,)


async def test_one_exchange_reads_the_subject_once_before_any_source_is_asked() -> None:
    world = World()
    consent_for_support_planning(world, "contact_details")
    await world.exchange(WIJKTEAM, "support_planning", ("contact_details",))
    assert world.reader.reads == 1
    read = world.timeline.position("subject", "read")
    assert all(read < world.timeline.position("source", s, "asked") for s in (GI.id, VT.id))


# -- sources are asked only for what was permitted ------------------------------------------

# The request that mixes every way to be refused, from three sources:
#   contact_details  permitted by policy everywhere; consent only for wijkteam and gi as source
#   health           policy permits sources of type wijkteam/gi/rvt; consent only from wijkteam
#   school           policy: only for ages 5-17 (the subject is an adult)
#   reporter_identity never (restricted)
#   finances         permitted by policy, but the subject refused it
MIXED = ("contact_details", "health", "school", "reporter_identity", "finances")


def mixed_world() -> World:
    world = World()
    consent_for_support_planning(
        world, "contact_details", source_organisations=[WIJKTEAM.id, GI.id]
    )
    consent_for_support_planning(world, "health", source_organisations=[WIJKTEAM.id])
    consent_for_support_planning(world, "finances")
    world.households.declare(
        SUBJECT,
        decision="refuse",
        purposes=["support_planning"],
        categories=["finances"],
        recipient_organisations=[WIJKTEAM.id],
    )
    return world


async def test_sources_are_never_asked_for_a_category_denied_by_policy_or_consent() -> None:
    world = mixed_world()
    result = await world.exchange(WIJKTEAM, "support_planning", MIXED, ALL_SOURCES)
    items = by_item(result)
    assert {s: world.sources[s].categories_asked for s in world.sources} == {
        WIJKTEAM.id: {"contact_details", "health"},
        GI.id: {"contact_details"},
        VT.id: set(),
    }
    for (source, category), item in items.items():
        asked = category in world.sources[source].categories_asked
        assert asked == (item.outcome != "denied"), (source, category, item.reason)
    # Both kinds of refusal occurred, so the check above is not vacuous.
    reasons = {item.reason for item in result.items if item.outcome == "denied"}
    assert "consent_required" in reasons and len(reasons) >= 2


async def test_denied_items_carry_no_records_and_none_of_their_data_leaves() -> None:
    world = mixed_world()
    result = await world.exchange(WIJKTEAM, "support_planning", MIXED, ALL_SOURCES)
    body = json.dumps(result.to_json())
    for item in result.items:
        if item.outcome == "denied":
            assert item.records is None
    for secret in ("Buurvrouw Jansen", "De Regenboog", "schuld-bij-bank-4711"):
        assert secret not in body


async def test_a_source_answering_more_than_it_was_asked_is_minimised() -> None:
    world = World(**{WIJKTEAM.id: {"answers_everything": True}})
    consent_for_support_planning(world, "contact_details")
    result = await world.exchange(
        WIJKTEAM, "support_planning", ("contact_details",), (WIJKTEAM.id,)
    )
    assert world.sources[WIJKTEAM.id].asked == [("contact_details",)]
    assert [(i.source, i.category) for i in result.items] == [(WIJKTEAM.id, "contact_details")]
    assert result.items[0].records == HELD["contact_details"]
    body = json.dumps(result.to_json())
    for category, records in HELD.items():
        if category != "contact_details":
            for record in records:
                for value in record.values():
                    assert value not in body, category


# -- aggregates only -------------------------------------------------------------------------


async def test_an_aggregates_only_purpose_never_returns_per_person_records() -> None:
    world = World()
    categories = ("support_plan", "household_composition")
    result = await world.exchange(WIJKTEAM, "monitoring", categories, (GI.id,))
    items = by_item(result)
    for category in categories:
        item = items[(GI.id, category)]
        assert item.decision.aggregates_only, "the monitoring purpose must be aggregates_only"
        assert item.outcome == "returned"
        assert item.records == [{"count": len(HELD[category])}]
    body = json.dumps(result.to_json())
    assert "plan-a" not in body and "lid-anna" not in body


async def test_the_pipeline_guards_aggregates_only_whatever_the_purpose() -> None:
    """The guard is the pipeline's own: a synthetic aggregates_only decision on an
    ordinary purpose gets counts too (validation may refuse monitoring earlier)."""
    world = World()
    consent_for_support_planning(world, "contact_details")
    engine = default_engine()

    class AggregatesOnly(PolicyEngine):
        def __init__(self) -> None:
            self.__dict__.update(engine.__dict__)

        def decide_all(self, *args: Any, **kwargs: Any) -> Any:
            decisions = engine.decide_all(*args, **kwargs)
            return [replace(d, aggregates_only=True) for d in decisions]

    result = await world.exchange(
        WIJKTEAM,
        "support_planning",
        ("contact_details",),
        (WIJKTEAM.id,),
        deps=world.deps(engine=AggregatesOnly()),
    )
    item = result.items[0]
    assert item.outcome == "returned" and item.records == [{"count": 1}]
    assert NAME not in json.dumps(result.to_json())


# -- break the glass -------------------------------------------------------------------------

JUSTIFICATION = "Kind mogelijk in acuut gevaar; politie ter plaatse, adres nodig voor crisis."


async def test_the_break_the_glass_justification_reaches_the_access_log() -> None:
    world = World()
    result = await world.exchange(
        VT, "acute_safety", ("contact_details",), (WIJKTEAM.id,), justification=JUSTIFICATION
    )
    assert result.items[0].outcome == "returned"
    assert [meta.justification for meta in world.log.metas] == [JUSTIFICATION]
    assert [record.break_glass for record in world.log.records] == [True]


async def test_an_ordinary_exchange_logs_no_justification_and_no_break_glass() -> None:
    world = World()
    consent_for_support_planning(world, "contact_details")
    await world.exchange(WIJKTEAM, "support_planning", ("contact_details",), (WIJKTEAM.id,))
    assert [meta.justification for meta in world.log.metas] == [None]
    assert [record.break_glass for record in world.log.records] == [False]


# -- audit before answer, and fail closed ----------------------------------------------------


async def test_the_audit_append_is_durable_before_the_answer_and_after_every_fetch() -> None:
    world = World()
    consent_for_support_planning(world, "contact_details")
    result = await world.exchange(WIJKTEAM, "support_planning", ("contact_details",), ALL_SOURCES)
    timeline = world.timeline
    durable = timeline.position("audit", "durable")
    assert durable < timeline.position("answer")
    for source in (WIJKTEAM.id, GI.id, VT.id):
        assert timeline.position("source", source, "answered") < timeline.position("audit", "start")
    # What was audited is exactly what left: every item, with its final outcome.
    audited = [(r.source, r.category, r.outcome) for r in world.log.records]
    assert audited == [(i.source, i.category, i.outcome) for i in result.items]
    assert result.audit_seqs == (1, 2, 3)


async def test_a_failing_access_log_releases_no_records() -> None:
    world = World()
    consent_for_support_planning(world, "contact_details")
    world.log.fail = True
    with pytest.raises(AuditUnavailable) as raised:
        await world.exchange(WIJKTEAM, "support_planning", ("contact_details",), (WIJKTEAM.id,))
    assert world.timeline.happened("audit", "failed")
    assert not world.timeline.happened("answer")
    assert world.log.appended == []
    text = f"{raised.value!s} {raised.value!r} {raised.value.args!r}"
    assert NAME not in text and "0612345678" not in text and BSN not in text


# -- a slow or failing source ----------------------------------------------------------------


async def test_a_hanging_source_only_affects_its_own_items() -> None:
    world = World(**{GI.id: {"hang": True}})
    consent_for_support_planning(world, "contact_details")
    started = time.monotonic()
    result = await world.exchange(
        WIJKTEAM,
        "support_planning",
        ("contact_details",),
        (WIJKTEAM.id, GI.id),
        deps=world.deps(deadline=0.3),
    )
    assert time.monotonic() - started < 2.0
    items = by_item(result)
    slow = items[(GI.id, "contact_details")]
    assert slow.outcome == "source_error" and slow.records is None
    assert slow.error == "source_unavailable"
    assert items[(WIJKTEAM.id, "contact_details")].records == HELD["contact_details"]
    outcomes = {(r.source, r.outcome) for r in world.log.records}
    assert outcomes == {(GI.id, "source_error"), (WIJKTEAM.id, "returned")}


async def test_a_failing_source_only_affects_its_own_items() -> None:
    world = World(**{VT.id: {"fail": True}})
    consent_for_support_planning(world, "contact_details")
    items = by_item(
        await world.exchange(WIJKTEAM, "support_planning", ("contact_details",), ALL_SOURCES)
    )
    assert items[(VT.id, "contact_details")].outcome == "source_error"
    assert items[(GI.id, "contact_details")].records == HELD["contact_details"]
    assert items[(WIJKTEAM.id, "contact_details")].records == HELD["contact_details"]


async def test_concurrent_exchanges_each_read_their_own_subject_state() -> None:
    """Two exchanges in flight at once, a withdrawal between their reads: neither sees
    the other's state (a shared cache would hand the second the first one's read)."""
    world = World()
    consent = consent_for_support_planning(world, "contact_details")
    first = asyncio.create_task(
        world.exchange(WIJKTEAM, "support_planning", ("contact_details",), (WIJKTEAM.id,))
    )
    async with asyncio.timeout(2):  # a reader never asked (a cached read) fails here
        await world.reader.has_read.wait()
    world.households.withdraw(consent, NOW)
    second = await world.exchange(
        WIJKTEAM, "support_planning", ("contact_details",), (WIJKTEAM.id,)
    )
    assert (await first).items[0].outcome == "returned"
    assert second.items[0].reason == "consent_required"
    assert world.reader.reads == 2
