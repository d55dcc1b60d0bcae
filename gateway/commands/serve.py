"""`gateway serve`: run the gateway (refuses to start on an out-of-date schema)."""

from __future__ import annotations

import argparse
import sys

import structlog

from gateway.app import create_app
from gateway.auth.tls import server_context
from gateway.commands._common import add_settings_options, load_settings
from gateway.errors import SettingsError
from gateway.http.server import serve

__all__ = ["register"]

log = structlog.get_logger("gateway.serve")


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
        # The log line names the setting only: a reason may quote a configured value or a
        # file's error, which belongs on the operator's terminal, not in the log pipeline.
        log.error("startup_failed", setting=exc.name)
        print(f"gateway: invalid setting {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the port is taken
        log.error("serve_failed", error_type=type(exc).__name__, error=exc.strerror)
        return 1
    except Exception as exc:  # a bug: one log line in the chosen format, no traceback
        log.error("serve_failed", error_type=type(exc).__name__)
        return 1
    return 0
