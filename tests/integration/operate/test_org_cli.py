"""`gateway org ...` refuses what the gateway would refuse, and writes nothing then."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import RSAAlgorithm
from operate_support import OrgKey
from support import GatewayFixture, make_gateway_fixture

from gateway.cli import main

ORG = "wijkteam-utrecht"


@pytest.fixture
def fixture(tmp_path: Path, config_dir: Path) -> GatewayFixture:
    return make_gateway_fixture(
        tmp_path / "data",
        f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        GATEWAY_CONFIG_DIR=str(config_dir),
    )


def org(fixture: GatewayFixture, *args: str) -> int:
    s = fixture.settings
    return main(["org", *args, "--config-dir", str(s.config_dir), "--data-dir", str(s.data_dir)])


def snapshot(fixture: GatewayFixture) -> tuple[str, str]:
    s = fixture.settings
    jwks = s.data_dir / "organisations" / f"{ORG}.jwks.json"
    return (s.config_dir / "organisations.toml").read_text(), jwks.read_text()


def pem(key: Any, private: bool = False) -> bytes:
    if private:
        return bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def write(tmp_path: Path, name: str, data: bytes | dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return str(path)


def refused_keys(tmp_path: Path) -> dict[str, tuple[str, list[str]]]:
    """Key files an attacker or a careless integrator might hand the operator."""
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    small_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505  # the weak key it must refuse
    good = OrgKey.new("dup").public_jwk
    return {
        "private PEM": (write(tmp_path, "a.pem", pem(p256, private=True)), ["--kid", "a"]),
        "private JWK": (write(tmp_path, "b.json", {**good, "kid": "b", "d": "AAAA"}), []),
        "P-384 curve": (write(tmp_path, "c.pem", pem(p384)), ["--kid", "c"]),
        "RSA 1024": (write(tmp_path, "d.pem", pem(small_rsa)), ["--kid", "d"]),
        "HMAC secret": (write(tmp_path, "e.json", {"kty": "oct", "k": "c2VjcmV0", "kid": "e"}), []),
        "alg lies": (write(tmp_path, "f.json", {**good, "kid": "f", "alg": "RS256"}), []),
        "key set": (write(tmp_path, "g.json", {"keys": [good]}), []),
        "no kid": (write(tmp_path, "h.pem", pem(p256)), []),
        "kid with spaces": (write(tmp_path, "i.json", {**good, "kid": "a b"}), []),
        "not a key": (write(tmp_path, "j.txt", b"hello"), ["--kid", "j"]),
        "existing kid": (write(tmp_path, "k.json", good), ["--kid", "EXISTING"]),
    }


def test_refused_keys_leave_every_file_as_it_was(fixture: GatewayFixture, tmp_path: Path) -> None:
    before = snapshot(fixture)
    existing = fixture.org_keys[ORG].kid
    for name, (path, extra) in refused_keys(tmp_path).items():
        extra = [existing if arg == "EXISTING" else arg for arg in extra]
        assert org(fixture, "keys", "add", ORG, path, *extra) == 1, name
        assert snapshot(fixture) == before, name


def test_good_keys_of_each_algorithm_are_added_and_removed(
    fixture: GatewayFixture, tmp_path: Path
) -> None:
    before = snapshot(fixture)
    ed = ed25519.Ed25519PrivateKey.generate()
    big_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_jwk = {**RSAAlgorithm.to_jwk(big_rsa.public_key(), as_dict=True), "kid": "rsa-1"}
    files = {
        "es-1": (write(tmp_path, "es.json", OrgKey.new("es-1").public_jwk), []),
        "ed-1": (write(tmp_path, "ed.pem", pem(ed)), ["--kid", "ed-1"]),
        "rsa-1": (write(tmp_path, "rsa.json", rsa_jwk), []),
    }
    for kid, (path, extra) in files.items():
        assert org(fixture, "keys", "add", ORG, path, *extra) == 0, kid
    stored = json.loads(snapshot(fixture)[1])["keys"]
    assert {k["kid"]: k["alg"] for k in stored}.items() >= {
        "es-1": "ES256",
        "ed-1": "EdDSA",
        "rsa-1": "RS256",
    }.items()
    assert not any("d" in k for k in stored)
    for kid in files:
        assert org(fixture, "keys", "remove", ORG, kid) == 0
    assert org(fixture, "keys", "remove", ORG, "es-1") == 1  # gone already
    assert json.loads(snapshot(fixture)[1]) == json.loads(before[1])


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--id", "x1", "--type", "bank", "--name", "X", "--region", "utrecht"], "type"),
        (["--id", "Bad Id", "--type", "wijkteam", "--name", "X", "--region", "utrecht"], "id"),
        (["--id", "x2", "--type", "wijkteam", "--name", "X", "--region", "../etc"], "region"),
        (["--id", ORG, "--type", "wijkteam", "--name", "X", "--region", "utrecht"], "exists"),
        (["--id", "x3", "--type", "wijkteam", "--name", "\x1b[2J", "--region", "utrecht"], "name"),
    ],
)
def test_an_organisation_that_would_not_load_is_not_added(
    fixture: GatewayFixture, args: list[str], why: str
) -> None:
    before = snapshot(fixture)
    assert org(fixture, "add", *args) == 1, why
    assert snapshot(fixture) == before


def test_add_then_remove_restores_the_file_and_keeps_comments(
    fixture: GatewayFixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(fixture)
    key = write(tmp_path, "k.json", OrgKey.new("new-1").public_jwk)
    assert org(
        fixture, "add", "--id", "wijkteam-zeist", "--type", "wijkteam", "--name",
        "Wijkteam Zeist", "--region", "utrecht", "--key", key,
    ) == 0  # fmt: skip
    text = snapshot(fixture)[0]
    assert "# The organisations of the default (demo) deployment" in text
    assert 'id = "wijkteam-zeist"' in text
    assert "Run `gateway reload`" in capsys.readouterr().out
    assert org(fixture, "list", "--json") == 0
    listed = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert listed["wijkteam-zeist"]["kids"] == ["new-1"]
    assert org(fixture, "remove", "wijkteam-zeist") == 0
    assert snapshot(fixture)[0].rstrip() == before[0].rstrip()
    assert org(fixture, "remove", "wijkteam-zeist") == 1
