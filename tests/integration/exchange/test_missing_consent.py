"""Whose consent is missing, in terms a professional can act on, and nothing more.

The answer names the subject (with the age band that decides whose consent counts) or
"a parent with custody", one entry per consent still needed. Never a pseudonym, a name
or a BSN, never which parent, never anyone outside the rule: a parent without custody,
a sibling, a Veilig Thuis reporter.
"""

from __future__ import annotations

import json
from typing import Any

from deployment import Deployment

from gateway.appkeys import PSEUDONYMISER

WIJKTEAM = "wijkteam-utrecht"


async def _item(deployment: Deployment, scenario: str, category: str) -> dict[str, Any]:
    person = deployment.population.scenario(scenario)
    response = await deployment.exchange(
        WIJKTEAM,
        {
            "subject": {"bsn": person.bsn},
            "purpose": "support_planning",
            "categories": [category],
            "sources": [WIJKTEAM],
        },
    )
    assert response.status == 200, await response.text()
    (item,) = (await response.json())["results"]
    return dict(item)


def _household_secrets(deployment: Deployment, scenario: str) -> list[str]:
    """Every identifier of every member of the scenario's household (BSN, name, pseudonym)."""
    population = deployment.population
    person = population.scenario(scenario)
    household = population.household(person.household_id)
    assert household is not None
    found: list[str] = []
    for bsn in household.members:
        member = population.person(bsn)
        assert member is not None
        found += [bsn, member.name, deployment.app[PSEUDONYMISER].pseudonym(bsn)]
    return found


def _assert_reveals_no_one(deployment: Deployment, scenario: str, item: dict[str, Any]) -> None:
    text = json.dumps(item, ensure_ascii=False)
    for secret in _household_secrets(deployment, scenario):
        assert secret not in text
    assert "ps_" not in text


async def test_a_young_child_without_consent_needs_each_parent_with_custody(
    deployment: Deployment,
) -> None:
    """The toddler's father has no custody: only the mother's consent is asked for, as
    "a parent with custody"; the father, the teenage sibling and the VT report's reporter
    are nowhere in the answer."""
    item = await _item(deployment, "vt_report_subject", "contact_details")
    assert item["reason"] == "consent_required"
    assert item["missing_consent_from"] == ["custody_holder"]
    assert item["missing_consent"] == [
        {
            "party": "custody_holder",
            "household_role": "parent_with_custody",
            "label": {"nl": "een ouder met gezag", "en": "a parent with custody"},
        }
    ]
    assert "a parent with custody" in item["explanation"]["en"]
    assert "een ouder met gezag" in item["explanation"]["nl"]
    _assert_reveals_no_one(deployment, "vt_report_subject", item)


async def test_a_sixteen_year_old_decides_alone_and_no_parent_is_named(
    deployment: Deployment,
) -> None:
    item = await _item(deployment, "child_16_17", "contact_details")
    assert item["reason"] == "consent_required"
    assert item["missing_consent_from"] == ["subject"]
    (missing,) = item["missing_consent"]
    assert missing["party"] == "subject" and missing["age_band"] == "16-17"
    assert missing["label"]["en"] == "the young person themselves (16\u201317, decides alone)"
    _assert_reveals_no_one(deployment, "child_16_17", item)


async def test_a_twelve_year_old_whose_parents_consented_at_eleven_needs_only_themselves(
    deployment: Deployment,
) -> None:
    item = await _item(deployment, "child_consented_at_11", "health")
    assert item["missing_consent_from"] == ["subject"]
    assert item["missing_consent"][0]["age_band"] == "12-15"
    assert "het kind zelf (12\u201315 jaar)" in item["explanation"]["nl"]
    _assert_reveals_no_one(deployment, "child_consented_at_11", item)


async def test_an_adult_who_refused_is_the_one_to_ask_again(deployment: Deployment) -> None:
    item = await _item(deployment, "adult", "health")
    assert item["reason"] == "consent_required"
    assert item["missing_consent"] == [
        {
            "party": "subject",
            "household_role": "adult",
            "age_band": "18+",
            "label": {"nl": "de persoon zelf (volwassene)", "en": "the person themselves (adult)"},
        }
    ]


async def test_someone_in_no_registered_household_points_to_registering_it(
    deployment: Deployment,
) -> None:
    response = await deployment.exchange(
        WIJKTEAM,
        {
            "subject": {"bsn": "999990019"},  # synthetic, passes the elfproef, nobody's
            "purpose": "support_planning",
            "categories": ["contact_details"],
            "sources": [WIJKTEAM],
        },
    )
    (item,) = (await response.json())["results"]
    if item["reason"] == "consent_required":  # the rule needs consent for anyone
        (missing,) = item["missing_consent"]
        assert missing["household_role"] == "not_registered"
        assert "POST /api/v1/households" in missing["label"]["en"]
    assert "ps_" not in json.dumps(item)
