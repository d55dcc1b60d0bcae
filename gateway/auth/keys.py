"""The gateway's own secrets: pseudonymisation secret, Ed25519 signing keys, audit encryption keys.

All live as files under `<data dir>/keys` with mode 0600, created by
`gateway keys init` and never committed. Rotation adds a key and makes it
current; older public keys stay in the JWKS so that receipts, checkpoints and
tokens signed earlier still verify.

    keys/pseudonym.key          32 random bytes (hex) for the BSN HMAC
    keys/signing/<kid>.pem      Ed25519 private keys (PKCS#8); kid = RFC 7638 thumbprint
    keys/signing/current        the kid in use
    keys/audit/<kid>.key        AES-256-GCM keys for break-the-glass justifications
    keys/audit/current          the kid in use
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from gateway.errors import SettingsError

__all__ = ["KeyStore", "init_keys", "jwk_thumbprint", "public_jwk", "rotate_signing_key"]


def public_jwk(key: Ed25519PublicKey) -> dict[str, Any]:
    """The public JWK (OKP, Ed25519) with its RFC 7638 thumbprint as `kid`."""
    jwk: dict[str, Any] = dict(OKPAlgorithm.to_jwk(key, as_dict=True))
    jwk = {"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"]}
    jwk.update({"kid": jwk_thumbprint(jwk), "alg": "EdDSA", "use": "sig"})
    return jwk


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of an OKP, EC or RSA public JWK."""
    import base64
    import hashlib
    import json

    required = {
        "OKP": ("crv", "kty", "x"),
        "EC": ("crv", "kty", "x", "y"),
        "RSA": ("e", "kty", "n"),
    }
    members = required[str(jwk["kty"])]
    canonical = json.dumps({k: jwk[k] for k in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class KeyStore:
    """Keys loaded once at start-up; the app keeps this on `app[KEYS]`."""

    # Secrets never appear in a repr (tracebacks, hypothesis reports, debug logs).
    pseudonym_secret: bytes = field(repr=False)
    signing_keys: Mapping[str, Ed25519PrivateKey] = field(repr=False)
    current_signing_kid: str
    audit_keys: Mapping[str, bytes] = field(repr=False)
    current_audit_kid: str

    @classmethod
    def load(cls, keys_dir: Path) -> KeyStore:
        if not (keys_dir / "pseudonym.key").exists():
            raise SettingsError(
                "GATEWAY_DATA_DIR", f"no keys in {keys_dir}; run `gateway keys init`"
            )
        secret = bytes.fromhex(_read_secret(keys_dir / "pseudonym.key").decode().strip())
        signing: dict[str, Ed25519PrivateKey] = {}
        for pem in sorted((keys_dir / "signing").glob("*.pem")):
            key = serialization.load_pem_private_key(_read_secret(pem), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise SettingsError(str(pem), "is not an Ed25519 private key")
            signing[pem.stem] = key
        audit = {
            path.stem: bytes.fromhex(_read_secret(path).decode().strip())
            for path in sorted((keys_dir / "audit").glob("*.key"))
        }
        current_signing = _read_current(keys_dir / "signing", signing)
        current_audit = _read_current(keys_dir / "audit", audit)
        return cls(secret, signing, current_signing, audit, current_audit)

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        return self.signing_keys[self.current_signing_kid]

    @property
    def audit_key(self) -> bytes:
        return self.audit_keys[self.current_audit_kid]

    def jwks(self) -> dict[str, Any]:
        """Every public signing key, current first, so old signatures still verify."""
        older = sorted(kid for kid in self.signing_keys if kid != self.current_signing_kid)
        kids = [self.current_signing_kid, *older]
        return {"keys": [public_jwk(self.signing_keys[kid].public_key()) for kid in kids]}

    def sign_jwt(self, claims: Mapping[str, Any], *, typ: str = "JWT") -> str:
        """A compact JWS (EdDSA) over `claims` with the current key's `kid`."""
        return jwt.encode(
            dict(claims),
            self.signing_key,
            algorithm="EdDSA",
            headers={"kid": self.current_signing_kid, "typ": typ},
        )


def init_keys(keys_dir: Path) -> list[str]:
    """Create whatever key is missing; never overwrite one. Returns what was created."""
    created: list[str] = []
    if not keys_dir.parent.exists():  # the data folder: private from the start
        keys_dir.parent.mkdir(parents=True, mode=0o700)
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(keys_dir, 0o700)
    if not (keys_dir / "pseudonym.key").exists():
        _write_secret(keys_dir / "pseudonym.key", secrets.token_bytes(32).hex().encode())
        created.append("pseudonym.key")
    if not (keys_dir / "signing" / "current").exists():
        created.append(f"signing/{rotate_signing_key(keys_dir)}.pem")
    if not (keys_dir / "audit" / "current").exists():
        created.append(f"audit/{_new_audit_key(keys_dir)}.key")
    return created


def rotate_signing_key(keys_dir: Path) -> str:
    """Add a new Ed25519 key and make it current; the old ones stay for verification."""
    key = Ed25519PrivateKey.generate()
    kid = public_jwk(key.public_key())["kid"]
    folder = keys_dir / "signing"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_secret(folder / f"{kid}.pem", pem)
    _write_secret(folder / "current", kid.encode())
    return str(kid)


def _new_audit_key(keys_dir: Path) -> str:
    folder = keys_dir / "audit"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    kid = "a" + secrets.token_hex(8)
    _write_secret(folder / f"{kid}.key", secrets.token_bytes(32).hex().encode())
    _write_secret(folder / "current", kid.encode())
    return kid


def _write_secret(path: Path, data: bytes) -> None:
    """Write with 0600 from the first byte (no window where the file is world-readable)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read_secret(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingsError(str(path), "is readable by others; chmod 600 it")
    return path.read_bytes()


def _read_current(folder: Path, keys: Mapping[str, Any]) -> str:
    current = folder / "current"
    if not current.exists() or not keys:
        raise SettingsError("GATEWAY_DATA_DIR", f"no key in {folder}; run `gateway keys init`")
    kid = current.read_text().strip()
    if kid not in keys:
        raise SettingsError(str(current), f"names key {kid!r} which is not in {folder}")
    return kid
