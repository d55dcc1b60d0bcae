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

__all__ = [
    "private_dir",
    "private_sqlite_file",
    "sqlite_path",
    "write_atomic",
    "write_private_atomic",
]

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


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data` so a reader sees the old file or the new, never half.

    Written to a temporary file in the same folder (created with `mode`, else the
    existing file's mode, else 0600), flushed to disk, then renamed over `path`.
    """
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = FILE_MODE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed it
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_private_atomic(path: Path, data: bytes) -> None:
    """`write_atomic` with mode 0600."""
    write_atomic(path, data, mode=FILE_MODE)
