"""The gateway's keys: created 0600, never overwritten, rotation keeps old public keys."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import jwt
import pytest

from gateway.auth.keys import KeyStore, init_keys, rotate_signing_key
from gateway.errors import SettingsError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_private_files_and_is_idempotent(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    created = init_keys(keys_dir)
    assert "pseudonym.key" in created and len(created) == 3
    store = KeyStore.load(keys_dir)
    for path in keys_dir.rglob("*"):
        if path.is_file():
            assert _mode(path) == 0o600, path
    assert _mode(keys_dir) == 0o700
    assert init_keys(keys_dir) == []
    again = KeyStore.load(keys_dir)
    assert again.pseudonym_secret == store.pseudonym_secret
    assert again.current_signing_kid == store.current_signing_kid


def test_load_without_keys_says_run_keys_init(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="gateway keys init"):
        KeyStore.load(tmp_path / "keys")


def test_world_readable_key_is_refused(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    init_keys(keys_dir)
    os.chmod(keys_dir / "pseudonym.key", 0o644)
    with pytest.raises(SettingsError, match="readable by others"):
        KeyStore.load(keys_dir)


def test_rotation_keeps_old_public_key_and_old_signatures_verify(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    init_keys(keys_dir)
    before = KeyStore.load(keys_dir)
    old_token = before.sign_jwt({"sub": "x"})
    new_kid = rotate_signing_key(keys_dir)
    after = KeyStore.load(keys_dir)
    jwks = after.jwks()["keys"]
    assert jwks[0]["kid"] == new_kid
    assert {k["kid"] for k in jwks} == {new_kid, before.current_signing_kid}
    assert all("d" not in k for k in jwks)
    published = jwt.PyJWKSet.from_dict(after.jwks())
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    key = next(k for k in published.keys if k.key_id == old_kid)
    assert jwt.decode(old_token, key.key, algorithms=["EdDSA"]) == {"sub": "x"}


def test_a_key_store_repr_shows_no_secret(tmp_path: Path) -> None:
    """Seen: a hypothesis failure report printed the pseudonymisation and audit keys."""
    init_keys(tmp_path / "keys")
    keys = KeyStore.load(tmp_path / "keys")
    shown = repr(keys)
    assert keys.pseudonym_secret.hex() not in shown and str(keys.pseudonym_secret) not in shown
    for secret in keys.audit_keys.values():
        assert secret.hex() not in shown and str(secret) not in shown
    assert "PrivateKey" not in shown
    assert keys.current_signing_kid in shown  # ids are not secrets
