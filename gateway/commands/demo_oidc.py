"""`gateway demo-oidc`: run the demo's OpenID provider on its own (tests, manual use).

It signs in synthetic people only, and its page says so ("DEMO — dit is niet DigiD").
The key and the client secret are generated under `<data dir>/demo/oidc` on first
use; point a gateway at it with GATEWAY_OIDC_ISSUER=<issuer>,
GATEWAY_OIDC_CLIENT_ID=jeugd-gateway-portal and
GATEWAY_OIDC_CLIENT_SECRET_FILE=<data dir>/demo/oidc/client_secret.
`gateway demo` starts the same provider beside the custody register.
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

from aiohttp import web

from adapters.reference.synthetic import generate_population
from gateway.commands._common import add_settings_options, load_settings
from gateway.demo.oidc_provider import DEMO_CLIENT_ID, provider_for_population
from gateway.demo.seed import DEMO_SEED
from gateway.storage.files import private_dir

__all__ = ["handle", "register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `demo-oidc` to the `gateway` command line."""
    parser = subparsers.add_parser(
        "demo-oidc", help="run the demo OpenID provider (synthetic people)", description=__doc__
    )
    add_settings_options(parser)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument(
        "--redirect-url",
        default="http://127.0.0.1:8080/oidc/callback",
        help="the gateway's callback (the one redirect URI the client may use)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Serve until interrupted (exit 0), or 2 for unusable arguments or settings."""
    if not 1 <= args.port <= 65535:
        print("demo-oidc: --port must be 1-65535", file=sys.stderr)
        return 2
    redirect = urlsplit(args.redirect_url)
    if redirect.scheme not in ("http", "https") or not redirect.netloc:
        print("demo-oidc: --redirect-url must be an http(s) URL", file=sys.stderr)
        return 2
    settings = load_settings(args)
    if settings is None:
        return 2
    private_dir(settings.data_dir)
    issuer = f"http://{args.host}:{args.port}"
    population = generate_population(DEMO_SEED, households=12)
    app = provider_for_population(issuer, args.redirect_url, population, settings.data_dir)
    print(
        f"Demo OpenID provider (DEMO, not DigiD) at {issuer}, client id {DEMO_CLIENT_ID}, "
        f"secret in {settings.data_dir / 'demo' / 'oidc' / 'client_secret'}",
        flush=True,
    )
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0
