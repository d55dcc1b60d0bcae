"""The organisations the gateway knows, from `config/organisations.toml`.

Each has an id, a type from the vocabulary, a name, a region, the public keys
its systems sign tokens with (inline JWKs, a JWKS file, and/or a `jwks_uri` the gateway
fetches, `gateway/auth/jwks_remote.py`), optionally the
fingerprints of the client certificates its systems connect with (mutual TLS),
optionally the regions it is the privacy office of (`privacy_office_for`), and the
settings of the adapter that reaches its source system. Public keys are configuration,
not secrets; private keys never come near the gateway.

The roles an organisation's tokens may assert follow from configuration, never from
the token: its type's `roles` in the vocabulary, plus `regional_privacy_officer` for a
privacy office (whose scope is the regions configured here, not a claim).

`LiveOrganisationRegistry` is the registry the app holds: a view of the registry of the
configuration generation in force (`gateway/config_reload.py`), so a reload swaps every
reader at once.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from gateway.errors import SettingsError
from policies.vocabulary import REGIONAL_PRIVACY_OFFICER

__all__ = [
    "ALLOWED_ALGORITHMS",
    "LiveOrganisationRegistry",
    "Organisation",
    "OrganisationRegistry",
    "public_key",
]

# Asymmetric only: never `none`, never HMAC (a public key used as an HMAC secret).
ALLOWED_ALGORITHMS = frozenset({"ES256", "EdDSA", "RS256"})
MIN_RSA_BITS = 2048

_ORG_KEYS = {
    "id",
    "type",
    "name",
    "region",
    "jwks",
    "jwks_file",
    "jwks_uri",
    "adapter",
    "pilots",
    "client_cert_sha256",
    "privacy_office_for",
}
_SHA256_HEX = frozenset("0123456789abcdef")
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class Organisation:
    id: str
    type: str
    name: str
    region: str
    keys: Mapping[str, jwt.PyJWK] = field(repr=False)
    adapter: Mapping[str, Any] | None = None
    pilots: tuple[str, ...] = ()
    jwks_file: str | None = None  # relative to the data dir, where configured
    # Where the organisation publishes its keys (fetched, cached, refreshed).
    jwks_uri: str | None = None
    # SHA-256 of the DER client certificates its systems may connect with (mutual TLS).
    client_cert_sha256: frozenset[str] = frozenset()
    # The regions whose privacy office this organisation is (`regional_privacy_officer`).
    privacy_office_for: tuple[str, ...] = ()
    # The roles its tokens may assert; empty (nothing) unless loaded with the vocabulary.
    roles: frozenset[str] = frozenset()

    def public(self) -> dict[str, str]:
        """What may be shown about an organisation (to families, officers, other orgs)."""
        return {"id": self.id, "type": self.type, "name": self.name, "region": self.region}


class OrganisationRegistry:
    def __init__(self, organisations: Iterable[Organisation]) -> None:
        self._by_id = {org.id: org for org in organisations}
        owners: dict[str, list[tuple[Organisation, jwt.PyJWK]]] = {}
        for org in self._by_id.values():
            for kid, key in org.keys.items():
                owners.setdefault(kid, []).append((org, key))
        self._key_owners = {kid: found[0] for kid, found in owners.items() if len(found) == 1}

    def as_mapping(self) -> Mapping[str, Organisation]:
        return self._by_id

    def get(self, org_id: str) -> Organisation | None:
        return self._by_id.get(org_id)

    def key_owner(self, kid: str) -> tuple[Organisation, jwt.PyJWK] | None:
        """The one organisation whose configured keys hold `kid`, with that key; None if
        no organisation or more than one does (a kid is the key's name, not a secret:
        the owner found here is only a guess until the signature and `iss` are checked)."""
        return self._key_owners.get(kid)

    def __iter__(self) -> Any:
        return iter(sorted(self._by_id.values(), key=lambda o: o.id))

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> frozenset[str]:
        return frozenset(self._by_id)

    def roles(self) -> list[str]:
        """Every role some organisation may assert, sorted (the OpenAPI `Role` enum)."""
        return sorted({role for org in self._by_id.values() for role in org.roles})

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        data_dir: Path,
        known_types: frozenset[str] | None = None,
        type_roles: Mapping[str, Sequence[str]] | None = None,
        require_keys: bool = True,
    ) -> OrganisationRegistry:
        """Load and validate every organisation; the first problem stops start-up.

        `type_roles` (organisation type -> its roles, from the vocabulary) also fixes
        the known types and gives each organisation the roles it may assert; without
        it an organisation may assert no role at all (fail closed).
        """
        if type_roles is not None:
            known_types = frozenset(type_roles)
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(str(path), f"cannot be read: {exc}") from exc
        entries = raw.get("organisation", [])
        if not isinstance(entries, list) or not entries:
            raise SettingsError(str(path), "needs at least one [[organisation]]")
        orgs: list[Organisation] = []
        for entry in entries:
            orgs.append(_parse(entry, path, data_dir, known_types, require_keys))
        ids = [o.id for o in orgs]
        duplicate = {i for i in ids if ids.count(i) > 1}
        if duplicate:
            raise SettingsError(str(path), f"duplicate organisation id(s): {sorted(duplicate)}")
        regions = {o.region for o in orgs}
        for org in orgs:
            unknown = sorted(set(org.privacy_office_for) - regions)
            if unknown:
                raise SettingsError(
                    f"{path}:{org.id}",
                    f"`privacy_office_for` names region(s) no organisation is in: {unknown}",
                )
        if type_roles is not None:
            orgs = [replace(o, roles=_roles(o, type_roles)) for o in orgs]
        return cls(orgs)


class LiveOrganisationRegistry(OrganisationRegistry):
    """The registry in force at each call: `current()` gives it (a reload swaps it)."""

    def __init__(self, current: Callable[[], OrganisationRegistry]) -> None:
        self._current = current

    def as_mapping(self) -> Mapping[str, Organisation]:
        return self._current().as_mapping()

    def get(self, org_id: str) -> Organisation | None:
        return self._current().get(org_id)

    def key_owner(self, kid: str) -> tuple[Organisation, jwt.PyJWK] | None:
        return self._current().key_owner(kid)

    def __iter__(self) -> Any:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def ids(self) -> frozenset[str]:
        return self._current().ids()

    def roles(self) -> list[str]:
        return self._current().roles()


def _parse(
    entry: Any,
    path: Path,
    data_dir: Path,
    known_types: frozenset[str] | None,
    require_keys: bool,
) -> Organisation:
    if not isinstance(entry, dict):
        raise SettingsError(str(path), "each [[organisation]] must be a table")
    where = f"{path}:{entry.get('id', '?')}"
    unknown = set(entry) - _ORG_KEYS
    if unknown:
        raise SettingsError(where, f"unknown key(s) {sorted(unknown)}")
    for name in ("id", "type", "name", "region"):
        if not isinstance(entry.get(name), str) or not entry[name]:
            raise SettingsError(where, f"`{name}` must be a non-empty string")
    if known_types is not None and entry["type"] not in known_types:
        raise SettingsError(where, f"unknown organisation type {entry['type']!r}")
    jwks: list[Any] = list(entry.get("jwks", []))
    if "jwks_file" in entry:
        jwks_path = data_dir / str(entry["jwks_file"])
        if jwks_path.exists():
            jwks.extend(_jwks_file_keys(jwks_path, where))
        elif require_keys:
            raise SettingsError(where, f"jwks_file {jwks_path} does not exist")
    keys = {}
    for jwk in jwks:
        key = public_key(jwk, where)
        if str(jwk["kid"]) in keys:
            raise SettingsError(where, f"key id {jwk['kid']!r} is registered twice")
        keys[str(jwk["kid"])] = key
    jwks_uri = entry.get("jwks_uri")
    if jwks_uri is not None:
        _check_jwks_uri(jwks_uri, where)
    adapter = entry.get("adapter")
    if adapter is not None and not isinstance(adapter, dict):
        raise SettingsError(where, "`adapter` must be a table")
    pins = entry.get("client_cert_sha256", [])
    if not isinstance(pins, list) or not all(_is_sha256_hex(pin) for pin in pins):
        raise SettingsError(
            where, "`client_cert_sha256` must be a list of SHA-256 fingerprints (64 hex digits)"
        )
    offices = entry.get("privacy_office_for", [])
    if (
        not isinstance(offices, list)
        or not all(isinstance(r, str) and r for r in offices)
        or len(set(offices)) != len(offices)
    ):
        raise SettingsError(where, "`privacy_office_for` must be a list of distinct region names")
    return Organisation(
        id=entry["id"],
        type=entry["type"],
        name=entry["name"],
        region=entry["region"],
        keys=keys,
        adapter=adapter,
        pilots=tuple(entry.get("pilots", ())),
        jwks_file=str(entry["jwks_file"]) if "jwks_file" in entry else None,
        jwks_uri=jwks_uri,
        client_cert_sha256=frozenset(_normalise_pin(pin) for pin in pins),
        privacy_office_for=tuple(offices),
    )


def _jwks_file_keys(path: Path, where: str) -> list[Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(where, f"jwks_file {path} is not readable JSON") from exc
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise SettingsError(where, f"jwks_file {path} is not a JWKS (no `keys` list)")
    return keys


def _roles(org: Organisation, type_roles: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """What the organisation's tokens may assert: its type's roles, and a regional
    privacy officer only where it is a region's privacy office."""
    roles = set(type_roles.get(org.type, ()))
    if org.privacy_office_for:
        roles.add(REGIONAL_PRIVACY_OFFICER)
    return frozenset(roles)


