"""The portal login's settings: no provider unless configured, the secret only from a
file, session limits within bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import SettingsError
from gateway.settings import Settings


def load(tmp_path: Path, **env: str) -> Settings:
    return Settings.load({"GATEWAY_DATA_DIR": str(tmp_path), **env}, config_dir=tmp_path)


def test_no_login_and_fifteen_minutes_idle_twelve_hours_absolute_by_default(
    tmp_path: Path,
) -> None:
    settings = load(tmp_path, GATEWAY_PUBLIC_URL="https://gw.example")
    assert settings.oidc_issuer == ""
    assert settings.oidc_bsn_claim == "bsn"
    assert settings.oidc_callback_url == "https://gw.example/oidc/callback"
    assert (settings.session_idle_seconds, settings.session_absolute_seconds) == (900, 43_200)


def test_the_client_secret_comes_from_its_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    settings = load(
        tmp_path,
        GATEWAY_OIDC_ISSUER="https://idp.example",
        GATEWAY_OIDC_CLIENT_ID="portal",
        GATEWAY_OIDC_CLIENT_SECRET_FILE=str(secret),
    )
    assert settings.oidc_client_secret() == "s3cret"
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"GATEWAY_OIDC_ISSUER": "https://idp.example"}, "GATEWAY_OIDC_CLIENT_ID"),
        (
            {"GATEWAY_OIDC_ISSUER": "https://idp.example", "GATEWAY_OIDC_CLIENT_ID": "p"},
            "GATEWAY_OIDC_CLIENT_SECRET_FILE",
        ),
        ({"GATEWAY_OIDC_CLIENT_SECRET_FILE": "/no/such/file"}, "GATEWAY_OIDC_CLIENT_SECRET_FILE"),
        ({"GATEWAY_OIDC_ISSUER": "ftp://idp.example"}, "GATEWAY_OIDC_ISSUER"),
        ({"GATEWAY_SESSION_IDLE_SECONDS": "5"}, "GATEWAY_SESSION_IDLE_SECONDS"),
        (
            {"GATEWAY_SESSION_IDLE_SECONDS": "7200", "GATEWAY_SESSION_ABSOLUTE_SECONDS": "3600"},
            "GATEWAY_SESSION_IDLE_SECONDS",
        ),
    ],
)
def test_a_bad_login_setting_names_itself(tmp_path: Path, env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, **env)
    assert caught.value.name == name
