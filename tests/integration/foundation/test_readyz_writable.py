"""`/readyz` is not ready when the database can be read but not written (both engines)."""

from __future__ import annotations

import array
import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select, text

from gateway.appkeys import ENGINE
from gateway.audit.tables import audit_chain_head, audit_checkpoints, audit_entries
from gateway.storage.db import create_engine, dispose
from gateway.storage.writable import unwritable_reason

Client = TestClient[web.Request, web.Application]

_FS_IOC_GETFLAGS, _FS_IOC_SETFLAGS, _FS_IMMUTABLE_FL = 0x80086601, 0x40086602, 0x10


def _set_immutable(path: Path, on: bool) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        flags = array.array("l", [0])
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, flags)
        flags[0] = flags[0] | _FS_IMMUTABLE_FL if on else flags[0] & ~_FS_IMMUTABLE_FL
        fcntl.ioctl(fd, _FS_IOC_SETFLAGS, flags)
    finally:
        os.close(fd)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make `path` unwritable for this process: chmod, or for root the immutable flag."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    try:
        _set_immutable(path, True)
    except OSError:
        pytest.skip("running as root without a file system that has the immutable flag")
    try:
        yield
    finally:
        _set_immutable(path, False)


async def assert_not_writable(response: Any) -> dict[str, Any]:
    assert response.status == 503, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json()
    assert body["code"] == "service_unavailable" and body["check"] == "database_writable"
    return body


async def test_readyz_is_503_while_the_sqlite_file_is_read_only(
    client: Client, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite file case")
    path = Path(str(client.app[ENGINE].url.database))
    assert (await client.get("/readyz")).status == 200
    with read_only(path):
        body = await assert_not_writable(await client.get("/readyz"))
        assert body["reason"] == "file_read_only" and str(path) not in as_text(body)
    assert (await client.get("/readyz")).status == 200  # ready again once it is writable


def as_text(body: dict[str, Any]) -> str:
    return " ".join(str(v) for v in body.values())


async def test_readyz_is_503_while_postgresql_is_read_only(
    client: Client, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL case")
    engine = client.app[ENGINE]
    assert (await client.get("/readyz")).status == 200
    async with engine.connect() as conn:
        name = (await conn.execute(text("SELECT current_database()"))).scalar_one()
        await conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        await conn.commit()
    await engine.dispose()  # new sessions pick the setting up (as after a failover)
    try:
        body = await assert_not_writable(await client.get("/readyz"))
        assert body["reason"] == "read_only"
    finally:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("SET default_transaction_read_only = off"))
            await conn.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
        await engine.dispose()
    assert (await client.get("/readyz")).status == 200


async def test_readyz_writes_nothing(client: Client) -> None:
    engine = client.app[ENGINE]
    tables = (audit_entries, audit_checkpoints, audit_chain_head)

    async def counts() -> list[int]:
        async with engine.connect() as conn:
            return [
                int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
                for t in tables
            ]

    before = await counts()
    for _ in range(3):
        assert (await client.get("/readyz")).status == 200
    assert await counts() == before


@contextlib.contextmanager
def tiny_file_system(path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs at `path` (root only; skipped where mounting is not allowed)."""
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small file system")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


async def test_a_full_disk_makes_the_sqlite_database_unwritable(tmp_path: Path) -> None:
    with tiny_file_system(tmp_path / "small") as folder:
        url = f"sqlite+aiosqlite:///{folder / 'gateway.db'}"
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("CREATE TABLE t (a INTEGER)"))
            assert await unwritable_reason(engine) is None
            with (folder / "filler").open("wb") as filler, contextlib.suppress(OSError):
                while True:  # until ENOSPC
                    filler.write(b"\0" * 65536)
                    filler.flush()
            assert await unwritable_reason(engine) == "disk_full"
            (folder / "filler").unlink()
            assert await unwritable_reason(engine) is None
        finally:
            await dispose(engine)
