"""Build adapters from organisation settings, and ask many sources at once.

`build_adapter` turns an organisation's `adapter` table into a `SourceAdapter`,
refusing unknown or bad settings at start-up. `fetch_all` calls the sources
concurrently, each with its own timeout and all within one overall deadline:
a slow or failing source yields `SourceUnavailable` for itself only.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.base import CategoryRecords, FetchRequest, SourceAdapter
from adapters.errors import (
    REASON_ADAPTER_ERROR,
    REASON_BAD_RESPONSE,
    REASON_NOT_CONFIGURED,
    REASON_TIMEOUT,
    AdapterConfigError,
    SourceUnavailable,
)
from adapters.http import HttpSourceAdapter
from adapters.mapping import CATEGORIES, load_mapping
from adapters.sql import SqlSourceAdapter

__all__ = [
    "DEFAULT_TIMEOUT",
    "EngineFactory",
    "FetchOutcome",
    "build_adapter",
    "close_adapters",
    "fetch_all",
]

DEFAULT_TIMEOUT = 2.0
MAX_TIMEOUT = 60.0
# Grace for a cancelled adapter to unwind before the fan-out stops waiting for it.
_CANCEL_GRACE = 0.1

FetchOutcome = CategoryRecords | SourceUnavailable
EngineFactory = Callable[[str], AsyncEngine]

_KEYS: Mapping[str, frozenset[str]] = {
    "http": frozenset({"kind", "base_url", "mapping", "timeout", "audience"}),
    "sql": frozenset({"kind", "url", "url_file", "mapping", "timeout", "schema"}),
}
_MAPPING_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SCHEMA = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

log = structlog.get_logger("adapters")


def build_adapter(
    source_id: str,
    settings: Mapping[str, Any],
    *,
    config_dir: Path,
    session: aiohttp.ClientSession,
    token_factory: Callable[[str], str],
    engines_factory: EngineFactory | None = None,
    categories: Collection[str] = CATEGORIES,
) -> SourceAdapter:
    """The adapter an organisation's settings describe; `AdapterConfigError` if they are bad.

    The mapping is read from `config_dir/sources/<mapping>.toml`. For `sql`
    adapters, `engines_factory(url)` supplies the engine (the caller then owns
    it); without one the adapter creates and owns it (`close_adapters` disposes).
    """
    where = f"adapter of {source_id}"
    kind = settings.get("kind")
    if not isinstance(kind, str) or kind not in _KEYS:
        raise AdapterConfigError(where, '`kind` must be "http" or "sql"')
    unknown = sorted(set(settings) - _KEYS[kind])
    if unknown:
        raise AdapterConfigError(where, f"unknown key(s) {unknown}")
    mapping_name = settings.get("mapping")
    if not isinstance(mapping_name, str) or not _MAPPING_NAME.match(mapping_name):
        raise AdapterConfigError(f"{where}:mapping", "must name a file in config/sources")
    mapping_path = config_dir / "sources" / f"{mapping_name}.toml"
    if not mapping_path.is_file():
        raise AdapterConfigError(f"{where}:mapping", f"{mapping_path} does not exist")
    mapping = load_mapping(mapping_path, categories=categories)
    timeout = _timeout(settings.get("timeout", DEFAULT_TIMEOUT), where)
    if kind == "http":
        base_url = settings.get("base_url")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise AdapterConfigError(f"{where}:base_url", "must be an http(s) URL")
        audience = settings.get("audience", source_id)
        if not isinstance(audience, str) or not audience:
            raise AdapterConfigError(f"{where}:audience", "must be a non-empty string")
        return HttpSourceAdapter(
            source_id, base_url, mapping, session, token_factory, timeout, audience=audience
        )
    url = _sql_url(settings, where)
    schema = settings.get("schema")
    if schema is not None and (not isinstance(schema, str) or not _SCHEMA.match(schema)):
        raise AdapterConfigError(f"{where}:schema", "must be an identifier")
    if engines_factory is not None:
        engine, owns = engines_factory(url), False
    else:
        try:
            engine, owns = create_async_engine(url, pool_pre_ping=True), True
        except Exception as exc:  # bad URL or driver: SQLAlchemy raises several kinds
            raise AdapterConfigError(f"{where}:url", "cannot create an engine for it") from exc
    return SqlSourceAdapter(source_id, engine, mapping, timeout, schema=schema, owns_engine=owns)


def _sql_url(settings: Mapping[str, Any], where: str) -> str:
    """The source database's URL: inline (`url`), or read from a secret file (`url_file`),
    so a password need not sit in the configuration."""
    if ("url" in settings) == ("url_file" in settings):
        raise AdapterConfigError(where, "give exactly one of `url` and `url_file`")
    if "url_file" in settings:
        path = settings["url_file"]
        if not isinstance(path, str) or not path:
            raise AdapterConfigError(f"{where}:url_file", "must be a file path")
        try:
            url: object = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AdapterConfigError(
                f"{where}:url_file", f"cannot be read ({exc.strerror or exc})"
            ) from None
    else:
        url = settings["url"]
    if not isinstance(url, str) or "://" not in url:
        raise AdapterConfigError(f"{where}:url", "must be a SQLAlchemy async database URL")
    return url


async def close_adapters(adapters: Iterable[object]) -> None:
    """Release what adapters own (engines they created); safe for any adapter."""
    for adapter in adapters:
        close = getattr(adapter, "aclose", None)
        if close is not None:
            await close()


async def fetch_all(
    adapters: Mapping[str, SourceAdapter] | Iterable[SourceAdapter],
    request_per_source: Mapping[str, FetchRequest],
    deadline: float,
    *,
    default_timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, FetchOutcome]:
    """Ask every source in `request_per_source` concurrently; never raise.

    Each source gets its adapter's own `timeout` attribute (or `default_timeout`),
    capped by `deadline`, the seconds the whole fan-out may take. The answer has
    one entry per requested source: its records, restricted to the categories
    asked of it, or the `SourceUnavailable` that explains why there are none.
    """
    by_id = dict(adapters) if isinstance(adapters, Mapping) else {a.source_id: a for a in adapters}
    started = time.monotonic()
    results: dict[str, FetchOutcome] = {}
    tasks: dict[str, asyncio.Task[FetchOutcome]] = {}
    for source_id, request in request_per_source.items():
        adapter = by_id.get(source_id)
        if adapter is None:
            results[source_id] = SourceUnavailable(source_id, REASON_NOT_CONFIGURED)
            continue
        timeout = min(_adapter_timeout(adapter, default_timeout), deadline)
        tasks[source_id] = asyncio.create_task(
            _fetch_one(source_id, adapter, request, timeout), name=f"fetch:{source_id}"
        )
    if tasks:
        _, pending = await asyncio.wait(tasks.values(), timeout=max(deadline, 0.0))
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=_CANCEL_GRACE)
    for source_id, task in tasks.items():
        if task.done() and not task.cancelled():
            results[source_id] = task.result()
        else:
            results[source_id] = SourceUnavailable(source_id, REASON_TIMEOUT)
    for source_id, outcome in results.items():
        request = request_per_source[source_id]
        log.info(
            "source_fetch",
            source=source_id,
            request_id=request.request_id,
            outcome="unavailable" if isinstance(outcome, SourceUnavailable) else "ok",
            reason=outcome.reason_code if isinstance(outcome, SourceUnavailable) else None,
            records=None if isinstance(outcome, SourceUnavailable) else _count(outcome),
            elapsed_ms=round((time.monotonic() - started) * 1000, 1),
        )
    return {source_id: results[source_id] for source_id in request_per_source}


async def _fetch_one(
    source_id: str, adapter: SourceAdapter, request: FetchRequest, seconds: float
) -> FetchOutcome:
    """One source's outcome; every failure becomes `SourceUnavailable`, nothing escapes."""
    try:
        async with asyncio.timeout(seconds):
            answer = await adapter.fetch(request)
    except SourceUnavailable as exc:
        if exc.source_id == source_id:
            return exc
        return SourceUnavailable(source_id, exc.reason_code)
    except TimeoutError:
        return SourceUnavailable(source_id, REASON_TIMEOUT)
    except Exception:  # a broken adapter must not break the exchange: fail closed
        return SourceUnavailable(source_id, REASON_ADAPTER_ERROR)
    return _restrict(source_id, answer, request.categories)


def _restrict(source_id: str, answer: object, categories: tuple[str, ...]) -> FetchOutcome:
    """Only the requested categories, each a list of dicts, whatever the adapter did."""
    if not isinstance(answer, dict):
        return SourceUnavailable(source_id, REASON_BAD_RESPONSE)
    restricted: CategoryRecords = {}
    for category in categories:
        records = answer.get(category, [])
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            return SourceUnavailable(source_id, REASON_BAD_RESPONSE)
        restricted[category] = records
    return restricted


def _adapter_timeout(adapter: SourceAdapter, default: float) -> float:
    value = getattr(adapter, "timeout", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return default


def _timeout(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdapterConfigError(f"{where}:timeout", "must be a number of seconds")
    if not 0 < value <= MAX_TIMEOUT:
        raise AdapterConfigError(f"{where}:timeout", f"must be in (0, {MAX_TIMEOUT}]")
    return float(value)


def _count(records: CategoryRecords) -> int:
    return sum(len(items) for items in records.values())
