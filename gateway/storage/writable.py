"""Can the database be written? A cheap probe for `/readyz` that writes nothing.

A gateway that can read but not write answers every exchange with 503 (the audit
entry cannot be committed), so a load balancer should send its traffic elsewhere.

- SQLite: the database file and its `-wal`/`-shm` files open for writing (a
  read-only mount, an immutable file or lost permissions fail here, even though
  connections opened earlier may still hold a writable descriptor), the folder
  accepts new files (SQLite creates `-wal`/`-shm` there), and the file system
  has at least `MIN_FREE_BYTES` free. Opening a file for writing changes nothing.
- PostgreSQL: not a standby in recovery (`pg_is_in_recovery()`) and new
  transactions are not read-only (`transaction_read_only`, set by
  `default_transaction_read_only`), one round trip on a pooled connection.
"""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["MIN_FREE_BYTES", "unwritable_reason"]

MIN_FREE_BYTES = 1 << 20  # below this a commit (WAL frames, checkpoint) is about to fail

_PG_PROBE = text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")


async def unwritable_reason(engine: AsyncEngine) -> str | None:
    """None if the database can be written, else a short reason code (no paths, no data)."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            recovery, read_only = (await conn.execute(_PG_PROBE)).one()
        if recovery:
            return "in_recovery"
        return "read_only" if str(read_only).lower() == "on" else None
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        return None
    return await asyncio.to_thread(_sqlite_file_reason, Path(database))


def _sqlite_file_reason(path: Path) -> str | None:
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            fd = os.open(candidate, os.O_WRONLY)
        except FileNotFoundError:
            if candidate == path:
                return "missing"
            continue  # SQLite creates these itself (checked through the folder below)
        except OSError as exc:
            return "disk_read_only" if exc.errno == errno.EROFS else "file_read_only"
        os.close(fd)
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return "folder_read_only"
    stats = os.statvfs(path.parent)
    if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
        return "disk_full"
    return None
