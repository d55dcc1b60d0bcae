"""`gateway reference-source`: run one reference source system on its own.

For the demo and manual testing: a small real service with the synthetic
population, verifying the gateway's tokens against the gateway's JWKS. With
`--database-url` it instead (re)builds the RvdK reference database and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from urllib.parse import urlsplit

from aiohttp import web

from adapters.reference.app import create_source_app
from adapters.reference.jwks import RemoteJwks
from adapters.reference.sqlsource import build_reference_database
from adapters.reference.synthetic import ORG_TYPES, generate_population

__all__ = ["handle", "register"]

DEFAULT_JWKS_URL = "http://127.0.0.1:8080/.well-known/jwks.json"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `reference-source` to the `gateway` command line."""
    parser = subparsers.add_parser(
        "reference-source",
        help="run one reference source system with synthetic data",
        description=__doc__,
    )
    parser.add_argument("--org", required=True, help="organisation id (the token audience)")
    parser.add_argument("--type", required=True, choices=ORG_TYPES, dest="org_type")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--households", type=int, default=12)
    parser.add_argument("--gateway-jwks-url", default=DEFAULT_JWKS_URL)
    parser.add_argument(
        "--gateway-issuer", default=None, help="expected `iss` (default: the JWKS URL's origin)"
    )
    parser.add_argument("--audience", default=None, help="expected `aud` (default: --org)")
    parser.add_argument(
        "--database-url", default=None, help="build the RvdK reference database here and exit"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Serve until interrupted (exit 0), or 2 for unusable arguments."""
    if not 1 <= args.port <= 65535 or not 4 <= args.households <= 500:
        print("reference-source: --port must be 1-65535 and --households 4-500", file=sys.stderr)
        return 2
    jwks_url = urlsplit(args.gateway_jwks_url)
    if jwks_url.scheme not in ("http", "https") or not jwks_url.netloc:
        print("reference-source: --gateway-jwks-url must be an http(s) URL", file=sys.stderr)
        return 2
    population = generate_population(seed=args.seed, households=args.households)
    if args.database_url:
        rows = asyncio.run(build_reference_database(args.database_url, population, args.org))
        print(f"reference-source: wrote {rows} rows for {args.org}")
        return 0
    issuer = args.gateway_issuer or f"{jwks_url.scheme}://{jwks_url.netloc}"
    app = create_source_app(
        args.org,
        args.org_type,
        population,
        RemoteJwks(args.gateway_jwks_url),
        audience=args.audience or args.org,
        gateway_issuer=issuer,
    )
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0
