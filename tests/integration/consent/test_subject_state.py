"""`SqlConsentStore.subject_state` against a real database: the one read the exchange
makes per request must give the household, regiehouder, birth date, custody holders and
live declarations as they stand at the request's moment, and `covers_in` on it must
answer exactly as `covers_many` does."""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from consent_support import GI_REF as GI
from consent_support import PROFESSIONAL, T0
from consent_support import SUPPORT_PLANNING_SCOPE as SCOPE
from consent_support import VEILIG_THUIS_SOURCE as SOURCE
from consent_support import WIJKTEAM_REF as WIJKTEAM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from strategies import CONSENT_CATEGORIES, CONSENT_PURPOSES, requester_refs, source_refs
from support import migrate

from consent import (
    AgeRules,
    ConsentRecord,
    NewConsent,
    NewMember,
    RequesterRef,
    SourceRef,
    SqlConsentStore,
    SqlHouseholdStore,
    SubjectState,
    SubjectSummary,
)
from consent.tables import household_members
from gateway.storage.db import create_engine, dispose

KID_BIRTH = date(2018, 5, 1)  # 7 at T0: the custody holders decide
ITEMS = [
    ("support_planning", "support_plan", None),
    ("support_planning", "school", SOURCE),
    ("support_planning", "health", None),
    ("safety_assessment", "support_plan", None),
]


@dataclass
class Stores:
    engine: AsyncEngine
    homes: SqlHouseholdStore
    consents: SqlConsentStore


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[Stores]:
    await migrate(database_url)
    engine = create_engine(database_url)
    consents = SqlConsentStore(engine, rules=AgeRules(), sign=lambda _c: "jws", issuer="test")
    try:
        yield Stores(engine, SqlHouseholdStore(engine), consents)
    finally:
        await consents.close()
        await dispose(engine)


async def register_family(stores: Stores, *, at: datetime = T0) -> str:
    """mum and dad (both with custody) and their kid; returns the household id."""
    household = await stores.homes.register(
        regiehouder="wijkteam-utrecht",
        region="utrecht",
        members=[
            NewMember("ps_mum", date(1985, 1, 1), "parent"),
            NewMember("ps_dad", date(1984, 1, 1), "parent"),
            NewMember("ps_kid", KID_BIRTH, "child"),
        ],
        custody_pairs=[("ps_mum", "ps_kid"), ("ps_dad", "ps_kid")],
        contact_organisation="wijkteam-utrecht",
        contact_professional="p-1",
        actor=PROFESSIONAL,
        at=at,
        custody_confirmed_at=at,  # the custody register confirmed both (its own tests: below)
    )
    return household.id


def grant(subject: str, given_by: str, at: datetime) -> NewConsent:
    return NewConsent(
        subject=subject,
        given_by=given_by,
        decision="grant",
        scope=SCOPE,
        recorded_via="paper",
        recorded_by=PROFESSIONAL,
        given_at=at,
        valid_from=at,
        evidence_reference="form-1",
        policy_version="sha256:test",
    )


async def test_state_of_a_registered_child(stores: Stores) -> None:
    """One read gives everything the check needs, and nothing of anyone else."""
    household_id = await register_family(stores)
    mum = await stores.consents.record(grant("ps_kid", "ps_mum", T0), at=T0)
    await stores.consents.record(grant("ps_mum", "ps_mum", T0), at=T0)  # about mum, not kid
    at = T0 + timedelta(days=1)
    state = await stores.consents.subject_state("ps_kid", at)
    assert state.subject == "ps_kid"
    assert state.at == at
    assert state.summary == SubjectSummary(household_id, KID_BIRTH, "wijkteam-utrecht", "utrecht")
    assert state.birth_date == KID_BIRTH
    assert state.custody_holders == frozenset({"ps_mum", "ps_dad"})
    assert [r.id for r in state.live] == [mum.id]
    parent = await stores.consents.subject_state("ps_mum", at)
    assert parent.summary == SubjectSummary(
        household_id, date(1985, 1, 1), "wijkteam-utrecht", "utrecht"
    )
    assert parent.custody_holders == frozenset()  # nobody holds custody of mum


