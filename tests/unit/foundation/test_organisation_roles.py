"""Which roles each organisation may assert: from configuration, validated at load."""

from __future__ import annotations

import shutil
from pathlib import Path

import jwt
import pytest
from support import CONFIG_DIR

from gateway.auth.organisations import OrganisationRegistry
from gateway.cli import main
from gateway.demo.keys import ensure_demo_key
from gateway.errors import SettingsError
from policies import PolicyLoadError, load_vocabulary

REGIONAL = "regional_privacy_officer"


def load(config: Path, tmp_path: Path) -> OrganisationRegistry:
    types = load_vocabulary(config).organisation_types
    return OrganisationRegistry.load(
        config / "organisations.toml",
        data_dir=tmp_path,
        type_roles={k: v.roles for k, v in types.items()},
        require_keys=False,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target


def test_an_organisation_asserts_its_types_roles_and_an_office_also_the_regional_role(
    tmp_path: Path,
) -> None:
    registry = load(CONFIG_DIR, tmp_path)
    wijkteam = registry.get("wijkteam-utrecht")
    office = registry.get("veilig-thuis-utrecht")
    assert wijkteam is not None and office is not None
    assert wijkteam.roles == {
        "hulpverlener",
        "gedragswetenschapper",
        "teamleider",
        "privacy_officer",
    }
    assert REGIONAL not in wijkteam.roles and wijkteam.privacy_office_for == ()
    assert REGIONAL in office.roles and office.privacy_office_for == ("utrecht",)
    assert all("privacy_officer" in org.roles for org in registry)
    assert registry.roles() == sorted(registry.roles()) and "professional" not in registry.roles()


def test_without_the_vocabulary_no_organisation_may_assert_any_role(tmp_path: Path) -> None:
    registry = OrganisationRegistry.load(
        CONFIG_DIR / "organisations.toml", data_dir=tmp_path, require_keys=False
    )
    assert all(org.roles == frozenset() for org in registry) and registry.roles() == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('["amsterdam"]', "no organisation is in"),
        ('"utrecht"', "list of distinct region names"),
        ('["utrecht", "utrecht"]', "list of distinct region names"),
        ('[""]', "list of distinct region names"),
    ],
)
def test_a_privacy_office_must_name_regions_that_exist(
    config: Path, tmp_path: Path, value: str, message: str
) -> None:
    path = config / "organisations.toml"
    text = path.read_text().replace(
        'privacy_office_for = ["utrecht"]', f"privacy_office_for = {value}"
    )
    path.write_text(text)
    with pytest.raises(SettingsError, match=message):
        load(config, tmp_path)


def test_the_regional_role_cannot_be_given_to_a_whole_organisation_type(config: Path) -> None:
    path = config / "organisation_types.toml"
    path.write_text(
        path.read_text().replace(
            'roles = ["hulpverlener",', f'roles = ["{REGIONAL}", "hulpverlener",', 1
        )
    )
    with pytest.raises(PolicyLoadError, match="privacy_office_for"):
        load_vocabulary(config)


def test_token_command_refuses_a_role_the_organisation_may_not_assert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_CONFIG_DIR", str(CONFIG_DIR))
    argv = ["token", "--org", "wijkteam-utrecht", "--data-dir", str(tmp_path)]
    assert main([*argv, "--role", REGIONAL]) == 2
    err = capsys.readouterr().err
    assert "is not one wijkteam-utrecht may assert" in err
    assert "hulpverlener" in err and "privacy_officer" in err
    # A valid role (and the default, the type's first role) gets as far as the demo key.
    assert main(argv) == 2
    assert "no demo key" in capsys.readouterr().err


def test_token_command_defaults_to_the_first_role_of_the_organisations_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_CONFIG_DIR", str(CONFIG_DIR))
    ensure_demo_key(
        "veilig-thuis-utrecht", tmp_path, "organisations/veilig-thuis-utrecht.jwks.json"
    )
    argv = ["token", "--org", "veilig-thuis-utrecht", "--data-dir", str(tmp_path)]
    assert main(argv) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert claims["role"] == "medewerker"
    assert main([*argv, "--role", REGIONAL]) == 0  # Veilig Thuis is utrecht's privacy office
