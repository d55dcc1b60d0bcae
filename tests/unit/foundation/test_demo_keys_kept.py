"""A restart of the demo keeps a key being rotated into an organisation's JWKS file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.demo.keys import ensure_demo_key
from gateway.errors import SettingsError

JWKS = "organisations/wijkteam-utrecht.jwks.json"
ROTATED = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
           "kid": "next-key", "alg": "EdDSA"}  # fmt: skip


def test_a_second_key_survives_a_restart(tmp_path: Path) -> None:
    first = ensure_demo_key("wijkteam-utrecht", tmp_path, JWKS)
    path = tmp_path / JWKS
    document = json.loads(path.read_text())
    document["keys"].append(ROTATED)
    path.write_text(json.dumps(document))
    again = ensure_demo_key("wijkteam-utrecht", tmp_path, JWKS)
    assert again.kid == first.kid
    kids = [k["kid"] for k in json.loads(path.read_text())["keys"]]
    assert kids == [first.kid, "next-key"]


def test_a_broken_jwks_file_is_named_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / JWKS
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="not a JWK Set"):
        ensure_demo_key("wijkteam-utrecht", tmp_path, JWKS)
    assert path.read_text() == "{not json"
