"""Settings: defaults that are safe, environment over file, one clear error per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main
from gateway.errors import SettingsError
from gateway.settings import Settings


def test_defaults_are_local_and_sqlite(tmp_path: Path) -> None:
    settings = Settings.load({"GATEWAY_DATA_DIR": str(tmp_path)}, config_dir=tmp_path)
    assert settings.host == "127.0.0.1"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    assert settings.body_limit == 1024 * 1024
    assert settings.token_max_lifetime_seconds == 300
    assert not settings.demo_mode and not settings.behind_tls


def test_environment_wins_over_config_file(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text('[gateway]\nport = 9000\naudience = "from-file"\n')
    settings = Settings.load({"GATEWAY_PORT": "9100"}, config_dir=tmp_path)
    assert settings.port == 9100
    assert settings.audience == "from-file"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("GATEWAY_PORT", "eighty", "whole number"),
        ("GATEWAY_PORT", "70000", "between 1 and 65535"),
        ("GATEWAY_DATABASE_URL", "mysql://x/y", "scheme must be one of"),
        ("GATEWAY_BEHIND_TLS", "maybe", "true or false"),
        ("GATEWAY_LOG_FORMAT", "xml", "one of"),
        ("GATEWAY_TOKEN_MAX_LIFETIME_SECONDS", "3600", "between 30 and 300"),
        ("GATEWAY_PUBLIC_URL", "ftp://x", "http(s) URL"),
        ("GATEWAY_CUSTODY_REGISTER_URL", "register.local", "http(s) URL"),
        ("GATEWAY_CUSTODY_FRESHNESS_SECONDS", "-1", "between 0 and 86400"),
        ("GATEWAY_CUSTODY_REGISTER_TIMEOUT_SECONDS", "0", "between 0.05 and 60.0"),
    ],
)
def test_bad_value_names_the_setting(tmp_path: Path, name: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.load({name: value}, config_dir=tmp_path)
    assert info.value.name == name
    assert fragment in str(info.value)


def test_custody_register_defaults_to_the_demo_register_and_reads_the_config_file(
    tmp_path: Path,
) -> None:
    defaults = Settings.load({}, config_dir=tmp_path)
    assert defaults.custody_register_url == "http://127.0.0.1:8106"
    assert defaults.custody_freshness_seconds == 900
    (tmp_path / "gateway.toml").write_text(
        '[gateway]\ncustody_register_url = "https://gezag.example.nl/"\n'
        "custody_freshness_seconds = 300\n"
    )
    configured = Settings.load({}, config_dir=tmp_path)
    assert configured.custody_register_url == "https://gezag.example.nl"
    assert configured.custody_freshness_seconds == 300


def test_unknown_key_in_config_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text("[gateway]\nprot = 1\n")
    with pytest.raises(SettingsError, match="unknown setting"):
        Settings.load({}, config_dir=tmp_path)


def test_source_timeout_may_not_exceed_deadline(tmp_path: Path) -> None:
    env = {"GATEWAY_SOURCE_TIMEOUT_SECONDS": "10", "GATEWAY_EXCHANGE_DEADLINE_SECONDS": "5"}
    with pytest.raises(SettingsError, match="must not exceed"):
        Settings.load(env, config_dir=tmp_path)


def test_cli_exits_2_with_one_line_on_bad_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GATEWAY_PORT", "-1")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["gateway: invalid setting GATEWAY_PORT: must be between 1 and 65535 (got -1)"]
