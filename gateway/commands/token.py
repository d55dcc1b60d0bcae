"""`gateway token --org ID`: print a valid token signed with a demo organisation's key.

Demo-only: it needs the organisation's private key that `gateway demo` wrote to
`<data dir>/demo/<organisation id>.pem`. Real organisations sign their own tokens.
The role must be one the organisation may assert (its type's roles in
config/organisation_types.toml, `regional_privacy_officer` for a region's privacy
office); the default is the first role of its type.
"""

from __future__ import annotations

import argparse
import sys

from gateway.auth.organisations import Organisation, OrganisationRegistry
from gateway.commands._common import add_settings_options, load_settings
from gateway.demo.keys import load_demo_key
from gateway.errors import SettingsError
from gateway.settings import Settings
from policies import PolicyLoadError, load_vocabulary

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "token", help="print a demo organisation's token", description=__doc__
    )
    add_settings_options(parser)
    parser.add_argument(
        "--org", required=True, help="organisation id (see config/organisations.toml)"
    )
    parser.add_argument(
        "--role",
        help="the professional's role: one of the organisation's type's roles in "
        "config/organisation_types.toml (e.g. privacy_officer), or regional_privacy_officer "
        "for a region's privacy office (default: the type's first role)",
    )
    parser.add_argument("--sub", default="demo-professional", help="the professional's identifier")
    parser.add_argument("--lifetime", type=int, default=300, help="seconds (at most 300)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if settings is None:
        return 2
    if not 1 <= args.lifetime <= settings.token_max_lifetime_seconds:
        print(
            f"gateway: --lifetime must be 1 to {settings.token_max_lifetime_seconds}",
            file=sys.stderr,
        )
        return 2
    org, first_role = _organisation(settings, args.org)
    if org is None:
        return 2
    role = args.role or first_role
    if role not in org.roles:
        print(
            f"gateway: --role {role!r} is not one {args.org} may assert; "
            f"valid: {', '.join(sorted(org.roles)) or 'none'}",
            file=sys.stderr,
        )
        return 2
    try:
        key = load_demo_key(args.org, settings.data_dir)
    except FileNotFoundError:
        print(
            f"gateway: no demo key for {args.org!r} in {settings.data_dir / 'demo'}; "
            "run `gateway demo` first (tokens are a demo-only feature)",
            file=sys.stderr,
        )
        return 2
    print(key.token(settings.audience, role=role, sub=args.sub, lifetime=args.lifetime))
    return 0


def _organisation(settings: Settings, org_id: str) -> tuple[Organisation | None, str]:
    """The organisation with the roles it may assert, and its type's first role."""
    try:
        vocabulary = load_vocabulary(settings.config_dir)
        registry = OrganisationRegistry.load(
            settings.config_dir / "organisations.toml",
            data_dir=settings.data_dir,
            type_roles={k: v.roles for k, v in vocabulary.organisation_types.items()},
            require_keys=False,
        )
    except PolicyLoadError as exc:
        print(f"gateway: the vocabulary does not load: {'; '.join(exc.problems)}", file=sys.stderr)
        return None, ""
    except SettingsError as exc:
        print(f"gateway: invalid setting {exc}", file=sys.stderr)
        return None, ""
    org = registry.get(org_id)
    if org is None:
        print(f"gateway: unknown organisation {org_id!r}", file=sys.stderr)
        return None, ""
    roles = vocabulary.organisation_types[org.type].roles
    return org, roles[0] if roles else ""
