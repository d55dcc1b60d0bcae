"""build_adapter: organisation settings → a configured adapter, or a clear error."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.errors import AdapterConfigError, SourceUnavailable
from adapters.http import HttpSourceAdapter
from adapters.registry import build_adapter, close_adapters
from adapters.sql import SqlSourceAdapter
from gateway.commands import reference_source

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"


def token(audience: str) -> str:
    return f"token-for-{audience}"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def test_builds_an_http_adapter(session: aiohttp.ClientSession) -> None:
    settings = {
        "kind": "http",
        "base_url": "http://127.0.0.1:8101",
        "mapping": "wijkteam",
        "timeout": 1.5,
    }

    adapter = build_adapter(
        "wijkteam-utrecht", settings, config_dir=CONFIG_DIR, session=session, token_factory=token
    )

    assert isinstance(adapter, HttpSourceAdapter)
    assert adapter.source_id == "wijkteam-utrecht"
    assert adapter.timeout == 1.5
    assert adapter.audience == "wijkteam-utrecht"
    assert "contact_details" in adapter.mapping.categories


async def test_builds_a_sql_adapter_that_owns_its_engine(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    settings = {"kind": "sql", "url": f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", "mapping": "rvdk"}

    adapter = build_adapter(
        "rvdk", settings, config_dir=CONFIG_DIR, session=session, token_factory=token
    )

    assert isinstance(adapter, SqlSourceAdapter)
    assert adapter.timeout == 2.0
    await close_adapters([adapter])


async def test_a_sql_adapter_reads_its_url_from_a_secret_file(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The URL (with any password) can live in a secret file instead of the config; the
    adapter's repr never shows a password."""
    secret = tmp_path / "rvdk-db-url"
    secret.write_text(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}\n")
    settings = {"kind": "sql", "url_file": str(secret), "mapping": "rvdk"}

    adapter = build_adapter(
        "rvdk", settings, config_dir=CONFIG_DIR, session=session, token_factory=token
    )

    assert isinstance(adapter, SqlSourceAdapter)
    assert str(tmp_path / "r.db") in repr(adapter)
    await close_adapters([adapter])
    secret.write_text("postgresql+asyncpg://rvdk:s3cret-pw@127.0.0.1:1/rvdk")
    with_password = build_adapter(
        "rvdk", settings, config_dir=CONFIG_DIR, session=session, token_factory=token
    )
    assert "s3cret-pw" not in repr(with_password)
    await close_adapters([with_password])


async def test_engines_factory_supplies_the_engine(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    made: list[AsyncEngine] = []

    def engines(url: str) -> AsyncEngine:
        made.append(create_async_engine(url))
        return made[-1]

    settings = {"kind": "sql", "url": f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", "mapping": "rvdk"}
    adapter = build_adapter(
        "rvdk",
        settings,
        config_dir=CONFIG_DIR,
        session=session,
        token_factory=token,
        engines_factory=engines,
    )
    await close_adapters([adapter])  # does not dispose an engine it does not own

    assert len(made) == 1
    await made[0].dispose()


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"base_url": "http://x", "mapping": "wijkteam"}, "`kind`"),
        ({"kind": "soap", "mapping": "wijkteam"}, "`kind`"),
        (
            {"kind": "http", "base_url": "http://x", "mapping": "wijkteam", "retries": 3},
            "unknown key(s) ['retries']",
        ),
        ({"kind": "http", "base_url": "ftp://x", "mapping": "wijkteam"}, "base_url"),
        ({"kind": "http", "base_url": "http://x", "mapping": "../secrets"}, "mapping"),
        ({"kind": "http", "base_url": "http://x", "mapping": "nonexistent"}, "does not exist"),
        ({"kind": "http", "base_url": "http://x", "mapping": "rvdk"}, "not an http mapping"),
        ({"kind": "http", "base_url": "http://x", "mapping": "wijkteam", "timeout": 0}, "timeout"),
        (
            {"kind": "http", "base_url": "http://x", "mapping": "wijkteam", "timeout": "2"},
            "timeout",
        ),
        ({"kind": "sql", "url": "nonsense", "mapping": "rvdk"}, "url"),
        ({"kind": "sql", "mapping": "rvdk"}, "exactly one of `url` and `url_file`"),
        (
            {"kind": "sql", "url": "sqlite+aiosqlite:///x.db", "url_file": "/x", "mapping": "rvdk"},
            "exactly one of `url` and `url_file`",
        ),
        ({"kind": "sql", "url_file": "/nonexistent/db-url", "mapping": "rvdk"}, "cannot be read"),
        (
            {"kind": "sql", "url": "sqlite+aiosqlite:///x.db", "mapping": "rvdk", "schema": "a;b"},
            "schema",
        ),
        (
            {"kind": "sql", "url": "sqlite+aiosqlite:///x.db", "mapping": "wijkteam"},
            "not a sql mapping",
        ),
    ],
)
async def test_bad_settings_are_refused_naming_the_source(
    session: aiohttp.ClientSession, settings: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(AdapterConfigError) as caught:
        build_adapter(
            "org-x", settings, config_dir=CONFIG_DIR, session=session, token_factory=token
        )

    assert "org-x" in str(caught.value)
    assert complaint in str(caught.value)


def test_source_unavailable_is_picklable_and_carries_no_personal_data() -> None:
    import pickle

    # Our own bytes, just made: crossing a process boundary must keep the fields.
    error = pickle.loads(pickle.dumps(SourceUnavailable("gi", "timeout")))  # noqa: S301

    assert (error.source_id, error.reason_code, error.code) == (
        "gi",
        "timeout",
        "source_unavailable",
    )
    assert str(error) == "source 'gi' unavailable: timeout"


def test_reference_source_command_parses_its_options() -> None:
    parser = argparse.ArgumentParser(prog="gateway")
    reference_source.register(parser.add_subparsers(dest="command"))

    args = parser.parse_args(
        ["reference-source", "--org", "gi-midden", "--type", "gi", "--port", "8103", "--seed", "7"]
    )

    assert (args.org, args.org_type, args.port, args.seed) == ("gi-midden", "gi", 8103, 7)
    assert args.host == "127.0.0.1"
    assert args.handler is reference_source.handle
    with pytest.raises(SystemExit):
        parser.parse_args(["reference-source", "--org", "x", "--type", "police"])


def test_reference_source_command_refuses_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="gateway")
    reference_source.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["reference-source", "--org", "gi", "--type", "gi", "--gateway-jwks-url", "file:///etc"]
    )

    assert reference_source.handle(args) == 2
    assert "--gateway-jwks-url" in capsys.readouterr().err


def test_reference_source_command_builds_the_rvdk_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="gateway")
    reference_source.register(parser.add_subparsers(dest="command"))
    url = f"sqlite+aiosqlite:///{tmp_path / 'rvdk.db'}"
    args = parser.parse_args(
        ["reference-source", "--org", "rvdk", "--type", "rvdk", "--database-url", url]
    )

    assert reference_source.handle(args) == 0
    assert "rows for rvdk" in capsys.readouterr().out
    assert (tmp_path / "rvdk.db").stat().st_size > 0