async def test_state_at_is_kept_in_utc(stores: Stores) -> None:
    """A moment given in another zone is the same instant, stored as UTC."""
    await register_family(stores)
    amsterdam = (T0 + timedelta(days=1)).astimezone(timezone(timedelta(hours=1)))
    state = await stores.consents.subject_state("ps_kid", amsterdam)
    assert state.at == amsterdam and state.at.utcoffset() == timedelta(0)
    assert state.summary is not None


async def test_moved_out_member_has_no_household_after_the_move(stores: Stores) -> None:
    """After member_moved_out at T the summary is None (from T on, T itself included);
    before T it still shows the household. Custody is a legal tie and stays."""
    household_id = await register_family(stores)
    record = await stores.consents.record(grant("ps_kid", "ps_mum", T0), at=T0)
    moved = T0 + timedelta(days=30)
    await stores.homes.member_moved_out(household_id, "ps_kid", actor=PROFESSIONAL, at=moved)
    before = await stores.consents.subject_state("ps_kid", moved - timedelta(seconds=1))
    assert before.summary == SubjectSummary(household_id, KID_BIRTH, "wijkteam-utrecht", "utrecht")
    for at in (moved, moved + timedelta(seconds=1), moved + timedelta(days=400)):
        after = await stores.consents.subject_state("ps_kid", at)
        assert after.summary is None, at
        assert after.birth_date == KID_BIRTH  # still known: the age rules need it
        assert after.custody_holders == frozenset({"ps_mum", "ps_dad"})
        assert [r.id for r in after.live] == [record.id]
    still_home = await stores.consents.subject_state("ps_mum", moved + timedelta(days=1))
    assert still_home.summary is not None and still_home.summary.household_id == household_id


async def test_nothing_counts_before_it_started(stores: Stores) -> None:
    """Before the household was registered there is no household and no custody."""
    await register_family(stores)
    early = await stores.consents.subject_state("ps_kid", T0 - timedelta(seconds=1))
    assert early.summary is None
    assert early.custody_holders == frozenset()
    assert early.birth_date == KID_BIRTH


async def test_custody_ended_or_granted_later_is_judged_at_the_moment(stores: Stores) -> None:
    household_id = await register_family(stores)
    ended = T0 + timedelta(days=10)
    await stores.homes.custody_ended(household_id, "ps_dad", "ps_kid", actor=PROFESSIONAL, at=ended)
    await stores.homes.member_joined(
        household_id,
        NewMember("ps_foster", date(1970, 1, 1), "foster_parent"),
        actor=PROFESSIONAL,
        at=ended,
    )
    granted = T0 + timedelta(days=20)
    await stores.homes.custody_granted(
        household_id, "ps_foster", "ps_kid", actor=PROFESSIONAL, at=granted, confirmed_at=granted
    )
    holders = [
        (await stores.consents.subject_state("ps_kid", at)).custody_holders
        for at in (ended - timedelta(seconds=1), ended, granted - timedelta(seconds=1), granted)
    ]
    assert holders == [
        frozenset({"ps_mum", "ps_dad"}),
        frozenset({"ps_mum"}),
        frozenset({"ps_mum"}),
        frozenset({"ps_mum", "ps_foster"}),
    ]


async def test_the_lowest_membership_open_at_the_moment_wins(stores: Stores) -> None:
    """Household A is registered first (lower membership id) but starts later than B.
    Before A starts only B is open; while both are open A wins (lowest id, not the
    earliest start); once the kid leaves A, B again. (Both have one regiehouder: a person
    never has two, a hand-over takes every household that shares a member along.)"""
    start_a, start_b = T0 + timedelta(days=10), T0
    home_a = await stores.homes.register(
        regiehouder="org-a",
        members=[NewMember("ps_kid", KID_BIRTH, "child")],
        custody_pairs=[],
        contact_organisation="org-a",
        contact_professional="p-1",
        actor=PROFESSIONAL,
        at=start_a,
    )
    home_b = await stores.homes.register(
        regiehouder="org-a",
        members=[NewMember("ps_kid", KID_BIRTH, "child")],
        custody_pairs=[],
        contact_organisation="org-a",
        contact_professional="p-1",
        actor=PROFESSIONAL,
        at=start_b,
    )
    left_a = T0 + timedelta(days=20)
    await stores.homes.member_moved_out(home_a.id, "ps_kid", actor=PROFESSIONAL, at=left_a)

    async def home_at(at: datetime) -> str | None:
        summary = (await stores.consents.subject_state("ps_kid", at)).summary
        return None if summary is None else summary.household_id

    assert await home_at(start_b - timedelta(seconds=1)) is None
    assert await home_at(start_b) == home_b.id
    assert await home_at(start_a - timedelta(seconds=1)) == home_b.id
    assert await home_at(start_a) == home_a.id
    assert await home_at(left_a - timedelta(seconds=1)) == home_a.id
    assert await home_at(left_a) == home_b.id
    state = await stores.consents.subject_state("ps_kid", start_a + timedelta(days=1))
    assert state.summary == SubjectSummary(home_a.id, KID_BIRTH, "org-a")


