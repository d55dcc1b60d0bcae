"""The configured privacy officers: what the loader refuses, and that login claims are
believed only where the configuration agrees on identity, organisation and role."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.auth.officers import (
    CLAIM_ID,
    CLAIM_ORGANISATION,
    CLAIM_ROLE,
    OfficerRefused,
    OfficerRegistry,
)
from gateway.auth.organisations import OrganisationRegistry
from gateway.errors import SettingsError
from policies import load_vocabulary

CONFIG = Path(__file__).resolve().parents[3] / "config"


@pytest.fixture(scope="module")
def organisations() -> OrganisationRegistry:
    types = load_vocabulary(CONFIG).organisation_types
    return OrganisationRegistry.load(
        CONFIG / "organisations.toml",
        data_dir=CONFIG,
        type_roles={k: v.roles for k, v in types.items()},
        require_keys=False,
    )


@pytest.fixture(scope="module")
def officers(organisations: OrganisationRegistry) -> OfficerRegistry:
    return OfficerRegistry.load(CONFIG / "privacy_officers.toml", organisations)


def test_the_demo_config_has_an_officer_for_every_organisation_and_a_regional_one(
    officers: OfficerRegistry, organisations: OrganisationRegistry
) -> None:
    plain = {o.organisation for o in officers if o.role == "privacy_officer"}
    assert plain == {o.id for o in organisations}
    regional = [o for o in officers if o.role == "regional_privacy_officer"]
    assert regional and all(organisations.get(o.organisation).privacy_office_for for o in regional)  # type: ignore[union-attr]


def _load(tmp_path: Path, organisations: OrganisationRegistry, body: str) -> OfficerRegistry:
    path = tmp_path / "privacy_officers.toml"
    path.write_text(body)
    return OfficerRegistry.load(path, organisations)


@pytest.mark.parametrize(
    "body",
    [
        '[[officer]]\nid = "fg 1"\norganisation = "wijkteam-utrecht"\nrole = "privacy_officer"',
        '[[officer]]\nid = "fg-1"\norganisation = "nope"\nrole = "privacy_officer"',
        '[[officer]]\nid = "fg-1"\norganisation = "wijkteam-utrecht"\nrole = "hulpverlener"',
        # the wijkteam is no region's privacy office
        '[[officer]]\nid = "fg-1"\norganisation = "wijkteam-utrecht"\n'
        'role = "regional_privacy_officer"',
        '[[officer]]\nid = "fg-1"\norganisation = "wijkteam-utrecht"\n'
        'role = "privacy_officer"\nregions = ["utrecht"]',
        '[[officer]]\nid = "fg-1"\norganisation = "wijkteam-utrecht"\nrole = "privacy_officer"\n'
        '[[officer]]\nid = "fg-1"\norganisation = "veilig-thuis-utrecht"\n'
        'role = "privacy_officer"',
        'officer = "x"',
        "not toml [",
    ],
)
def test_a_bad_entry_stops_start_up(
    tmp_path: Path, organisations: OrganisationRegistry, body: str
) -> None:
    with pytest.raises(SettingsError):
        _load(tmp_path, organisations, body)


def test_without_the_file_there_are_no_officers(
    tmp_path: Path, organisations: OrganisationRegistry
) -> None:
    registry = OfficerRegistry.load(tmp_path / "missing.toml", organisations)
    assert len(registry) == 0
    with pytest.raises(OfficerRefused):
        registry.check({CLAIM_ID: "fg-1", CLAIM_ORGANISATION: "x", CLAIM_ROLE: "privacy_officer"})


TEXT = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.lists(st.text(max_size=5)))


@given(claim_id=TEXT, claim_org=TEXT, claim_role=TEXT)
def test_claims_are_believed_only_when_all_three_match_the_configuration(
    officers: OfficerRegistry, claim_id: object, claim_org: object, claim_role: object
) -> None:
    claims = {CLAIM_ID: claim_id, CLAIM_ORGANISATION: claim_org, CLAIM_ROLE: claim_role}
    configured = officers.get(claim_id) if isinstance(claim_id, str) else None
    agrees = configured is not None and (configured.organisation, configured.role) == (
        claim_org,
        claim_role,
    )
    if agrees:
        assert officers.check(claims) == configured
    else:
        with pytest.raises(OfficerRefused) as refused:
            officers.check(claims)
        assert refused.value.code in ("not_an_officer", "officer_office_mismatch")


@given(st.sampled_from(["fg-wijkteam-utrecht-1", "fg-regio-utrecht-1"]), st.data())
def test_a_configured_identity_claiming_another_office_or_role_is_refused(
    officers: OfficerRegistry, officer_id: str, data: st.DataObject
) -> None:
    officer = officers.get(officer_id)
    assert officer is not None
    org = data.draw(st.sampled_from(["wijkteam-utrecht", "veilig-thuis-utrecht", "x"]))
    role = data.draw(st.sampled_from(["privacy_officer", "regional_privacy_officer", "admin"]))
    claims = {CLAIM_ID: officer_id, CLAIM_ORGANISATION: org, CLAIM_ROLE: role}
    if (org, role) == (officer.organisation, officer.role):
        assert officers.check(claims) == officer
    else:
        with pytest.raises(OfficerRefused, match="officer_office_mismatch"):
            officers.check(claims)
