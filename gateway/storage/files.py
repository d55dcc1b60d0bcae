"""Private files: the data folder is 0700, databases (with `-wal`/`-shm`) 0600.

The data folder holds the keys, the gateway's database (pseudonyms, consents, the
audit log) and the demo's reference sources; nobody but the gateway's own user
should read any of it. Files are created with the right mode from the first byte
(no window in which they are world-readable) and tightened if they already exist.
SQLite gives `-wal` and `-shm` the mode of the database file, so a 0600 database
keeps its side files private too; existing ones are tightened here as well.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["private_dir", "private_sqlite_file", "sqlite_path"]

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL (None for other engines and in-memory databases)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = str(url.database)
    return None if database.startswith("file:") else Path(database)


def private_sqlite_file(database_url: str) -> None:
    """Create the SQLite file 0600 before SQLite does (0644), or tighten it and its side files.

    A missing folder is left to SQLite to report; other engines are untouched.
    """
    path = sqlite_path(database_url)
    if path is None or not path.parent.is_dir():
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(candidate.stat().st_mode) & ~FILE_MODE:
                candidate.chmod(FILE_MODE)
