"""`gateway custody-register`: run the reference custody register on its own.

For the demo and manual testing: the BRP personen / gezag API shape over the
synthetic population (`POST /haalcentraal/api/brp/personen`), verifying the
gateway's tokens (audience `custody-register`) against the gateway's JWKS.
`gateway demo` starts the same service beside the other reference sources.
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

from aiohttp import web

from adapters.custody_http import REGISTER_ID
from adapters.reference.custody_register import CustodyRegister, create_custody_register_app
from adapters.reference.jwks import RemoteJwks
from adapters.reference.synthetic import generate_population

__all__ = ["handle", "register"]

DEFAULT_JWKS_URL = "http://127.0.0.1:8080/.well-known/jwks.json"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `custody-register` to the `gateway` command line."""
    parser = subparsers.add_parser(
        "custody-register",
        help="run the reference custody register with synthetic data",
        description=__doc__,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8106)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--households", type=int, default=12)
    parser.add_argument("--gateway-jwks-url", default=DEFAULT_JWKS_URL)
    parser.add_argument("--gateway-issuer", default="jeugd-gateway", help="expected `iss`")
    parser.add_argument("--audience", default=REGISTER_ID, help="expected `aud`")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Serve until interrupted (exit 0), or 2 for unusable arguments."""
    if not 1 <= args.port <= 65535 or not 4 <= args.households <= 500:
        print("custody-register: --port must be 1-65535 and --households 4-500", file=sys.stderr)
        return 2
    jwks_url = urlsplit(args.gateway_jwks_url)
    if jwks_url.scheme not in ("http", "https") or not jwks_url.netloc:
        print("custody-register: --gateway-jwks-url must be an http(s) URL", file=sys.stderr)
        return 2
    population = generate_population(seed=args.seed, households=args.households)
    app = create_custody_register_app(
        CustodyRegister.from_population(population),
        RemoteJwks(args.gateway_jwks_url),
        args.gateway_issuer,
        audience=args.audience,
    )
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0
