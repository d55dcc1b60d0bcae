"""Read a source system's database directly, through a declarative table mapping.

Each collection of the mapping names a table, the column holding the BSN and
the columns that map to categories. Only the tables and columns needed for the
requested categories are queried, with the BSN as a bound parameter: the
minimisation starts in the query itself and `FieldMapping.apply` finishes it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Select, bindparam, column, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.base import CategoryRecords, FetchRequest
from adapters.errors import (
    REASON_DATABASE_ERROR,
    REASON_TIMEOUT,
    AdapterConfigError,
    SourceUnavailable,
)
from adapters.mapping import CollectionMapping, FieldMapping

__all__ = ["SqlSourceAdapter"]


class SqlSourceAdapter:
    """A source system whose database the gateway may read (read-only use)."""

    def __init__(
        self,
        source_id: str,
        engine: AsyncEngine,
        mapping: FieldMapping,
        timeout: float = 2.0,
        *,
        schema: str | None = None,
        owns_engine: bool = False,
    ) -> None:
        if mapping.kind != "sql":
            raise AdapterConfigError(source_id, f"mapping {mapping.name!r} is not a sql mapping")
        if timeout <= 0:
            raise AdapterConfigError(source_id, "timeout must be positive")
        self.source_id = source_id
        self.mapping = mapping
        self.timeout = timeout
        self.schema = schema
        self._engine = engine
        self._owns_engine = owns_engine

    def __repr__(self) -> str:
        return f"SqlSourceAdapter({self.source_id!r}, {self._engine.url.render_as_string()!r})"

    async def fetch(self, request: FetchRequest) -> CategoryRecords:
        """Query the tables the requested categories need; map and minimise the rows."""
        wanted = [
            (collection, collection.columns_for(request.categories))
            for collection in self.mapping.collections
        ]
        wanted = [(collection, columns) for collection, columns in wanted if columns]
        raw: dict[str, list[dict[str, Any]]] = {}
        if not wanted:  # nothing this source maps was asked for: no query at all
            return self.mapping.apply(raw, request.categories)
        try:
            async with asyncio.timeout(self.timeout), self._engine.connect() as connection:
                for collection, columns in wanted:
                    statement = self._statement(collection, columns)
                    result = await connection.execute(statement, {"subject_bsn": request.bsn})
                    raw[collection.name] = [dict(row) for row in result.mappings()]
        except TimeoutError as exc:
            raise SourceUnavailable(self.source_id, REASON_TIMEOUT) from exc
        except (SQLAlchemyError, OSError) as exc:
            raise SourceUnavailable(self.source_id, REASON_DATABASE_ERROR) from exc
        return self.mapping.apply(raw, request.categories)

    async def aclose(self) -> None:
        """Dispose of the engine if this adapter created it."""
        if self._owns_engine:
            await self._engine.dispose()

    def _statement(self, collection: CollectionMapping, columns: tuple[str, ...]) -> Select[Any]:
        names = [*columns, collection.key]
        if collection.order_by:
            names.append(collection.order_by)
        source = table(
            collection.table, *(column(name) for name in dict.fromkeys(names)), schema=self.schema
        )
        statement = select(*(source.c[name] for name in columns)).where(
            source.c[collection.key] == bindparam("subject_bsn")
        )
        if collection.order_by:
            statement = statement.order_by(source.c[collection.order_by])
        return statement