async def test_the_lowest_id_wins_whatever_order_the_rows_come_in(stores: Stores) -> None:
    """The rule is the lowest membership id, not the first row the database returns:
    a row with a lower id written later (on PostgreSQL it then comes back last) wins."""
    await stores.homes.register(
        regiehouder="org-later",
        members=[NewMember("ps_kid", KID_BIRTH, "child")],
        custody_pairs=[],
        contact_organisation="org-later",
        contact_professional="p-1",
        actor=PROFESSIONAL,
        at=T0,
    )
    lower = await stores.homes.register(
        regiehouder="org-lower",
        members=[NewMember("ps_other", KID_BIRTH, "child")],
        custody_pairs=[],
        contact_organisation="org-lower",
        contact_professional="p-1",
        actor=PROFESSIONAL,
        at=T0,
    )
    async with stores.engine.begin() as conn:
        await conn.execute(
            insert(household_members).values(
                id=0,
                household_id=lower.id,
                person="ps_kid",
                birth_date=KID_BIRTH,
                role="child",
                since=T0,
            )
        )
    state = await stores.consents.subject_state("ps_kid", T0 + timedelta(days=1))
    assert state.summary == SubjectSummary(lower.id, KID_BIRTH, "org-lower")


async def test_an_unregistered_pseudonym_has_no_state(stores: Stores) -> None:
    """Not in any household: no summary, no birth date, no holders, and no live
    declarations either, even one recorded about it (the check says not_registered)."""
    await register_family(stores)
    await stores.consents.record(grant("ps_nobody", "ps_nobody", T0), at=T0)
    at = T0 + timedelta(days=1)
    state = await stores.consents.subject_state("ps_nobody", at)
    assert state == SubjectState("ps_nobody", at, None, None, frozenset(), ())
    coverages = await stores.consents.covers_many("ps_nobody", WIJKTEAM, ITEMS, at)
    assert {(c.ok, c.rule) for c in coverages} == {(False, "not_registered")}


@pytest.mark.parametrize("subject", ["ps_kid", "ps_mum", "ps_dad", "ps_nobody"])
async def test_covers_in_on_the_state_agrees_with_covers_many(stores: Stores, subject: str) -> None:
    """The exchange reads the state once and asks `covers_in`; that must be the very
    answer `covers_many` gives, item for item, for every requester and moment."""
    household_id = await register_family(stores)
    for giver in ("ps_mum", "ps_dad"):
        await stores.consents.record(grant("ps_kid", giver, T0), at=T0)
    await stores.consents.record(grant("ps_mum", "ps_mum", T0), at=T0)
    await stores.homes.custody_ended(
        household_id, "ps_mum", "ps_kid", actor=PROFESSIONAL, at=T0 + timedelta(days=5)
    )
    seen_ok: set[bool] = set()
    for at in (T0 + timedelta(days=1), T0 + timedelta(days=6)):
        state = await stores.consents.subject_state(subject, at)
        for requester in (WIJKTEAM, GI):
            expected = await stores.consents.covers_many(subject, requester, ITEMS, at)
            assert stores.consents.covers_in(state, requester, ITEMS) == expected
            assert len(expected) == len(ITEMS)
            seen_ok.update(c.ok for c in expected)
    # Both answers occur where the subject has a consent, so agreement is not vacuous.
    if subject in ("ps_kid", "ps_mum"):
        assert seen_ok == {True, False}


async def test_the_state_sees_a_withdrawal_at_once(stores: Stores) -> None:
    """No cache: the next read after a withdrawal no longer carries the declaration."""
    await register_family(stores)
    record = await stores.consents.record(grant("ps_kid", "ps_mum", T0), at=T0)
    at = T0 + timedelta(days=1)
    assert [r.id for r in (await stores.consents.subject_state("ps_kid", at)).live] == [record.id]
    await stores.consents.withdraw(record.id, actor=PROFESSIONAL, at=at)
    assert (await stores.consents.subject_state("ps_kid", at)).live == ()


