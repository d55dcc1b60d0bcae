"""`gateway org list|add|remove` and `gateway org keys add|remove`: the organisations file.

Every change is checked before anything is written: the whole organisations file as it
would be is loaded and validated exactly as the gateway loads it (organisation type from
the vocabulary, region, privacy offices, adapter, every key), and a key must be a public
key of an allowed algorithm on the right curve (ES256 on P-256, EdDSA on Ed25519, RS256
of 2048+ bits), never a private one, with a `kid` the organisation does not use yet.
Only then is the file replaced atomically (a temporary file in the same folder, renamed
over it), keeping the operator's comments (tomlkit). A key goes where the organisation's
keys already live: its `jwks_file` (in the data dir) if it has one, else inline `jwks`.

Nothing changes in a running gateway until `gateway reload` (or `--reload` here).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import tomlkit
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from tomlkit.items import AoT, Table

from gateway.auth.organisations import OrganisationRegistry, public_key
from gateway.commands._common import add_settings_options, load_settings
from gateway.commands.reload import reload_all
from gateway.config_reload import ORGANISATIONS_FILE
from gateway.errors import SettingsError
from gateway.settings import Settings
from gateway.storage.files import write_atomic
from policies import PolicyLoadError, load_vocabulary

__all__ = ["register"]

_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_KID = re.compile(r"[A-Za-z0-9._-]{1,128}")  # RFC 7638 thumbprints (base64url) fit
_MAX_KEY_FILE = 64 * 1024


class _Refused(Exception):
    """A change that would not validate; nothing was written."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "org", help="list, add and remove organisations and their keys", description=__doc__
    )
    commands = parser.add_subparsers(dest="org_command", metavar="ACTION", required=True)

    listing = commands.add_parser("list", help="the organisations and their key ids")
    add_settings_options(listing)
    listing.add_argument("--json", action="store_true", help="as JSON")
    listing.set_defaults(handler=_run(_list))

    add = commands.add_parser("add", help="register an organisation")
    _write_options(add)
    add.add_argument("--id", required=True, help="organisation id (a-z, 0-9, -, _)")
    add.add_argument("--type", required=True, help="organisation type from the vocabulary")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--region", required=True, help="region code (a-z, 0-9, -, _)")
    add.add_argument("--jwks-uri", help="where the organisation publishes its keys (https)")
    add.add_argument("--key", type=Path, action="append", default=[], help="a public key file")
    add.add_argument("--kid", action="append", default=[], help="key id for a PEM --key")
    add.set_defaults(handler=_run(_add))

    remove = commands.add_parser("remove", help="remove an organisation")
    _write_options(remove)
    remove.add_argument("org_id", metavar="ORG")
    remove.set_defaults(handler=_run(_remove))

    keys = commands.add_parser("keys", help="add or remove an organisation's public keys")
    key_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    key_add = key_commands.add_parser("add", help="register a public key (JWK or PEM file)")
    _write_options(key_add)
    key_add.add_argument("org_id", metavar="ORG")
    key_add.add_argument("key_file", metavar="FILE", type=Path, help="public JWK (JSON) or PEM")
    key_add.add_argument("--kid", help="key id (required for PEM; overrides a JWK's kid)")
    key_add.set_defaults(handler=_run(_key_add))
    key_remove = key_commands.add_parser("remove", help="remove a key by its id")
    _write_options(key_remove)
    key_remove.add_argument("org_id", metavar="ORG")
    key_remove.add_argument("kid", metavar="KID")
    key_remove.set_defaults(handler=_run(_key_remove))


def _write_options(parser: argparse.ArgumentParser) -> None:
    add_settings_options(parser)
    parser.add_argument(
        "--reload", action="store_true", help="then reload every running gateway process"
    )


def _run(action: Any) -> Any:
    def handler(args: argparse.Namespace) -> int:
        settings = load_settings(args)
        if settings is None:
            return 2
        try:
            message = action(settings, args)
        except _Refused as exc:
            print(f"gateway org: refused, nothing written: {exc}", file=sys.stderr)
            return 1
        if message is None:  # list
            return 0
        print(message)
        if getattr(args, "reload", False):
            return reload_all(settings.data_dir)
        print("Run `gateway reload` to put it in force in the running gateway.")
        return 0

    return handler


# --- reading, checking and writing the file -------------------------------------------


def _path(settings: Settings) -> Path:
    return settings.config_dir / ORGANISATIONS_FILE


def _document(settings: Settings) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _Refused(f"{_path(settings)} cannot be read: {exc}") from exc


def _entries(doc: tomlkit.TOMLDocument) -> AoT:
    entries = doc.get("organisation")
    if not isinstance(entries, AoT):
        raise _Refused("the file has no [[organisation]] tables")
    return entries


