"""The synthetic population: deterministic, valid BSNs, every age band and scenario."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from adapters.reference.synthetic import (
    AGE_BANDS,
    SCENARIOS,
    Population,
    age_band,
    age_on,
    elfproef,
    generate_population,
)

TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def population() -> Population:
    return generate_population(seed=2026, households=12, today=TODAY)


def test_same_seed_and_day_give_the_same_population(population: Population) -> None:
    again = generate_population(seed=2026, households=12, today=TODAY)

    assert again.people == population.people
    assert again.households == population.households
    assert json.dumps(again.source_records, sort_keys=True) == json.dumps(
        population.source_records, sort_keys=True
    )


def test_another_seed_gives_other_people(population: Population) -> None:
    other = generate_population(seed=7, households=12, today=TODAY)

    assert {p.bsn for p in other.people} != {p.bsn for p in population.people}


def test_every_bsn_is_synthetic_unique_and_passes_the_elfproef(population: Population) -> None:
    bsns = [p.bsn for p in population.people]

    assert len(bsns) == len(set(bsns))
    assert all(bsn.startswith("9999") and elfproef(bsn) for bsn in bsns)


@pytest.mark.parametrize(
    ("bsn", "valid"),
    [
        ("111222333", True),
        ("123456782", True),
        ("123456789", False),
        ("12345678", False),
        ("12345678a", False),
    ],
)
def test_elfproef(bsn: str, valid: bool) -> None:
    assert elfproef(bsn) is valid


def test_names_are_plainly_synthetic(population: Population) -> None:
    assert all(p.name.endswith("-Synthetisch") for p in population.people)
    assert all(h.contact_person.endswith("-Synthetisch") for h in population.households)


def test_children_in_every_age_band_and_adults(population: Population) -> None:
    children = population.find(role="child")
    bands = {age_band(p.birth_date, TODAY) for p in children}

    assert {"under_12", "12_15", "16_17"} <= bands
    assert population.find(band="adult", role="adult")
    assert set(AGE_BANDS) == bands | {"adult"}


def test_a_child_of_12_to_15_whose_parents_could_consent_when_it_was_11(
    population: Population,
) -> None:
    child = population.scenario("child_consented_at_11")
    four_months_ago = TODAY - timedelta(days=121)

    assert child.role == "child"
    assert age_band(child.birth_date, TODAY) == "12_15"
    assert age_on(child.birth_date, four_months_ago) == 11  # turned 12 since
    household = population.household(child.household_id)
    assert household is not None
    custodians = [c for c in household.custody if c.child_bsn == child.bsn and c.has_custody]
    assert len(custodians) == 2


def test_a_parent_without_custody(population: Population) -> None:
    parent = population.scenario("parent_without_custody")
    household = population.household(parent.household_id)

    assert household is not None
    relations = [c for c in household.custody if c.parent_bsn == parent.bsn]
    assert relations
    assert not any(c.has_custody for c in relations)


def test_every_scenario_names_a_person(population: Population) -> None:
    assert set(population.scenarios) == set(SCENARIOS)
    for name in SCENARIOS:
        assert population.person(population.scenarios[name]) is not None


def test_households_have_a_regiehouder_and_a_contact_person(population: Population) -> None:
    assert len(population.households) == 12
    for household in population.households:
        assert household.regiehouder in {"wijkteam", "veilig_thuis", "gi"}
        assert household.contact_person
        assert all(population.person(bsn) is not None for bsn in household.members)


def test_organisation_ids_can_be_chosen() -> None:
    ids = {t: f"{t}-utrecht" for t in ("wijkteam", "veilig_thuis", "gi", "rvdk", "rvt")}

    population = generate_population(today=TODAY, org_ids=ids)

    assert {h.regiehouder for h in population.households} <= set(ids.values())


def test_source_records_hold_the_sensitive_cases(population: Population) -> None:
    vt = population.document("veilig_thuis", population.scenarios["vt_report_subject"])
    shelter = population.document("veilig_thuis", population.scenarios["shelter_address"])
    gi = population.document("gi", population.scenarios["child_under_ots"])
    rvdk = population.document("rvdk", population.scenarios["rvdk_investigation"])
    criminal = population.document("rvdk", population.scenarios["criminal_record"])
    adult = population.document("wijkteam", population.scenarios["adult"])
    child = population.document("wijkteam", population.scenarios["child_consented_at_11"])

    assert vt is not None
    assert vt["meldingen"][0]["melder"]["naam"]
    assert shelter is not None
    assert "geheim" in shelter["opvang"]["adres"]["woonplaats"]
    assert gi is not None
    assert gi["maatregelen"][0]["maatregel"] == "OTS"
    assert gi["beschikkingen"]
    assert rvdk is not None
    assert rvdk["onderzoeken"]
    assert rvdk["beschikkingen"]
    assert criminal is not None
    assert criminal["justitiele_documentatie"]
    assert adult is not None
    assert "schulden_euro" in adult["financien"]
    assert child is not None
    assert child["school"]["school"]
    assert child["gezondheid"]


def test_document_is_a_copy(population: Population) -> None:
    bsn = population.scenarios["adult"]
    first = population.document("wijkteam", bsn)
    assert first is not None
    first["client"]["naam"] = "changed"

    again = population.document("wijkteam", bsn)

    assert again is not None
    assert again["client"]["naam"] != "changed"


def test_unknown_person_has_no_document(population: Population) -> None:
    assert population.document("gi", "999900006") is None


def test_to_json_lists_people_for_the_demo(population: Population) -> None:
    people = population.to_json()

    assert len(people) == len(population.people)
    assert set(people[0]) == {"bsn", "name", "birth_date", "household_id", "role"}
    assert date.fromisoformat(people[0]["birth_date"]) == population.people[0].birth_date
    json.dumps(people)


def test_bsn_is_not_in_repr(population: Population) -> None:
    person = population.people[0]

    assert person.bsn not in repr(person)


@pytest.mark.parametrize("households", [3, 501])
def test_household_count_is_bounded(households: int) -> None:
    with pytest.raises(ValueError, match="households"):
        generate_population(households=households, today=TODAY)


@pytest.mark.parametrize("day", [date(2024, 2, 29), date(2025, 12, 31), date(2026, 1, 1)])
def test_scenarios_hold_on_any_day(day: date) -> None:
    population = generate_population(today=day)

    child = population.scenario("child_consented_at_11")
    assert age_band(child.birth_date, day) == "12_15"
    assert age_band(population.scenario("child_16_17").birth_date, day) == "16_17"
    assert age_band(population.scenario("child_under_12").birth_date, day) == "under_12"
