"""Age and representation rules, and the in-memory consent check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

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

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
CHILD, MOTHER, FATHER = "ps_child", "ps_mother", "ps_father"
WIJKTEAM = RequesterRef("wijkteam-utrecht", "wijkteam", "utrecht")
GI = RequesterRef("gi-jeugdbescherming-demo", "gi", "utrecht")
SCOPE = ConsentScope(
    purposes=frozenset({"support_planning"}),
    categories=frozenset({"support_plan"}),
    recipient_types=frozenset({"wijkteam"}),
)
RULES = AgeRules()


def declaration(given_by: str, subject: str = CHILD, **changes: object) -> ConsentRecord:
    record = ConsentRecord(
        id=f"cs_{given_by}",
        subject=subject,
        given_by=given_by,
        giver_role="self" if given_by == subject else "custody_holder",
        decision="grant",
        status="active",
        scope=SCOPE,
        recorded_via="paper",
        recorded_by=Actor("professional", organisation="wijkteam-utrecht", professional="p1"),
        given_at=AT - timedelta(days=10),
        valid_from=AT - timedelta(days=10),
        valid_until=None,
        evidence_reference="doc-1",
        policy_version="sha256:x",
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def born(years: int, days_after: int = 0) -> date:
    return AT.date().replace(year=AT.year - years) + timedelta(days=days_after)


def check(
    birth: date | None,
    holders: list[str],
    records: list[ConsentRecord],
    *,
    requester: RequesterRef = WIJKTEAM,
    purpose: str = "support_planning",
    category: str = "support_plan",
    source: SourceRef | None = None,
) -> Coverage:
    return evaluate(
        CHILD, birth, holders, records, requester, purpose, category, source, AT, RULES, "utrecht"
    )


def test_age_counts_completed_years_and_turns_on_the_birthday() -> None:
    assert age_on(date(2014, 6, 1), date(2026, 5, 31)) == 11
    assert age_on(date(2014, 6, 1), date(2026, 6, 1)) == 12
    assert age_on(date(2012, 2, 29), date(2028, 2, 28)) == 15
    assert age_on(date(2012, 2, 29), date(2028, 2, 29)) == 16


def test_under_twelve_needs_every_parent_with_custody() -> None:
    need = requirement(CHILD, born(11), [MOTHER, FATHER], AT, RULES)
    assert need.rule == "custody_holders"
    assert need.people == {MOTHER, FATHER}
    coverage = check(born(11), [MOTHER, FATHER], [declaration(MOTHER)])
    assert not coverage.ok
    assert coverage.missing == (FATHER,)
    coverage = check(born(11), [MOTHER, FATHER], [declaration(MOTHER), declaration(FATHER)])
    assert coverage.ok
    assert coverage.consent_ids == ("cs_ps_father", "cs_ps_mother")


def test_from_twelve_the_child_must_consent_too() -> None:
    parents = [declaration(MOTHER), declaration(FATHER)]
    assert check(born(12, days_after=1), [MOTHER, FATHER], parents).ok  # still 11
    coverage = check(born(12), [MOTHER, FATHER], parents)  # the 12th birthday
    assert not coverage.ok
    assert coverage.missing == (CHILD,)
    assert coverage.rule == "child_and_custody_holders"
    assert check(born(12), [MOTHER, FATHER], [*parents, declaration(CHILD)]).ok


def test_from_sixteen_only_the_young_person_counts() -> None:
    parents = [declaration(MOTHER), declaration(FATHER)]
    coverage = check(born(16), [MOTHER, FATHER], parents)
    assert not coverage.ok
    assert coverage.missing == (CHILD,)
    assert coverage.rule == "self"
    assert check(born(16), [MOTHER, FATHER], [declaration(CHILD)]).ok
    assert not check(born(16, days_after=1), [MOTHER, FATHER], [declaration(CHILD)]).ok


def test_a_parent_without_custody_never_counts() -> None:
    coverage = check(born(8), [MOTHER], [declaration(FATHER)])
    assert not coverage.ok
    assert coverage.missing == (MOTHER,)


def test_a_child_without_known_custody_holder_cannot_be_covered() -> None:
    coverage = check(born(8), [], [declaration(MOTHER)])
    assert not coverage.ok
    assert coverage.missing == ("custody_holder",)


def test_any_custody_holder_suffices_when_configured() -> None:
    rules = AgeRules(custody_holders="any")
    records = [declaration(MOTHER)]
    coverage = evaluate(
        CHILD, born(8), [MOTHER, FATHER], records, WIJKTEAM, "support_planning", "support_plan",
        None, AT, rules, "utrecht",
    )  # fmt: skip
    assert coverage.ok
    assert coverage.consent_ids == ("cs_ps_mother",)


def test_unregistered_subject_is_not_covered() -> None:
    coverage = check(None, [], [declaration(CHILD)])
    assert coverage == replace(coverage, ok=False, missing=(CHILD,), rule="not_registered")


def test_a_refusal_in_force_outweighs_a_grant() -> None:
    refusal = declaration(CHILD, subject=CHILD, id="cs_no", decision="refuse", status="refused")
    coverage = check(born(30), [], [declaration(CHILD), refusal])
    assert not coverage.ok
    assert coverage.missing == (CHILD,)


@pytest.mark.parametrize("status", ["withdrawn", "superseded", "expired"])
def test_a_declaration_no_longer_live_never_covers(status: str) -> None:
    assert not check(born(30), [], [declaration(CHILD, status=status)]).ok


def test_validity_period_bounds_the_consent() -> None:
    later = declaration(CHILD, valid_from=AT + timedelta(seconds=1))
    ended = declaration(CHILD, valid_until=AT)
    assert not check(born(30), [], [later]).ok
    assert not check(born(30), [], [ended]).ok
    assert check(born(30), [], [declaration(CHILD, valid_until=AT + timedelta(seconds=1))]).ok


def test_scope_must_match_purpose_category_recipient_and_source() -> None:
    adult = born(30)
    mine = [declaration(CHILD)]
    assert not check(adult, [], mine, purpose="safety_assessment").ok
    assert not check(adult, [], mine, category="health").ok
    assert not check(adult, [], mine, requester=GI).ok
    limited = declaration(CHILD, scope=replace(SCOPE, source_organisations=frozenset({"x-org"})))
    assert not check(adult, [], [limited]).ok  # "any source" is not covered by a limited consent
    assert check(adult, [], [limited], source=SourceRef("x-org", "wijkteam")).ok
    assert not check(adult, [], [limited], source=SourceRef("y-org", "wijkteam")).ok


def test_scope_key_ignores_order_and_separates_fields() -> None:
    a = ConsentScope(frozenset({"a", "b"}), frozenset({"c"}), frozenset({"o"}))
    b = ConsentScope(frozenset({"b", "a"}), frozenset({"c"}), frozenset({"o"}))
    c = ConsentScope(frozenset({"a", "b"}), frozenset({"c"}), recipient_types=frozenset({"o"}))
    assert a.key() == b.key() != c.key()


def test_status_at_reports_expiry_without_a_write() -> None:
    record = declaration(CHILD, valid_until=AT)
    assert record.status_at(AT - timedelta(seconds=1)) == "active"
    assert record.status_at(AT) == "expired"


def test_age_rules_load_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "consent.toml"
    path.write_text('[age_rules]\nchild_consents_from = 13\ncustody_holders = "any"\n')
    assert AgeRules.load(path) == AgeRules(child_consents_from=13, custody_holders="any")
    assert AgeRules.load(tmp_path / "missing.toml") == AgeRules()
    shipped = Path(__file__).resolve().parents[3] / "config" / "consent.toml"
    assert AgeRules.load(shipped) == AgeRules(12, 16, "all", "Europe/Amsterdam")
    path.write_text('[age_rules]\ntime_zone = "America/Curacao"\n')
    assert AgeRules.load(path).time_zone == "America/Curacao"


# 2026-03-04T23:30Z is 00:30 on 5 March in Amsterdam (CET, UTC+1).
LATE_EVENING_UTC = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
TWELFTH_BIRTHDAY = date(2014, 3, 5)


def test_a_twelfth_birthday_begins_at_midnight_in_amsterdam_not_utc() -> None:
    assert RULES.age_at(TWELFTH_BIRTHDAY, LATE_EVENING_UTC) == 12
    assert RULES.age_at(TWELFTH_BIRTHDAY, datetime(2026, 3, 4, 22, 59, tzinfo=UTC)) == 11
    need = requirement(CHILD, TWELFTH_BIRTHDAY, {MOTHER}, LATE_EVENING_UTC, RULES)
    assert need.rule == "child_and_custody_holders"


def test_a_sixteenth_birthday_in_summer_time_begins_two_hours_before_utc_midnight() -> None:
    at = datetime(2026, 7, 14, 22, 0, tzinfo=UTC)  # 00:00 on 15 July in Amsterdam (CEST)
    need = requirement(CHILD, date(2010, 7, 15), {MOTHER}, at, RULES)
    assert need.rule == "self"
    earlier = requirement(CHILD, date(2010, 7, 15), {MOTHER}, at - timedelta(seconds=1), RULES)
    assert earlier.rule == "child_and_custody_holders"


def test_parents_consent_alone_stops_at_local_midnight_of_the_twelfth_birthday() -> None:
    since = LATE_EVENING_UTC - timedelta(days=30)
    consents = [declaration(MOTHER, given_at=since, valid_from=since)]
    coverage = evaluate(
        CHILD, TWELFTH_BIRTHDAY, {MOTHER}, consents, WIJKTEAM, "support_planning",
        "support_plan", None, LATE_EVENING_UTC, RULES, "utrecht",
    )  # fmt: skip
    assert not coverage.ok and coverage.missing == (CHILD,)


def test_the_calendar_zone_is_configuration() -> None:
    utc_rules = AgeRules(time_zone="UTC")
    assert utc_rules.age_at(TWELFTH_BIRTHDAY, LATE_EVENING_UTC) == 11


def test_an_age_needs_an_instant_with_a_zone() -> None:
    with pytest.raises(ValueError, match="aware"):
        RULES.age_at(TWELFTH_BIRTHDAY, datetime(2026, 3, 4, 23, 30))


@pytest.mark.parametrize(
    "text",
    [
        "[age_rules]\nchild_consents_from = 17\nchild_alone_from = 16\n",
        '[age_rules]\nchild_alone_from = "16"\n',
        '[age_rules]\ncustody_holders = "some"\n',
        "[age_rules]\nunknown = 1\n",
        '[age_rules]\ntime_zone = "Europe/Atlantis"\n',
        "[age_rules]\ntime_zone = 1\n",
    ],
)
def test_bad_age_rules_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "consent.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"age_rules|custody_holders|thresholds|time_zone"):
        AgeRules.load(path)


def test_consent_to_a_type_counts_only_in_the_households_or_the_named_regions() -> None:
    away = RequesterRef("wijkteam-amersfoort", "wijkteam", "amersfoort")
    assert SCOPE.matches("support_planning", "support_plan", WIJKTEAM, None, "utrecht")
    assert not SCOPE.matches("support_planning", "support_plan", away, None, "utrecht")
    named = replace(SCOPE, regions=frozenset({"amersfoort"}))
    assert named.matches("support_planning", "support_plan", away, None, "utrecht")
    assert not named.matches("support_planning", "support_plan", WIJKTEAM, None, "utrecht")
    # Unknown regions fail closed: a household without one, a requester without one.
    assert not SCOPE.matches("support_planning", "support_plan", WIJKTEAM, None, None)
    nowhere = RequesterRef("wijkteam-x", "wijkteam")
    assert not SCOPE.matches("support_planning", "support_plan", nowhere, None, "")
    # A named organisation is that organisation, wherever it is.
    direct = replace(SCOPE, recipient_types=frozenset(), recipient_organisations={away.org_id})
    assert direct.matches("support_planning", "support_plan", away, None, "utrecht")


def test_naming_regions_gives_a_different_scope_key_and_leaves_old_keys_alone() -> None:
    assert SCOPE.key() == "support_planning|support_plan||wijkteam||"
    assert replace(SCOPE, regions=frozenset({"b", "a"})).key() == SCOPE.key() + "|regions=a,b"