def _find(doc: tomlkit.TOMLDocument, org_id: str) -> tuple[int, Table]:
    for index, entry in enumerate(_entries(doc)):
        if entry.get("id") == org_id:
            return index, entry
    raise _Refused(f"no organisation {org_id!r}")


def _validate(settings: Settings, text: str) -> OrganisationRegistry:
    """Load `text` exactly as the gateway would; `_Refused` naming the first problem."""
    try:
        vocabulary = load_vocabulary(settings.config_dir)
    except PolicyLoadError as exc:
        raise _Refused("the vocabulary does not load: " + "; ".join(exc.problems)) from exc
    candidate = _path(settings).with_name(f".{ORGANISATIONS_FILE}.{os.getpid()}.candidate")
    try:
        candidate.write_text(text, encoding="utf-8")
        return OrganisationRegistry.load(
            candidate,
            data_dir=settings.data_dir,
            type_roles={k: v.roles for k, v in vocabulary.organisation_types.items()},
            require_keys=False,
        )
    except SettingsError as exc:
        raise _Refused(str(exc).replace(str(candidate), ORGANISATIONS_FILE)) from exc
    finally:
        candidate.unlink(missing_ok=True)


def _save(settings: Settings, doc: tomlkit.TOMLDocument) -> OrganisationRegistry:
    text = tomlkit.dumps(doc)
    registry = _validate(settings, text)
    write_atomic(_path(settings), text.encode("utf-8"))
    return registry


# --- the actions ------------------------------------------------------------------------


