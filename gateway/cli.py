"""The `gateway` command line: one parser, one sub-command module per concern.

Each module in `gateway.commands` exposes `register(subparsers)`, adding its
sub-command(s) with `set_defaults(handler=...)`; a handler takes the parsed
arguments and returns the process exit code. Exit code 2 means bad settings
or usage, 1 means the command ran and found a problem.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]

# Order is the order of `gateway --help`.
COMMAND_MODULES = (
    "gateway.commands.serve",
    "gateway.commands.reload",
    "gateway.commands.org",
    "gateway.commands.migrate",
    "gateway.commands.keys",
    "gateway.commands.policy",
    "gateway.commands.audit",
    "gateway.commands.demo",
    "gateway.commands.token",
    "gateway.commands.reference_source",
    "gateway.commands.custody_register",
    "gateway.commands.demo_oidc",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gateway",
        description="Privacy-preserving information-exchange gateway (jeugd en gezin).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    code: int = handler(args)
    return code


def run() -> None:  # pragma: no cover - console entry point
    sys.exit(main())
