"""Properties of the consent check (`consent.evaluate`, which `covers` runs on live rows)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    CONSENT_AT,
    CONSENT_CATEGORIES,
    CONSENT_PURPOSES,
    birth_dates,
    bsn_from_digits,
    consent_records,
    invalid_bsns,
    requester_refs,
    source_refs,
    synthetic_bsns,
)

from consent import (
    Actor,
    AgeRules,
    ConsentRecord,
    ConsentScope,
    Coverage,
    RequesterRef,
    SourceRef,
    age_on,
    evaluate,
    requirement,
)
from gateway.http.subjects import is_valid_bsn

CHILD, MOTHER, FATHER, STRANGER = "ps_child", "ps_mother", "ps_father", "ps_stranger"
RULES = AgeRules()
AMSTERDAM = ZoneInfo(RULES.time_zone)
declarations = st.lists(consent_records(CHILD, (CHILD, MOTHER, FATHER, STRANGER)), max_size=8)
questions = st.tuples(
    requester_refs(),
    st.sampled_from(CONSENT_PURPOSES),
    st.sampled_from(CONSENT_CATEGORIES),
    source_refs(),
)
Question = tuple[RequesterRef, str, str, SourceRef | None]


def run(birth: date, holders: list[str], records: list[ConsentRecord], q: Question) -> Coverage:
    requester, purpose, category, source = q
    return evaluate(
        CHILD, birth, holders, records, requester, purpose, category, source, CONSENT_AT, RULES,
        "utrecht",
    )  # fmt: skip


@given(synthetic_bsns())
def test_synthetic_bsns_pass_the_elfproef(bsn: str) -> None:
    assert bsn.startswith("9999")
    assert is_valid_bsn(bsn)


@given(invalid_bsns())
def test_invalid_bsns_fail_the_elfproef(bsn: str) -> None:
    assert not is_valid_bsn(bsn)


@given(birth_dates(), declarations, questions)
def test_withdrawn_superseded_or_expired_never_covers(
    birth: date, records: list[ConsentRecord], q: Question
) -> None:
    dead = [
        r
        if r.status in ("withdrawn", "superseded", "expired")
        else replace(r, valid_until=CONSENT_AT)
        for r in records
    ]
    coverage = run(birth, [MOTHER, FATHER], dead, q)
    assert not coverage.ok
    assert coverage.consent_ids == ()


@given(birth_dates(), declarations, questions)
def test_every_consent_used_is_live_matching_and_from_someone_who_counts(
    birth: date, records: list[ConsentRecord], q: Question
) -> None:
    requester, purpose, category, source = q
    holders = [MOTHER, FATHER]
    coverage = run(birth, holders, records, q)
    if not coverage.ok:
        assert coverage.missing
        return
    need = requirement(CHILD, birth, holders, CONSENT_AT, RULES).people
    by_id = {r.id: r for r in records}
    assert coverage.missing == ()
    for consent_id in coverage.consent_ids:
        record = by_id[consent_id]
        assert record.decision == "grant"
        assert record.status == "active"
        assert record.in_force(CONSENT_AT)
        assert record.given_by in need
        assert record.scope.matches(purpose, category, requester, source, "utrecht")


@given(birth_dates(), declarations, questions)
def test_a_parent_without_custody_never_counts(
    birth: date, records: list[ConsentRecord], q: Question
) -> None:
    """FATHER has no custody here: his declarations change nothing."""
    with_father = run(birth, [MOTHER], records, q)
    without = run(birth, [MOTHER], [r for r in records if r.given_by != FATHER], q)
    assert with_father == without
    assert FATHER not in with_father.missing


@given(birth_dates(), declarations, questions, questions)
def test_a_consent_for_one_scope_never_covers_another(
    birth: date, records: list[ConsentRecord], q: Question, other: Question
) -> None:
    """Narrow every declaration to exactly question `q`: it then covers nothing else."""
    requester, purpose, category, _ = q
    narrowed = [
        replace(
            r,
            scope=replace(
                r.scope,
                purposes=frozenset({purpose}),
                categories=frozenset({category}),
                recipient_organisations=frozenset({requester.org_id}),
                recipient_types=frozenset(),
                source_organisations=frozenset(),
                source_types=frozenset(),
            ),
        )
        for r in records
    ]
    o_requester, o_purpose, o_category, _ = other
    if (o_requester.org_id, o_purpose, o_category) != (requester.org_id, purpose, category):
        assert not run(birth, [MOTHER, FATHER], narrowed, other).ok


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2060, 12, 31),
        timezones=st.just(AMSTERDAM),
    ),
    st.sampled_from([12, 16]),
)
def test_the_rule_changes_exactly_on_the_birthday(at: datetime, threshold: int) -> None:
    """On the Dutch calendar: the birthday begins at midnight in Amsterdam (the default
    `time_zone`), whatever the instant's offset from UTC that night."""
    try:
        birth = at.date().replace(year=at.year - threshold)
    except ValueError:  # born on 29 February: the birthday is 1 March in other years
        birth = date(at.year - threshold, 2, 29)
        at = datetime(at.year, 3, 1, tzinfo=AMSTERDAM)
    day_before = at.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(microseconds=1)
    assert age_on(birth, at.date()) == threshold
    assert age_on(birth, day_before.date()) == threshold - 1
    before = requirement(CHILD, birth, [MOTHER], day_before, RULES).rule
    on = requirement(CHILD, birth, [MOTHER], at, RULES).rule
    expected = {
        12: ("custody_holders", "child_and_custody_holders"),
        16: ("child_and_custody_holders", "self"),
    }
    assert (before, on) == expected[threshold]
    # The same boundary through the check itself, with grants that match everything.
    scope = ConsentScope(
        purposes=frozenset(CONSENT_PURPOSES),
        categories=frozenset(CONSENT_CATEGORIES),
        recipient_types=frozenset({"wijkteam"}),
    )
    long_ago = datetime(1990, 1, 1, tzinfo=UTC)

    def grant(given_by: str) -> ConsentRecord:
        return ConsentRecord(
            id=f"cs_{given_by}", subject=CHILD, given_by=given_by,
            giver_role="self" if given_by == CHILD else "custody_holder", decision="grant",
            status="active", scope=scope, recorded_via="portal", recorded_by=Actor("system"),
            given_at=long_ago, valid_from=long_ago, valid_until=None, evidence_reference=None,
            policy_version="",
        )  # fmt: skip

    def ok(givers: tuple[str, ...], when: datetime) -> bool:
        records = [grant(g) for g in givers]
        requester = RequesterRef("wijkteam-utrecht", "wijkteam", "utrecht")
        return evaluate(
            CHILD, birth, [MOTHER], records, requester, "support_planning", "support_plan", None,
            when, RULES, "utrecht",
        ).ok  # fmt: skip

    if threshold == 12:
        assert ok((MOTHER,), day_before)
        assert not ok((MOTHER,), at)
        assert ok((MOTHER, CHILD), at)
    else:
        assert not ok((CHILD,), day_before)
        assert ok((MOTHER, CHILD), day_before)
        assert not ok((MOTHER,), at)
        assert ok((CHILD,), at)


@given(st.text("0123456789", min_size=4, max_size=4))
def test_bsn_helper_makes_only_valid_numbers(digits: str) -> None:
    bsn = bsn_from_digits(digits)
    assert bsn is None or is_valid_bsn(bsn)
