"""Properties of any exchange, over in-memory ports: for random requests, consents and ages,
sources are asked for exactly the items not denied, what leaves is what was audited (and
audited first), and an aggregates_only decision never carries a per-person record."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from pipeline_support import (
    CONFIG,
    InMemoryAccessLog,
    InMemoryHouseholds,
    InMemorySourceAdapter,
    InMemorySubjectReader,
    Timeline,
    in_memory_deps,
    organisation,
    pseudonym,
)

from gateway.auth.organisation_tokens import Principal
from gateway.exchange.model import ExchangeRequest, ExchangeResult
from gateway.exchange.pipeline import RequestMeta, run_exchange
from policies import load_vocabulary

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
BSN = "999990019"
SUBJECT = pseudonym(BSN)
PARENT = pseudonym("999990020")
VOCABULARY = load_vocabulary(CONFIG)
CATEGORIES = sorted(VOCABULARY.categories)
PURPOSES = sorted(VOCABULARY.purposes)
ORGS = (
    organisation("wijkteam-utrecht", "wijkteam"),
    organisation("veilig-thuis-utrecht", "veilig_thuis"),
    organisation("gi-jeugdbescherming-demo", "gi"),
    organisation("rvdk-midden-nederland", "rvdk"),
    organisation("rvt-utrecht-proeftuin", "rvt"),
)
ORG_IDS = [org.id for org in ORGS]
# Weighted towards the consent-based requests (most requests in practice), so consent
# grants, refusals and their absence all occur often; every value still occurs.
COMMON_PURPOSES = ["support_planning"] * 4 + ["monitoring", "acute_safety"] + PURPOSES
COMMON_CATEGORIES = ["contact_details", "health", "school", "finances"] * 2 + CATEGORIES
JUSTIFICATION = "Acuut gevaar voor het kind; adres en gezag nodig voor de crisisdienst nu."


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    consents = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "given_by": st.sampled_from([SUBJECT, PARENT]),
                    "decision": st.sampled_from(["grant", "grant", "refuse"]),
                    "purposes": st.sets(st.sampled_from(COMMON_PURPOSES), min_size=1, max_size=3),
                    "categories": st.sets(
                        st.sampled_from(COMMON_CATEGORIES), min_size=1, max_size=5
                    ),
                    "recipients": st.sets(
                        st.sampled_from([ORG_IDS[0]] * 3 + ORG_IDS), min_size=1, max_size=3
                    ),
                    "sources": st.sets(st.sampled_from(ORG_IDS), max_size=2),
                }
            ),
            max_size=6,
        )
    )
    return {
        "birth_date": draw(st.dates(date(1950, 1, 1), date(2025, 12, 31))),
        "requester": draw(st.sampled_from([0, 0, 0, *range(len(ORGS))])),
        "purpose": draw(st.sampled_from(COMMON_PURPOSES)),
        "categories": tuple(
            draw(st.lists(st.sampled_from(COMMON_CATEGORIES), min_size=1, max_size=6, unique=True))
        ),
        "sources": tuple(
            draw(st.lists(st.sampled_from(ORG_IDS), min_size=1, max_size=5, unique=True))
        ),
        "consents": consents,  # given by the subject or the parent with custody
        "hanging": draw(st.sets(st.sampled_from(ORG_IDS), max_size=1)),
        "broad_consent": draw(st.booleans()),
    }


def held(category: str) -> list[dict[str, Any]]:
    return [{"field": f"{category}-secret-1"}, {"field": f"{category}-secret-2"}]


async def run(scenario: dict[str, Any]) -> tuple[ExchangeResult, Any]:
    timeline = Timeline()
    households = InMemoryHouseholds()
    households.register(SUBJECT, scenario["birth_date"], custody_holders=[PARENT])
    requester = ORGS[scenario["requester"]]
    if scenario["broad_consent"]:  # subject and parent both consent to exactly this request
        for giver in (SUBJECT, PARENT):
            households.declare(
                SUBJECT,
                given_by=giver,
                purposes=[scenario["purpose"]],
                categories=scenario["categories"],
                recipient_organisations=[requester.id],
            )
    for c in scenario["consents"]:
        households.declare(
            SUBJECT,
            given_by=c["given_by"],
            decision=c["decision"],
            purposes=c["purposes"],
            categories=c["categories"],
            recipient_organisations=c["recipients"],
            source_organisations=c["sources"],
        )
    adapters = [
        InMemorySourceAdapter(
            org_id,
            {BSN: {category: held(category) for category in CATEGORIES}},
            timeline=timeline,
            hang=org_id in scenario["hanging"],
            answers_everything=True,
        )
        for org_id in ORG_IDS
    ]
    reader = InMemorySubjectReader(households, timeline=timeline)
    log = InMemoryAccessLog(timeline)
    deps = in_memory_deps(
        organisations=ORGS,
        adapters=adapters,
        subjects=reader,
        access_log=log,
        deadline_seconds=0.05,
        now=NOW,
    )
    purpose = scenario["purpose"]
    request = ExchangeRequest(
        bsn=BSN,
        purpose=purpose,
        categories=scenario["categories"],
        sources=scenario["sources"],
        justification=JUSTIFICATION if VOCABULARY.purposes[purpose].break_glass else None,
    )
    principal = Principal(requester, "prof-1", "professional", "jti")
    result = await run_exchange(request, principal, RequestMeta("req", "trace", ""), deps)
    timeline.note("answer")
    return result, (timeline, reader, log, {a.source_id: a for a in adapters})


@settings(max_examples=150, deadline=None)
@given(scenario=scenarios())
def test_sources_see_only_what_was_permitted_and_what_leaves_was_audited_first(
    scenario: dict[str, Any],
) -> None:
    result, (timeline, reader, log, adapters) = asyncio.run(run(scenario))
    items = result.items
    assert [(i.source, i.category) for i in items] == [
        (s, c) for s in scenario["sources"] for c in scenario["categories"]
    ]
    for source, adapter in adapters.items():
        not_denied = {i.category for i in items if i.source == source and i.outcome != "denied"}
        assert adapter.categories_asked == not_denied, source
        assert len(adapter.asked) <= 1, "each source is asked at most once"
    for item in items:
        event(
            f"{item.outcome}/{item.reason}"
            + ("/aggregates" if item.decision.aggregates_only else "")
            + ("/by_consent" if item.consent_ids else "")
        )
        if item.outcome != "returned":
            assert item.records is None
        elif item.decision.aggregates_only:
            assert item.records == [{"count": 2}]
        else:
            assert item.records == held(item.category)
    assert reader.reads == 1
    assert [(r.source, r.category, r.outcome) for r in log.records] == [
        (i.source, i.category, i.outcome) for i in items
    ]
    assert timeline.position("audit", "durable") < timeline.position("answer")
    expected = JUSTIFICATION if VOCABULARY.purposes[scenario["purpose"]].break_glass else None
    assert {meta.justification for meta in log.metas} <= {expected}