# -- properties ------------------------------------------------------------------------

_people = itertools.count()

# A membership: (start day, length in days or None for open); query moments in hours.
memberships = st.lists(
    st.tuples(st.integers(0, 20), st.one_of(st.none(), st.integers(1, 15))),
    min_size=1,
    max_size=4,
)
moments = st.lists(st.integers(-24, 40 * 24), min_size=1, max_size=6)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spans=memberships, hours=moments)
async def test_summary_follows_the_lowest_open_membership(
    stores: Stores, spans: list[tuple[int, int | None]], hours: list[int]
) -> None:
    """For any history of memberships (registered in list order, so list order is id
    order), the summary at any moment names the first membership open then, or None;
    the birth date is known whenever the person was ever registered."""
    person = f"ps_prop{next(_people)}"  # fresh per example: examples share the database
    ids: list[str] = []
    for start, length in spans:
        since = T0 + timedelta(days=start)
        # One regiehouder registers every household (a person has one regiehouder).
        home = await stores.homes.register(
            regiehouder="org-0",
            members=[NewMember(person, KID_BIRTH, "child")],
            custody_pairs=[],
            contact_organisation="org",
            contact_professional="p-1",
            actor=PROFESSIONAL,
            at=since,
        )
        if length is not None:
            await stores.homes.member_moved_out(
                home.id, person, actor=PROFESSIONAL, at=since + timedelta(days=length)
            )
        ids.append(home.id)
    for hour in hours:
        at = T0 + timedelta(hours=hour)
        expected = next(
            (
                SubjectSummary(ids[index], KID_BIRTH, "org-0")
                for index, (start, length) in enumerate(spans)
                if T0 + timedelta(days=start) <= at
                and (length is None or at < T0 + timedelta(days=start + length))
            ),
            None,
        )
        state = await stores.consents.subject_state(person, at)
        assert state.summary == expected, (spans, hour)
        assert state.birth_date == KID_BIRTH


@settings(max_examples=25, deadline=None)
@given(
    requester=requester_refs(),
    items=st.lists(
        st.tuples(
            st.sampled_from(CONSENT_PURPOSES), st.sampled_from(CONSENT_CATEGORIES), source_refs()
        ),
        max_size=6,
    ),
)
def test_covers_in_answers_each_item_on_its_own(
    requester: RequesterRef, items: list[tuple[str, str, SourceRef | None]]
) -> None:
    """In memory, no database: one answer per item, in order, each the answer that
    item gets when asked alone (no item changes another's verdict)."""
    store = _memory_store()
    record = _record("ps_kid", "ps_mum")
    summary = SubjectSummary("hh_1", KID_BIRTH, "wijkteam-utrecht", "utrecht")
    state = SubjectState("ps_kid", T0, summary, KID_BIRTH, frozenset({"ps_mum"}), (record,))
    together = store.covers_in(state, requester, items)
    assert together == [store.covers_in(state, requester, [item])[0] for item in items]
    assert together[::-1] == store.covers_in(state, requester, items[::-1])
    for (purpose, category, source), coverage in zip(items, together, strict=True):
        covered = SCOPE.matches(purpose, category, requester, source, "utrecht")
        assert coverage.ok == covered
        assert coverage.consent_ids == ((record.id,) if covered else ())


@functools.cache
def _memory_store() -> SqlConsentStore:
    """A store whose engine never connects: `covers_in` works on the state alone."""
    engine = create_engine("sqlite+aiosqlite:///never-opened.db")
    return SqlConsentStore(engine, rules=AgeRules(), sign=str, issuer="t")


def _record(subject: str, given_by: str) -> ConsentRecord:
    return ConsentRecord(
        id="cs_prop",
        subject=subject,
        given_by=given_by,
        giver_role="custody_holder",
        decision="grant",
        status="active",
        scope=SCOPE,
        recorded_via="paper",
        recorded_by=PROFESSIONAL,
        given_at=T0 - timedelta(days=1),
        valid_from=T0 - timedelta(days=1),
        valid_until=None,
        evidence_reference=None,
        policy_version="",
    )
