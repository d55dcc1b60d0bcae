"""The consent check's single read, run on the driver connection of the shared engine.

The statement is SQLAlchemy Core (`consent.store._CHECK`), compiled once for the
engine's dialect. On asyncpg and aiosqlite it is executed on the pooled connection's
driver (`driver_connection`: one prepared-statement round trip, or one hop to the
SQLite thread) instead of through SQLAlchemy's async result layer, which on small
machines costs more than the query itself. Other drivers take the ordinary path.
Every call reads the database: there is no cache.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import CompoundSelect, Select

__all__ = ["CheckReader", "as_date", "as_datetime", "as_list"]


class CheckReader:
    def __init__(
        self, engine: AsyncEngine, statement: Select[Any] | CompoundSelect[Any], param: str
    ) -> None:
        dialect = engine.dialect
        self._statement = statement
        self._param = param
        self._driver = dialect.driver if dialect.driver in ("asyncpg", "aiosqlite") else ""
        # PostgreSQL reads need no transaction: no BEGIN/ROLLBACK round trips.
        self._engine = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if dialect.name == "postgresql"
            else engine
        )
        compiled = statement.compile(dialect=dialect)
        self._sql = str(compiled)
        self._positions = len(compiled.positiontup or ()) or 1

    async def rows(self, value: str) -> list[tuple[Any, ...]]:
        """The statement's rows for `value` (bound to every occurrence of the parameter)."""
        async with self._engine.connect() as conn:
            if not self._driver:
                result = await conn.execute(self._statement, {self._param: value})
                return [tuple(row) for row in result]
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            args = [value] * self._positions
            if self._driver == "asyncpg":
                return [tuple(row) for row in await driver.fetch(self._sql, *args)]
            return [tuple(row) for row in await driver.execute_fetchall(self._sql, args)]


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def as_datetime(value: Any) -> datetime | None:
    """Aware UTC from a driver value (SQLite stores naive UTC text)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    parsed = json.loads(value) if isinstance(value, str | bytes) else value
    return [str(v) for v in parsed]
