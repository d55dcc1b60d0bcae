"""`gateway migrate`: apply every pending Alembic migration."""

from __future__ import annotations

import argparse
import asyncio

from gateway.commands._common import add_settings_options, load_settings
from gateway.storage.db import create_engine
from gateway.storage.files import private_dir
from gateway.storage.schema import schema_state, upgrade

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "migrate", help="bring the database schema up to date", description=__doc__
    )
    add_settings_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if settings is None:
        return 2
    private_dir(settings.data_dir)
    return asyncio.run(_migrate(settings.database_url))


async def _migrate(url: str) -> int:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        state = await schema_state(engine)
    finally:
        await engine.dispose()
    print(f"schema up to date at {', '.join(sorted(state.current))}")
    return 0
