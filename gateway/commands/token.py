"""`gateway token --org ID`: print a valid token signed with a demo organisation's key.

Demo-only: it needs the organisation's private key that `gateway demo` wrote to
`<data dir>/demo/<organisation id>.pem`. Real organisations sign their own tokens.
"""

from __future__ import annotations

import argparse
import sys

from gateway.commands._common import add_settings_options, load_settings
from gateway.demo_keys import load_demo_key

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
        default="professional",
        help="the professional's role, e.g. privacy_officer (default professional)",
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
    try:
        key = load_demo_key(args.org, settings.data_dir)
    except FileNotFoundError:
        print(
            f"gateway: no demo key for {args.org!r} in {settings.data_dir / 'demo'}; "
            "run `gateway demo` first (tokens are a demo-only feature)",
            file=sys.stderr,
        )
        return 2
    print(key.token(settings.audience, role=args.role, sub=args.sub, lifetime=args.lifetime))
    return 0
