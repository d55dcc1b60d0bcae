"""`gateway serve`: run the gateway (refuses to start on an out-of-date schema)."""

from __future__ import annotations

import argparse
import sys

from gateway.app import create_app
from gateway.commands._common import add_settings_options, load_settings
from gateway.errors import SettingsError
from gateway.http_server import serve
from gateway.tls import server_context

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the gateway", description=__doc__)
    add_settings_options(parser)
    parser.add_argument("--host", help="address to listen on (GATEWAY_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (GATEWAY_PORT)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if settings is None:
        return 2
    try:
        ssl_context = server_context(settings)
        app = create_app(settings)
        serve(
            app,
            settings,
            host=args.host or settings.host,
            port=args.port or settings.port,
            ssl_context=ssl_context,
        )
    except SettingsError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the port is taken; no traceback
        print(f"gateway: cannot serve: {exc.strerror or type(exc).__name__}", file=sys.stderr)
        return 1
    return 0