def _list(settings: Settings, args: argparse.Namespace) -> None:
    registry = _validate(settings, _path(settings).read_text(encoding="utf-8"))
    rows = [
        {
            "id": org.id,
            "type": org.type,
            "region": org.region,
            "name": org.name,
            "kids": sorted(org.keys),
            "jwks_uri": org.jwks_uri,
            "source": (org.adapter or {}).get("kind"),
        }
        for org in registry
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return None
    for row in rows:
        keys = ", ".join(row["kids"]) or "none"
        remote = f"  jwks_uri {row['jwks_uri']}" if row["jwks_uri"] else ""
        print(f"{row['id']:<32} {row['type']:<14} {row['region']:<20} keys: {keys}{remote}")
    return None


def _add(settings: Settings, args: argparse.Namespace) -> str:
    for label, value in (("--id", args.id), ("--region", args.region)):
        if not _CODE.fullmatch(value):
            raise _Refused(f"{label} must be 1 to 63 of a-z, 0-9, - and _, starting a-z or 0-9")
    if not args.name.strip() or len(args.name) > 200 or not args.name.isprintable():
        raise _Refused("--name must be 1 to 200 printable characters")
    if len(args.kid) > len(args.key):
        raise _Refused("more --kid than --key")
    doc = _document(settings)
    if any(entry.get("id") == args.id for entry in _entries(doc)):
        raise _Refused(f"organisation {args.id!r} exists already")
    table = tomlkit.table()
    table.add("id", args.id)
    table.add("type", args.type)
    table.add("name", args.name)
    table.add("region", args.region)
    if args.jwks_uri:
        table.add("jwks_uri", args.jwks_uri)
    jwks = tomlkit.array()
    seen: set[str] = set()
    for index, path in enumerate(args.key):
        jwk = _read_key(path, args.kid[index] if index < len(args.kid) else None)
        if jwk["kid"] in seen:
            raise _Refused(f"key id {jwk['kid']!r} given twice")
        seen.add(jwk["kid"])
        jwks.append(_inline(jwk))
    if jwks:
        jwks.multiline(True)
        table.add("jwks", jwks)
    _entries(doc).append(table)
    _save(settings, doc)
    return f"Added organisation {args.id} ({args.type}, {args.region}) with {len(jwks)} key(s)."


def _remove(settings: Settings, args: argparse.Namespace) -> str:
    doc = _document(settings)
    index, _entry = _find(doc, args.org_id)
    del _entries(doc)[index]
    _save(settings, doc)
    return f"Removed organisation {args.org_id}."


def _key_add(settings: Settings, args: argparse.Namespace) -> str:
    jwk = _read_key(args.key_file, args.kid)
    doc = _document(settings)
    _index, entry = _find(doc, args.org_id)
    current = _validate(settings, tomlkit.dumps(doc)).get(args.org_id)
    if current is not None and jwk["kid"] in current.keys:
        raise _Refused(f"organisation {args.org_id} already has a key {jwk['kid']!r}")
    jwks_file = entry.get("jwks_file")
    if isinstance(jwks_file, str):
        path = settings.data_dir / jwks_file
        keys = _jwks_file_keys(path)
        keys.append(jwk)
        _write_jwks_file(settings, doc, path, keys)
        where = str(path)
    else:
        inline = entry.get("jwks")
        if inline is None:
            inline = tomlkit.array()
            inline.multiline(True)
            entry["jwks"] = inline
        inline.append(_inline(jwk))
        _save(settings, doc)
        where = str(_path(settings))
    return f"Added key {jwk['kid']} to {args.org_id} (in {where})."


def _key_remove(settings: Settings, args: argparse.Namespace) -> str:
    doc = _document(settings)
    _index, entry = _find(doc, args.org_id)
    inline = entry.get("jwks")
    if inline is not None:
        for position, jwk in enumerate(inline):
            if jwk.get("kid") == args.kid:
                del inline[position]
                _save(settings, doc)
                return f"Removed key {args.kid} from {args.org_id}."
    jwks_file = entry.get("jwks_file")
    if isinstance(jwks_file, str):
        path = settings.data_dir / jwks_file
        keys = _jwks_file_keys(path)
        kept = [k for k in keys if k.get("kid") != args.kid]
        if len(kept) != len(keys):
            _write_jwks_file(settings, doc, path, kept)
            return f"Removed key {args.kid} from {args.org_id} (in {path})."
    raise _Refused(f"organisation {args.org_id} has no key {args.kid!r} in its configuration")


# --- keys -------------------------------------------------------------------------------


def _read_key(path: Path, kid: str | None) -> dict[str, Any]:
    """A public JWK from a JWK (JSON) or PEM file, checked; never a private key."""
    try:
        raw = path.read_bytes()[: _MAX_KEY_FILE + 1]
    except OSError as exc:
        raise _Refused(f"{path} cannot be read: {exc.strerror}") from exc
    if len(raw) > _MAX_KEY_FILE:
        raise _Refused(f"{path} is too large for a key")
    if b"PRIVATE KEY" in raw:
        raise _Refused(f"{path} holds a private key; register only the public half")
    if raw.lstrip().startswith(b"{"):
        try:
            jwk = json.loads(raw)
        except ValueError as exc:
            raise _Refused(f"{path} is not valid JSON") from exc
        if not isinstance(jwk, dict):
            raise _Refused(f"{path} is not a JWK object")
        if "keys" in jwk:
            raise _Refused(f"{path} is a key set; add one key at a time")
    else:
        jwk = _jwk_from_pem(raw, path)
    if kid is not None:
        jwk["kid"] = kid
    if not isinstance(jwk.get("kid"), str) or not _KID.fullmatch(jwk["kid"]):
        raise _Refused("the key needs a kid (--kid) of 1 to 128 of A-Z, a-z, 0-9, ., - and _")
    try:
        checked = public_key(jwk, str(path))
    except SettingsError as exc:
        raise _Refused(str(exc)) from exc
    jwk.setdefault("alg", checked.algorithm_name)
    if jwk["alg"] != checked.algorithm_name:
        raise _Refused(f"the key says alg {jwk['alg']!r} but is a {checked.algorithm_name} key")
    jwk.setdefault("use", "sig")
    return {k: jwk[k] for k in sorted(jwk)}


def _jwk_from_pem(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        key = load_pem_public_key(raw)
    except ValueError as exc:
        raise _Refused(f"{path} is neither a JWK nor a PEM public key") from exc
    jwk: Any
    if isinstance(key, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(key, as_dict=True)
        alg = "ES256"
    elif isinstance(key, ed25519.Ed25519PublicKey):
        jwk = OKPAlgorithm.to_jwk(key, as_dict=True)
        alg = "EdDSA"
    elif isinstance(key, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
        alg = "RS256"
    else:
        raise _Refused(f"{path}: only EC P-256, Ed25519 and RSA keys can be registered")
    return {**dict(jwk), "alg": alg}


def _inline(jwk: dict[str, Any]) -> Any:
    table = tomlkit.inline_table()
    table.update(jwk)
    return table


def _jwks_file_keys(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _Refused(f"{path} is not a readable JWKS") from exc
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise _Refused(f"{path} is not a JWKS (no `keys` list)")
    return keys


def _write_jwks_file(
    settings: Settings, doc: tomlkit.TOMLDocument, path: Path, keys: list[dict[str, Any]]
) -> None:
    """Check the organisations as they would load with this key file, then write it."""
    for jwk in keys:
        try:
            public_key(jwk, str(path))
        except SettingsError as exc:
            raise _Refused(str(exc)) from exc
    kids = [k.get("kid") for k in keys]
    if len(set(kids)) != len(kids):
        raise _Refused(f"{path} would hold the same kid twice")
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = path.read_bytes() if path.exists() else None
    write_atomic(path, (json.dumps({"keys": keys}, indent=2) + "\n").encode("utf-8"))
    try:
        _validate(settings, tomlkit.dumps(doc))
    except _Refused:
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            write_atomic(path, previous)
        raise