def _normalise_pin(pin: str) -> str:
    return pin.replace(":", "").lower()


def _is_sha256_hex(pin: object) -> bool:
    if not isinstance(pin, str):
        return False
    digits = _normalise_pin(pin)
    return len(digits) == 64 and set(digits) <= _SHA256_HEX


def _check_jwks_uri(uri: object, where: str) -> None:
    """HTTPS only (plain HTTP only to this machine, for tests and a local key server)."""
    if not isinstance(uri, str) or len(uri) > 2048:
        raise SettingsError(where, "`jwks_uri` must be a URL")
    parts = urlsplit(uri)
    if not parts.hostname or parts.username or parts.password:
        raise SettingsError(where, "`jwks_uri` must be an absolute URL without credentials")
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return
    raise SettingsError(where, "`jwks_uri` must use https (http only to 127.0.0.1/localhost)")


def public_key(jwk: Any, where: str) -> jwt.PyJWK:
    """A registrable public JWK: a string `kid`, an allowed algorithm, no private part,
    RSA of at least 2048 bits; `SettingsError` naming what is wrong otherwise."""
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str) or not jwk["kid"]:
        raise SettingsError(where, "every JWK needs a string `kid`")
    if len(jwk["kid"]) > 128:
        raise SettingsError(where, "a `kid` is at most 128 characters")
    if any(part in jwk for part in ("d", "p", "q", "dp", "dq", "qi", "k")):
        raise SettingsError(where, f"key {jwk['kid']!r} is a private key; register the public half")
    try:
        key = jwt.PyJWK(jwk)
    # A hostile or broken JWK can raise any of these (an `alg` that lies about the key
    # type is `InvalidKeyError`; a malformed member a `ValueError` or `TypeError`).
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise SettingsError(where, f"key {jwk['kid']!r} is not a usable JWK: {exc}") from exc
    if key.algorithm_name not in ALLOWED_ALGORITHMS:
        raise SettingsError(where, f"key {jwk['kid']!r} uses {key.algorithm_name}, not allowed")
    raw = key.key
    if isinstance(raw, rsa.RSAPublicKey) and raw.key_size < MIN_RSA_BITS:
        raise SettingsError(where, f"RSA key {jwk['kid']!r} is shorter than {MIN_RSA_BITS} bits")
    if not isinstance(raw, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise SettingsError(where, f"key {jwk['kid']!r} is not a public key")
    expected = _ALGORITHM_OF.get(
        type(raw.curve).__name__ if isinstance(raw, ec.EllipticCurvePublicKey) else ""
    )
    if isinstance(raw, ec.EllipticCurvePublicKey) and expected != key.algorithm_name:
        raise SettingsError(where, f"key {jwk['kid']!r}: ES256 needs curve P-256")
    if isinstance(raw, rsa.RSAPublicKey) and key.algorithm_name != "RS256":
        raise SettingsError(where, f"key {jwk['kid']!r}: an RSA key is registered for RS256")
    if isinstance(raw, ed25519.Ed25519PublicKey) and key.algorithm_name != "EdDSA":
        raise SettingsError(where, f"key {jwk['kid']!r}: an Ed25519 key is registered for EdDSA")
    return key


_ALGORITHM_OF = {"SECP256R1": "ES256"}
