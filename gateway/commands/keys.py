"""`gateway keys init|rotate`: create the gateway's secrets (0600) or rotate its signing key."""

from __future__ import annotations

import argparse

from gateway.auth.keys import KeyStore, init_keys, rotate_signing_key
from gateway.commands._common import add_settings_options, load_settings
from gateway.storage.files import private_dir

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "keys", help="create or rotate the gateway's keys", description=__doc__
    )
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    init = sub.add_parser(
        "init",
        help="create missing keys (never overwrites)",
        description="Create, in <data dir>/keys with mode 0600, the pseudonymisation secret, "
        "the Ed25519 signing key and the audit encryption key, where missing.",
    )
    add_settings_options(init)
    init.set_defaults(handler=_init)
    rotate = sub.add_parser(
        "rotate",
        help="add a new signing key and make it current",
        description="Older public keys stay in the JWKS so earlier signatures verify.",
    )
    add_settings_options(rotate)
    rotate.set_defaults(handler=_rotate)


def _init(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if settings is None:
        return 2
    private_dir(settings.data_dir)
    created = init_keys(settings.keys_dir)
    for name in created:
        print(f"created {settings.keys_dir / name}")
    if not created:
        print(f"all keys present in {settings.keys_dir}")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if settings is None:
        return 2
    KeyStore.load(settings.keys_dir)  # refuse to rotate on top of a broken key folder
    kid = rotate_signing_key(settings.keys_dir)
    print(f"new signing key {kid} is current")
    return 0
