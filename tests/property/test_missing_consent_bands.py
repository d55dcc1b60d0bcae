"""The age band a missing-consent answer names is the one the consent rules act on."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from consent import AgeRules
from consent.rules import requirement
from gateway.exchange.missing import age_band, describe_missing

SUBJECT, PARENT = "ps_subject", "ps_parent"


@st.composite
def rules(draw: st.DrawFn) -> AgeRules:
    young = draw(st.integers(min_value=1, max_value=18))
    alone = draw(st.integers(min_value=young, max_value=18))
    return AgeRules(child_consents_from=young, child_alone_from=alone)


@given(rules(), st.integers(min_value=0, max_value=110))
def test_the_band_holds_the_age_and_matches_the_rule(age_rules: AgeRules, age: int) -> None:
    code, text = age_band(age, age_rules)
    if code.endswith("+"):
        assert age >= int(code[:-1])
    else:
        low, high = (int(part) for part in code.split("-"))
        assert low <= age <= high
    assert text.replace("\u2013", "-") == code
    at = datetime(2026, 6, 1, 12, tzinfo=UTC)
    born = date(at.year - age, 1, 1)
    need = requirement(SUBJECT, born, {PARENT}, at, age_rules)
    described = describe_missing(sorted(need.people), SUBJECT, age, age_rules)
    parties = sorted(m.party for m in described)
    if need.rule == "self":
        assert parties == ["subject"]
    elif need.rule == "child_and_custody_holders":
        assert parties == ["custody_holder", "subject"]
    else:
        assert parties == ["custody_holder"]
    assert all(PARENT not in (m.nl + m.en) and SUBJECT not in (m.nl + m.en) for m in described)


def test_no_confirmed_holder_says_so_and_an_unregistered_subject_points_to_registering() -> None:
    (holder,) = describe_missing(["custody_holder"], SUBJECT, 7, AgeRules())
    assert "custody register confirms no one" in holder.en
    (person,) = describe_missing([SUBJECT], SUBJECT, None, AgeRules())
    assert person.household_role == "not_registered" and "POST /api/v1/households" in person.en
