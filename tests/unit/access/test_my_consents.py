"""The pure parts of a household member's consent use-cases: who must still agree under
the 12-15 rule (by role, never by pseudonym), and where a person stands to the viewer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from consent import Actor, AgeRules, ConsentRecord, ConsentScope, Household
from consent.model import CustodyRelation, Member
from gateway.access.my_consents import Agreement, agreement, relation

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SINCE = NOW - timedelta(days=400)
MOTHER, FATHER, CHILD, TEEN, AUNT = "ps_mother", "ps_father", "ps_child", "ps_teen", "ps_aunt"
SCOPE = ConsentScope(
    purposes=frozenset({"support_planning"}),
    categories=frozenset({"support_plan"}),
    recipient_types=frozenset({"wijkteam"}),
)
HOUSEHOLD = Household(
    id="hh_1",
    regiehouder="wijkteam-utrecht",
    contact_organisation="wijkteam-utrecht",
    contact_professional="prof-1",
    created_at=SINCE,
    members=(
        Member(MOTHER, date(1986, 1, 1), "parent", SINCE),
        Member(FATHER, date(1984, 1, 1), "parent", SINCE),
        Member(CHILD, date(2013, 1, 1), "child", SINCE),  # 13 on NOW
        Member(TEEN, date(2009, 1, 1), "child", SINCE),  # 17 on NOW
        Member(AUNT, date(1990, 1, 1), "other", SINCE),
    ),
    custody=(
        CustodyRelation(MOTHER, CHILD, SINCE),
        CustodyRelation(MOTHER, TEEN, SINCE),
    ),
)


def grant(
    subject: str, given_by: str, scope: ConsentScope = SCOPE, **extra: object
) -> ConsentRecord:
    values: dict[str, object] = {
        "id": f"cs_{subject}_{given_by}",
        "subject": subject,
        "given_by": given_by,
        "giver_role": "self" if subject == given_by else "custody_holder",
        "decision": "grant",
        "status": "active",
        "scope": scope,
        "recorded_via": "portal",
        "recorded_by": Actor("person", person=given_by),
        "given_at": SINCE,
        "valid_from": SINCE,
        "valid_until": None,
        "evidence_reference": None,
        "policy_version": "sha256:x",
        **extra,
    }
    return ConsentRecord(**values)  # type: ignore[arg-type]


def agreement_for(viewer: str, record: ConsentRecord, *others: ConsentRecord) -> Agreement | None:
    return agreement(
        record,
        viewer,
        household=HOUSEHOLD,
        birth_date=date(2013, 1, 1) if record.subject == CHILD else date(2009, 1, 1),
        custody_holders=[MOTHER],
        declarations=[record, *others],
        rules=AgeRules(),
        at=NOW,
    )


def agreed(viewer: str, record: ConsentRecord, *others: ConsentRecord) -> Agreement:
    result = agreement_for(viewer, record, *others)
    assert result is not None
    return result


def test_a_13_year_olds_consent_waits_for_the_parent_with_custody() -> None:
    own = grant(CHILD, CHILD)
    seen_by_child = agreed(CHILD, own)
    assert seen_by_child.agreed == ("you",)
    assert seen_by_child.waiting_for == ("your_parent",)
    seen_by_mother = agreed(MOTHER, own)
    assert seen_by_mother.agreed == ("your_child",)
    assert seen_by_mother.waiting_for == ("you",)


def test_once_both_agreed_on_a_covering_scope_nobody_is_waited_for() -> None:
    wider = ConsentScope(
        purposes=SCOPE.purposes,
        categories=frozenset({"support_plan", "school"}),
        recipient_types=SCOPE.recipient_types,
    )
    result = agreed(CHILD, grant(CHILD, CHILD), grant(CHILD, MOTHER, wider))
    assert result.waiting_for == ()
    assert set(result.agreed) == {"you", "your_parent"}


def test_a_narrower_or_withdrawn_grant_does_not_count_as_agreeing() -> None:
    narrower = ConsentScope(
        purposes=SCOPE.purposes, categories=frozenset(), recipient_types=SCOPE.recipient_types
    )
    assert agreement_for(
        CHILD, grant(CHILD, CHILD), grant(CHILD, MOTHER, narrower)
    ).waiting_for == ("your_parent",)
    withdrawn = grant(CHILD, MOTHER, status="withdrawn")
    assert agreed(CHILD, grant(CHILD, CHILD), withdrawn).waiting_for == ("your_parent",)


def test_the_rule_applies_only_from_12_to_15_and_only_to_live_grants() -> None:
    assert agreement_for(TEEN, grant(TEEN, TEEN)) is None  # 17: the young person alone
    assert agreement_for(CHILD, grant(CHILD, CHILD, decision="refuse")) is None
    assert agreement_for(CHILD, grant(CHILD, CHILD, status="withdrawn")) is None


def test_relation_names_people_by_their_place_in_the_household() -> None:
    assert relation(MOTHER, MOTHER, HOUSEHOLD, NOW) == "you"
    assert relation(CHILD, MOTHER, HOUSEHOLD, NOW) == "your_child"
    assert relation(MOTHER, CHILD, HOUSEHOLD, NOW) == "your_parent"
    assert relation(FATHER, CHILD, HOUSEHOLD, NOW) == "your_parent"  # a parent, no custody
    assert relation(FATHER, MOTHER, HOUSEHOLD, NOW) == "other_parent"
    assert relation(CHILD, FATHER, HOUSEHOLD, NOW) == "household_member"  # no custody
    assert relation(AUNT, MOTHER, HOUSEHOLD, NOW) == "household_member"
    assert relation("ps_stranger", MOTHER, HOUSEHOLD, NOW) == "someone_else"
    assert relation(MOTHER, CHILD, None, NOW) == "someone_else"
